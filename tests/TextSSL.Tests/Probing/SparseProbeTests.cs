using TextSSL.Probing;
using TextSSL.Runtime;
using static TorchSharp.torch;

namespace TextSSL.Tests.Probing;

public class SparseProbeTests
{
    [OneTimeSetUp]
    public void LoadTorch() => TorchRuntime.EnsureLoaded();

    [Test]
    public void Sparse_tfidf_rows_equal_a_dense_computation_of_the_same_definition()
    {
        // Given a tiny corpus and a vectorizer fitted on it
        string[] corpus = ["The whale, the sea.", "A rose in the garden", "the whale's garden", "sea sea sea"];
        var options = new TfidfOptions(MaxFeatures: 60, WordNgramMax: 2, CharNgramMin: 3, CharNgramMax: 4);
        var vectorizer = TfidfVectorizer.Fit(corpus, options);
        string[] texts = [.. corpus, "an unseen zebra", "whale whale sea"];

        // When it vectorizes texts
        var sparse = vectorizer.Transform(texts);

        // Then every value equals the dense definition: (1 + ln tf)·idf over the vocabulary, rows L2-normalised,
        // idf = ln((1 + N)/(1 + df)) + 1, the vocabulary rebuilt here by the documented rule (the most frequent half
        // word n-grams and half character n-grams, ties in ordinal order).
        var df = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var text in corpus)
            foreach (var term in TfidfVectorizer.Terms(text, options).Distinct())
                df[term] = df.GetValueOrDefault(term) + 1;
        List<string> Top(char kind, int count) => df.Keys.Where(t => t[0] == kind)
            .OrderByDescending(t => df[t]).ThenBy(t => t, StringComparer.Ordinal).Take(count).ToList();
        var vocabulary = Top('w', 30).Concat(Top('c', 30)).ToList();
        Assert.That(sparse.Columns, Is.EqualTo(vocabulary.Count));
        var dense = sparse.ToDense();
        for (var i = 0; i < texts.Length; i++)
        {
            var tf = TfidfVectorizer.Terms(texts[i], options).GroupBy(t => t, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
            var row = vocabulary.Select(t => tf.TryGetValue(t, out var n) ? (1 + Math.Log(n)) * (Math.Log((1.0 + corpus.Length) / (1.0 + df[t])) + 1) : 0.0).ToArray();
            var norm = Math.Sqrt(row.Sum(v => v * v));
            for (var j = 0; j < row.Length; j++)
                Assert.That(dense[i * row.Length + j], Is.EqualTo(norm > 0 ? row[j] / norm : 0).Within(1e-6), $"text {i}, term '{vocabulary[j]}'");
        }
        Assert.That(sparse.NonZeros, Is.EqualTo(dense.Count(v => v != 0)), "only non-zero values are stored");
    }

    [Test]
    public void Sparse_matrix_selects_and_slices_rows()
    {
        var m = new SparseMatrix(3, 4, [0, 2, 2, 3], [0, 3, 1], [1f, 2f, 3f]);
        Assert.That(m.ToDense(), Is.EqualTo(new float[] { 1, 0, 0, 2, 0, 0, 0, 0, 0, 3, 0, 0 }));
        Assert.That(m.SelectRows([2, 0, 2]).ToDense(), Is.EqualTo(new float[] { 0, 3, 0, 0, 1, 0, 0, 2, 0, 3, 0, 0 }));
        Assert.That(m.SliceRows(1, 3).ToDense(), Is.EqualTo(new float[] { 0, 0, 0, 0, 0, 3, 0, 0 }));
        Assert.Throws<ArgumentException>(() => _ = new SparseMatrix(1, 4, [0, 2], [3, 1], [1f, 2f]), "columns must ascend");
        Assert.Throws<ArgumentException>(() => _ = new SparseMatrix(1, 4, [0, 1], [4], [1f]), "columns must be in range");
    }

    [TestCase(3)]
    [TestCase(5)] // more classes than one SIMD vector holds on most machines: padded rows
    public void Sparse_loss_and_gradient_equal_a_direct_dense_computation(int classes)
    {
        // Given a tiny sparse problem and arbitrary parameters
        const int n = 7, d = 6;
        var rng = new Random(2);
        var dense = new float[n * d];
        for (var i = 0; i < dense.Length; i++) dense[i] = rng.NextDouble() < 0.4 ? (float)(rng.NextDouble() * 2 - 0.5) : 0f;
        var x = FromDense(dense, n, d);
        var y = Enumerable.Range(0, n).Select(i => i % classes).ToArray();
        var theta = Enumerable.Range(0, d * classes + classes).Select(_ => rng.NextDouble() * 2 - 1).ToArray();
        const double l2 = 0.3;

        // When the sparse objective is evaluated
        var (value, gradient) = new LogisticRegression.SparseObjective(x, y, classes, l2).Evaluate(theta);

        // Then value and gradient equal the direct dense computation in plain doubles
        var expected = 0.0;
        var expectedGrad = new double[theta.Length];
        for (var i = 0; i < n; i++)
        {
            var z = Enumerable.Range(0, classes).Select(c => theta[d * classes + c] + Enumerable.Range(0, d).Sum(j => dense[i * d + j] * theta[j * classes + c])).ToArray();
            var max = z.Max();
            var lse = max + Math.Log(z.Sum(v => Math.Exp(v - max)));
            expected += (lse - z[y[i]]) / n;
            for (var c = 0; c < classes; c++)
            {
                var r = (Math.Exp(z[c] - lse) - (c == y[i] ? 1 : 0)) / n;
                expectedGrad[d * classes + c] += r;
                for (var j = 0; j < d; j++) expectedGrad[j * classes + c] += r * dense[i * d + j];
            }
        }
        for (var j = 0; j < d * classes; j++)
        {
            expected += 0.5 * l2 * theta[j] * theta[j];
            expectedGrad[j] += l2 * theta[j];
        }
        Assert.That(value, Is.EqualTo(expected).Within(1e-12));
        for (var j = 0; j < theta.Length; j++) Assert.That(gradient[j], Is.EqualTo(expectedGrad[j]).Within(1e-12), $"gradient[{j}]");
    }

    [Test]
    public void Sparse_fit_separates_a_separable_problem_and_matches_the_dense_fit()
    {
        // Given three classes, each marked by its own words, plus shared noise words
        var rng = new Random(4);
        const int n = 90, d = 40;
        var y = Enumerable.Range(0, n).Select(i => i % 3).ToArray();
        var dense = new float[n * d];
        for (var i = 0; i < n; i++)
        {
            dense[i * d + y[i] * 2] = 1f + (float)rng.NextDouble();
            dense[i * d + y[i] * 2 + 1] = 0.5f;
            for (var k = 0; k < 4; k++) dense[i * d + 6 + rng.Next(d - 6)] = (float)rng.NextDouble();
        }
        var x = FromDense(dense, n, d);
        var options = new LogisticRegressionOptions(L2: 0.05, MaxIterations: 1000, GradientTolerance: 1e-8);

        // When fitted sparsely (scaled, not centred) and densely (standardized with centring)
        using var sparse = LogisticRegression.Fit(x, y, 3, options);
        using var tensorX = tensor(dense, [n, d]);
        using var denseModel = LogisticRegression.Fit(tensorX, y, 3, options);

        // Then it separates the classes, and the weights equal the dense fit's: centring only moves the biases
        Assert.That(sparse.Converged, Is.True);
        Assert.That(sparse.Predict(x), Is.EqualTo(y));
        Assert.That(sparse.Predict(x), Is.EqualTo(denseModel.Predict(tensorX)));
        for (var j = 0; j < d; j++)
            for (var c = 0; c < 3; c++)
                Assert.That(sparse.Weight(j, c), Is.EqualTo(denseModel.Weight(j, c)).Within(1e-4), $"W[{j},{c}]");
        // And the sparse model scores dense tensors the same way it scores sparse rows
        Assert.That(sparse.Predict(tensorX), Is.EqualTo(sparse.Predict(x)));
    }

    [Test]
    public void Sparse_cross_validation_uses_the_same_folds_and_rule_as_the_dense_one()
    {
        var rng = new Random(5);
        const int n = 80, d = 3;
        var data = Enumerable.Range(0, n * d).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        var y = Enumerable.Range(0, n).Select(i => data[i * d] > 0 ? 1 : 0).ToArray();
        double[] grid = [1e-4, 1e-2, 10.0, 100.0];
        using var x = tensor(data, [n, d]);
        var dense = RegularizationSearch.Choose(x, y, 2, grid, seed: 1, new LogisticRegressionOptions(GradientTolerance: 1e-9));
        var sparse = RegularizationSearch.Choose(FromDense(data, n, d), y, 2, grid, seed: 1, new LogisticRegressionOptions(GradientTolerance: 1e-9));
        Assert.That(sparse.L2, Is.LessThan(10.0));
        Assert.That(sparse.Method, Is.EqualTo(dense.Method));
        Assert.That(sparse.Scores.Select(s => s.Accuracy), Is.EqualTo(dense.Scores.Select(s => s.Accuracy)).Within(0.03));
    }

    [Test]
    public void Tfidf_baseline_fits_a_sample_and_predicts_every_test_text()
    {
        string[] train = ["whales swim in the sea", "the sea is deep and blue", "roses grow in the garden", "a garden of roses", "whale and sea", "garden rose bed"];
        int[] labels = [0, 0, 1, 1, 0, 1];
        string[] test = ["a whale in the deep sea", "roses in my garden"];
        var baseline = TfidfBaseline.Create(train, test, new TfidfOptions(MaxFeatures: 200));
        Assert.That(baseline.Features.Rows, Is.EqualTo(train.Length + test.Length));
        var (predicted, choice) = baseline.FitAndPredict([0, 1, 2, 3, 4, 5], labels, 2, [0.1], seed: 1, new LogisticRegressionOptions());
        Assert.That(predicted, Is.EqualTo(new[] { 0, 1 }));
        Assert.That(choice.L2, Is.EqualTo(0.1));
    }

    private static SparseMatrix FromDense(float[] dense, int rows, int columns)
    {
        var starts = new int[rows + 1];
        var cols = new List<int>();
        var values = new List<float>();
        for (var i = 0; i < rows; i++)
        {
            for (var j = 0; j < columns; j++)
                if (dense[i * columns + j] != 0) { cols.Add(j); values.Add(dense[i * columns + j]); }
            starts[i + 1] = cols.Count;
        }
        return new SparseMatrix(rows, columns, starts, cols.ToArray(), values.ToArray());
    }
}
