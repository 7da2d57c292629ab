using TextSSL.Probing;
using TextSSL.Runtime;
using static TorchSharp.torch;

namespace TextSSL.Tests.Probing;

public class LogisticRegressionTests
{
    [OneTimeSetUp]
    public void LoadTorch() => TorchRuntime.EnsureLoaded();

    [Test]
    public void Recovers_a_separable_three_class_problem()
    {
        // Given three well separated Gaussian blobs in 5 dimensions
        var rng = new Random(1);
        double[][] centres = [[4, 0, 0, 1, 0], [0, 4, 0, -1, 0], [0, 0, 4, 0, 1]];
        (Tensor X, int[] Y) Draw(int perClass)
        {
            var xs = new List<float>();
            var ys = new List<int>();
            for (var c = 0; c < 3; c++)
                for (var i = 0; i < perClass; i++)
                {
                    xs.AddRange(centres[c].Select(m => (float)(m + Gaussian(rng) * 0.7)));
                    ys.Add(c);
                }
            return (tensor(xs.ToArray(), [ys.Count, 5]), ys.ToArray());
        }
        var (xTrain, yTrain) = Draw(40);
        var (xTest, yTest) = Draw(100);

        // When a probe is fitted
        using var model = LogisticRegression.Fit(xTrain, yTrain, 3, new LogisticRegressionOptions(L2: 1e-3));

        // Then it converged and classifies nearly everything right
        Assert.That(model.Converged, Is.True);
        var train = model.Predict(xTrain);
        var test = model.Predict(xTest);
        Assert.That(train.Zip(yTrain).Count(p => p.First == p.Second), Is.EqualTo(yTrain.Length));
        Assert.That(test.Zip(yTest).Count(p => p.First == p.Second) / (double)yTest.Length, Is.GreaterThan(0.97));
    }

    [Test]
    public void Fits_wide_float32_problems_in_the_row_space()
    {
        // Given more features than examples and too many values for the float64 path (as TF-IDF at K=32 on 10 classes)
        const int n = 160, d = 30_000;
        var rng = new Random(3);
        var y = Enumerable.Range(0, n).Select(i => i % 2).ToArray();
        var values = new float[n * d];
        for (var i = 0; i < n; i++)
            for (var j = 0; j < 50; j++)
                values[i * d + rng.Next(d)] = 1;
        for (var i = 0; i < n; i++) values[i * d + y[i]] = 3; // one informative column per class
        using var x = tensor(values, [n, d]);

        // When fitted, then it runs and separates the classes
        using var model = LogisticRegression.Fit(x, y, 2, new LogisticRegressionOptions(L2: 1e-2));
        Assert.That(model.Predict(x).Zip(y).Count(p => p.First == p.Second), Is.EqualTo(n));
    }

    [TestCase(0.5)]
    [TestCase(0.05)]
    public void Matches_the_closed_form_optimum_of_a_two_point_problem(double l2)
    {
        // Given x = +1 (class 0) and x = -1 (class 1): already standardized (mean 0, std 1).
        // With u = w0 - w1 the objective reduces to log(1 + e^-u) + λu²/4, so the optimum solves σ(-u) = λu/2,
        // with w0 = -w1 = u/2 and equal biases.
        using var x = tensor(new float[] { 1, -1 }, [2, 1]);
        int[] y = [0, 1];
        double lo = 0, hi = 100;
        for (var i = 0; i < 200; i++)
        {
            var mid = (lo + hi) / 2;
            if (1 / (1 + Math.Exp(mid)) - l2 * mid / 2 > 0) lo = mid; else hi = mid;
        }
        var expected = (lo + hi) / 2;

        // When fitted
        using var model = LogisticRegression.Fit(x, y, 2, new LogisticRegressionOptions(L2: l2, GradientTolerance: 1e-10));

        // Then the weights are the closed-form ones
        Assert.That(model.Weight(0, 0) - model.Weight(0, 1), Is.EqualTo(expected).Within(1e-6));
        Assert.That(model.Weight(0, 0), Is.EqualTo(-model.Weight(0, 1)).Within(1e-6));
        Assert.That(model.Bias(0), Is.EqualTo(model.Bias(1)).Within(1e-6));
    }

    [Test]
    public void Stronger_l2_gives_smaller_weights_and_warm_start_reaches_the_same_optimum()
    {
        var rng = new Random(3);
        var data = Enumerable.Range(0, 60 * 4).Select(_ => (float)Gaussian(rng)).ToArray();
        using var x = tensor(data, [60, 4]);
        var y = Enumerable.Range(0, 60).Select(i => data[i * 4] + 0.5 * data[i * 4 + 1] > 0 ? 1 : 0).ToArray();
        using var weak = LogisticRegression.Fit(x, y, 2, new LogisticRegressionOptions(L2: 1e-3, GradientTolerance: 1e-9));
        using var strong = LogisticRegression.Fit(x, y, 2, new LogisticRegressionOptions(L2: 1.0, GradientTolerance: 1e-9));
        using var warm = LogisticRegression.Fit(x, y, 2, new LogisticRegressionOptions(L2: 1.0, GradientTolerance: 1e-9), weak);
        double Norm(LogisticRegressionModel m) => Enumerable.Range(0, 4).Sum(f => Enumerable.Range(0, 2).Sum(c => m.Weight(f, c) * m.Weight(f, c)));
        Assert.That(Norm(strong), Is.LessThan(Norm(weak) / 4));
        for (var f = 0; f < 4; f++)
            Assert.That(warm.Weight(f, 1), Is.EqualTo(strong.Weight(f, 1)).Within(1e-5));
    }

    [TestCase(60, 4, 3)]
    [TestCase(12, 40, 3)] // more features than examples: solved in the row space, must be the same optimum
    public void The_solution_satisfies_the_optimality_conditions_of_the_original_problem(int n, int d, int classes)
    {
        var rng = new Random(11);
        var data = Enumerable.Range(0, n * d).Select(_ => Gaussian(rng)).ToArray();
        var y = Enumerable.Range(0, n).Select(i => i % classes).ToArray();
        const double l2 = 0.05;
        using var x = tensor(data.Select(v => (float)v).ToArray(), [n, d]);
        using var model = LogisticRegression.Fit(x, y, classes, new LogisticRegressionOptions(L2: l2, MaxIterations: 2000, GradientTolerance: 1e-9));

        // Independent check in plain doubles: standardize, then the gradient of
        // mean cross-entropy + λ/2‖W‖² must vanish in every weight and bias.
        var xs = new double[n, d];
        for (var j = 0; j < d; j++)
        {
            var col = Enumerable.Range(0, n).Select(i => (double)(float)data[i * d + j]).ToArray();
            var mean = col.Average();
            var std = Math.Sqrt(col.Sum(v => (v - mean) * (v - mean)) / n);
            for (var i = 0; i < n; i++) xs[i, j] = (col[i] - mean) / std;
        }
        var gw = new double[d, classes];
        var gb = new double[classes];
        for (var i = 0; i < n; i++)
        {
            var z = Enumerable.Range(0, classes).Select(c => model.Bias(c) + Enumerable.Range(0, d).Sum(j => xs[i, j] * model.Weight(j, c))).ToArray();
            var max = z.Max();
            var e = z.Select(v => Math.Exp(v - max)).ToArray();
            var sum = e.Sum();
            for (var c = 0; c < classes; c++)
            {
                var r = (e[c] / sum - (y[i] == c ? 1 : 0)) / n;
                gb[c] += r;
                for (var j = 0; j < d; j++) gw[j, c] += r * xs[i, j];
            }
        }
        for (var j = 0; j < d; j++)
            for (var c = 0; c < classes; c++)
                Assert.That(gw[j, c] + l2 * model.Weight(j, c), Is.EqualTo(0).Within(1e-5), $"dL/dW[{j},{c}]");
        Assert.That(gb, Is.All.EqualTo(0).Within(1e-5));
    }

    [Test]
    public void Cross_validation_prefers_weak_regularization_on_clean_data_and_never_sees_outside_rows()
    {
        var rng = new Random(5);
        var data = Enumerable.Range(0, 80 * 3).Select(_ => (float)Gaussian(rng)).ToArray();
        using var x = tensor(data, [80, 3]);
        var y = Enumerable.Range(0, 80).Select(i => data[i * 3] > 0 ? 1 : 0).ToArray();
        var choice = RegularizationSearch.Choose(x, y, 2, [1e-4, 1e-2, 10.0, 100.0], seed: 1, new LogisticRegressionOptions());
        Assert.That(choice.L2, Is.LessThan(10.0));
        Assert.That(choice.Scores, Has.Count.EqualTo(4));
        Assert.That(choice.Method, Does.Contain("fold"));
    }

    [Test]
    public void Stratified_folds_spread_every_class_over_all_folds()
    {
        int[] y = [0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2];
        var folds = RegularizationSearch.StratifiedFolds(y, 5, seed: 9);
        for (var c = 0; c < 3; c++)
            Assert.That(Enumerable.Range(0, y.Length).Where(i => y[i] == c).Select(i => folds[i]).Order(), Is.EqualTo(new[] { 0, 1, 2, 3, 4 }));
    }

    private static double Gaussian(Random rng) => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
}
