using TextSSL.Modeling;
using TextSSL.Probing;
using TextSSL.Reports;
using TextSSL.Runtime;
using static TorchSharp.torch;

namespace TextSSL.Tests.Probing;

/// <summary>The pretrained+TF-IDF probe: pretrained columns appended to the sparse TF-IDF rows, each column standardised.</summary>
public class PretrainedTfidfTests
{
    [OneTimeSetUp]
    public void LoadTorch() => TorchRuntime.EnsureLoaded();

    [Test]
    public void Dense_columns_are_appended_to_the_right_of_every_sparse_row()
    {
        var sparse = new SparseMatrix(3, 4, [0, 2, 2, 3], [0, 3, 1], [1f, 2f, 3f]);
        float[] dense = [10, 11, 20, 0, 30, 31];

        var both = sparse.AppendDenseColumns(dense, 2);

        Assert.That(both.Rows, Is.EqualTo(3));
        Assert.That(both.Columns, Is.EqualTo(6));
        Assert.That(both.NonZeros, Is.EqualTo(3 + 3 * 2), "every dense value is stored, zeros too");
        Assert.That(both.ToDense(), Is.EqualTo(new float[] { 1, 0, 0, 2, 10, 11, 0, 0, 0, 0, 20, 0, 0, 3, 0, 0, 30, 31 }));
        Assert.Throws<ArgumentException>(() => sparse.AppendDenseColumns(dense, 3), "3 rows × 3 columns need 9 values");
    }

    [Test]
    public void The_combined_probe_standardises_each_column_so_the_scale_of_either_block_does_not_matter()
    {
        // Given TF-IDF rows of two topics and a dense block whose first column also tells the topics apart
        var train = ProbeFixtures.TwoTopics(10, seed: 1);
        var test = ProbeFixtures.TwoTopics(8, seed: 2, firstId: 1000);
        var tfidf = TfidfBaseline.Create(train.Select(e => e.Text).ToList(), test.Select(e => e.Text).ToList(), new TfidfOptions(MaxFeatures: 200));
        var labels = train.Concat(test).Select(e => e.Label == "sea" ? 1f : 0f).ToArray();
        var noise = new Random(3);
        float[] Dense(float scale, float shift) => labels.SelectMany(y => new[] { scale * (y + 0.3f * (float)noise.NextDouble()) + shift, scale * (float)noise.NextDouble() + shift }).ToArray();
        using var small = tensor(Dense(1f, 0f), [labels.Length, 2]);
        noise = new Random(3);
        using var large = tensor(Dense(1000f, 5f), [labels.Length, 2]);

        // When the same probe is fitted with the dense block at two scales and offsets
        var a = tfidf.WithDenseColumns(small);
        var b = tfidf.WithDenseColumns(large);
        Assert.That(a.Features.Columns, Is.EqualTo(tfidf.Features.Columns + 2));
        Assert.That(a.Features.Rows, Is.EqualTo(train.Count + test.Count));
        var sample = Enumerable.Range(0, train.Count).ToArray();
        var y = train.Select(e => e.Label == "sea" ? 1 : 0).ToArray();
        var solver = new LogisticRegressionOptions(L2: 0.1, MaxIterations: 500, GradientTolerance: 1e-8);
        var (pa, _) = a.FitAndPredict(sample, y, 2, [0.1], seed: 1, solver);
        var (pb, _) = b.FitAndPredict(sample, y, 2, [0.1], seed: 1, solver);
        using var ma = LogisticRegression.Fit(a.Features.SliceRows(0, train.Count), y, 2, solver);
        using var mb = LogisticRegression.Fit(b.Features.SliceRows(0, train.Count), y, 2, solver);

        // Then predictions and the weights of the standardised columns are the same
        Assert.That(pb, Is.EqualTo(pa));
        var d = a.Features.Columns;
        for (var j = d - 2; j < d; j++)
            for (var c = 0; c < 2; c++)
                Assert.That(mb.Weight(j, c), Is.EqualTo(ma.Weight(j, c)).Within(1e-3 * (1 + Math.Abs(ma.Weight(j, c)))));
    }

    [Test]
    public void Feature_sets_parse_and_always_keep_the_pretrained_features()
    {
        Assert.That(ProbeMethods.ParseFeatureSets("pretrained+tfidf"), Is.EqualTo(new[] { ProbeMethod.Pretrained, ProbeMethod.PretrainedTfidf }));
        Assert.That(ProbeMethods.ParseFeatureSets("pretrained"), Is.EqualTo(new[] { ProbeMethod.Pretrained }));
        var ex = Assert.Throws<OptionException>(() => ProbeMethods.ParseFeatureSets("pretrained,bogus"));
        Assert.That(ex!.Option, Is.EqualTo(nameof(ProbeOptions.FeatureSets)));
        Assert.Throws<OptionException>(() => new ProbeOptions { FeatureSets = [ProbeMethod.PretrainedTfidf] }.Validate());
        Assert.Throws<OptionException>(() => new ProbeOptions { Baselines = [ProbeMethod.PretrainedTfidf] }.Validate());
    }

    [Test]
    public void The_report_has_a_pretrained_plus_tfidf_column_beside_the_other_methods()
    {
        var dir = ProbeFixtures.TempDir();
        try
        {
            var train = ProbeFixtures.TwoTopics(10, seed: 1);
            var test = ProbeFixtures.TwoTopics(8, seed: 2, firstId: 1000);
            var data = ProbeDataLoader.Build(train, test, [], "fixture");
            var model = ProbeFixtures.SaveTinyCheckpoint(Path.Combine(dir, "ckpt"), ModelKind.Encoder);
            using var loaded = PretrainedModel.Load(model, CPU);
            var options = new ProbeOptions
            {
                SamplesPerLabel = [2, null], Experiments = 2, L2Grid = [1e-2, 1.0],
                FeatureSets = [ProbeMethod.Pretrained, ProbeMethod.PretrainedTfidf],
                Baselines = [ProbeMethod.RandomWeights], // the combined method needs no TF-IDF baseline
            };

            var result = LabelEfficiencyRunner.Run(loaded, data, options, CPU);
            LabelEfficiencyReport.Write(result, Path.Combine(dir, "out"));

            Assert.That(result.Methods, Is.EqualTo(new[] { ProbeMethod.Pretrained, ProbeMethod.PretrainedTfidf, ProbeMethod.RandomWeights }));
            Assert.That(result.Runs.Count(r => r.Method == ProbeMethod.PretrainedTfidf), Is.EqualTo(2 + 1));
            // The topics are separable by their words, and the combined probe has those words.
            Assert.That(result.Summary(ProbeMethod.PretrainedTfidf, null)!.AccuracyMean, Is.GreaterThan(0.9));
            var md = File.ReadAllText(Path.Combine(dir, "out", "report.md"));
            Assert.That(md, Does.Contain("| labels per class | pretrained + probe | pretrained + TF-IDF + probe | random weights + probe |"));
            Assert.That(md, Does.Contain("**pretrained + TF-IDF + probe:**"));
            Assert.That(File.ReadAllText(Path.Combine(dir, "out", "summary.csv")), Does.Contain("pretrained+tfidf,"));
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}
