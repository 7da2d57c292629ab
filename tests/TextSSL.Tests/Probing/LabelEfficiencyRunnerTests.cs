using System.Text;
using Spectre.Console;
using TextSSL.Cli.Commands;
using TextSSL.Modeling;
using TextSSL.Probing;
using TextSSL.Reports;
using TextSSL.Runtime;
using static TorchSharp.torch;

namespace TextSSL.Tests.Probing;

public class LabelEfficiencyRunnerTests
{
    private string _dir = "";

    [OneTimeSetUp]
    public void LoadTorch() => TorchRuntime.EnsureLoaded();

    [SetUp]
    public void MakeDir() => _dir = ProbeFixtures.TempDir();

    [TearDown]
    public void RemoveDir() => Directory.Delete(_dir, true);

    private static ProbeOptions FastOptions(string? cache = null) => new()
    {
        SamplesPerLabel = [2, 4, 12, null],
        Experiments = 3,
        Baselines = [ProbeMethod.Tfidf, ProbeMethod.RandomWeights, ProbeMethod.Supervised],
        L2Grid = [1e-2, 1.0],
        Supervised = new SupervisedOptions(Epochs: 1, MinSteps: 3, MaxSteps: 3, BatchSize: 8),
        CacheDirectory = cache,
    };

    private static ProbeDataset Data()
    {
        // 10 "sea" and 10 "garden" texts for training, 8 + 8 for testing.
        var train = ProbeFixtures.TwoTopics(10, seed: 1);
        var test = ProbeFixtures.TwoTopics(8, seed: 2, firstId: 1000);
        return ProbeDataLoader.Build(train, test, [], "fixture");
    }

    [Test]
    public void No_test_example_ever_reaches_training_and_every_method_sees_the_same_k_per_class()
    {
        var data = Data();
        var model = ProbeFixtures.SaveTinyCheckpoint(Path.Combine(_dir, "ckpt"), ModelKind.Encoder);
        using var loaded = PretrainedModel.Load(model, CPU);
        var options = FastOptions() with { Baselines = [ProbeMethod.Tfidf, ProbeMethod.RandomWeights, ProbeMethod.Supervised, ProbeMethod.FineTuned] };
        var result = LabelEfficiencyRunner.Run(loaded, data, options, CPU);

        var testIds = data.Test.Select(e => e.Id).ToHashSet();
        var trainIds = data.Train.Select(e => e.Id).ToHashSet();
        var labelOf = data.Train.ToDictionary(e => e.Id, e => e.Label);
        Assert.That(result.Runs, Is.Not.Empty);
        foreach (var run in result.Runs)
        {
            Assert.That(run.TrainIds.Where(testIds.Contains), Is.Empty, $"{run.Method} K={run.SamplesPerLabel} leaked test ids");
            Assert.That(run.TrainIds.All(trainIds.Contains), Is.True);
            if (run.SamplesPerLabel is { } k && k <= 10)
                Assert.That(run.TrainIds.GroupBy(id => labelOf[id]).Select(g => g.Count()), Is.All.EqualTo(k));
            Assert.That(run.Metrics.Total, Is.EqualTo(data.Test.Count));
        }
        // 5 methods × (3 runs at K = 2, 4, 12 + 1 run at all)
        Assert.That(result.Runs, Has.Count.EqualTo(5 * (3 * 3 + 1)));
        // Runs of one experiment share their sample across methods.
        foreach (var group in result.Runs.GroupBy(r => (r.SamplesPerLabel, r.Experiment)))
            Assert.That(group.Select(r => string.Join(",", r.TrainIds)).Distinct().Count(), Is.EqualTo(1));
        // K = 12 exceeds both classes' 10 examples: marked, and the sample is all there is.
        Assert.That(result.IsShort(12), Is.True);
        Assert.That(result.Shortfalls[12], Is.EquivalentTo(new Dictionary<string, int> { ["garden"] = 10, ["sea"] = 10 }));
        Assert.That(result.IsShort(4), Is.False);
        // The topics are separable by their words: TF-IDF with all labels must get them right.
        Assert.That(result.Summary(ProbeMethod.Tfidf, null)!.AccuracyMean, Is.GreaterThan(0.9));
    }

    [Test]
    public void The_report_has_the_chart_csv_and_a_reading_computed_from_the_numbers()
    {
        var data = Data();
        var model = ProbeFixtures.SaveTinyCheckpoint(Path.Combine(_dir, "ckpt"), ModelKind.Decoder);
        using var loaded = PretrainedModel.Load(model, CPU);
        var options = FastOptions(cache: Path.Combine(_dir, "cache")) with { Baselines = [ProbeMethod.Tfidf], Experiments = 2 };
        var result = LabelEfficiencyRunner.Run(loaded, data, options, CPU);
        var outDir = Path.Combine(_dir, "out");
        var files = LabelEfficiencyReport.Write(result, outDir);

        foreach (var name in new[] { "report.md", "label-efficiency.png", "label-efficiency.svg", "summary.csv", "runs.csv", "per-class.csv" })
            Assert.That(File.Exists(Path.Combine(outDir, name)) && new FileInfo(Path.Combine(outDir, name)).Length > 0, Is.True, name);
        Assert.That(files, Has.Count.EqualTo(6));
        var png = File.ReadAllBytes(Path.Combine(outDir, "label-efficiency.png"));
        Assert.That(png[1..4], Is.EqualTo("PNG"u8.ToArray()));
        Assert.That(File.ReadAllText(Path.Combine(outDir, "label-efficiency.svg")), Does.Contain("<svg"));
        var summary = File.ReadAllLines(Path.Combine(outDir, "summary.csv"));
        Assert.That(summary[0], Does.StartWith("method,samples_per_label,runs"));
        Assert.That(summary, Has.Length.EqualTo(1 + 2 * 4));
        var md = File.ReadAllText(Path.Combine(outDir, "report.md"));
        Assert.That(md, Does.Contain("| labels per class | pretrained + probe | TF-IDF + probe |"));
        Assert.That(md, Does.Contain("12 †"));
        // The reading names the winner at 'all' with the number in the table.
        var all = result.Summaries.Where(s => s.SamplesPerLabel is null).MaxBy(s => s.AccuracyMean)!;
        var reading = LabelEfficiencyReading.Paragraph(result);
        Assert.That(reading, Does.Contain(all.Method.Title()));
        Assert.That(reading, Does.Contain(LabelEfficiencyReading.Pct(all.AccuracyMean)));
        Assert.That(md, Does.Contain(reading));

        // A second run reads the frozen features from the cache and gives identical numbers.
        var again = LabelEfficiencyRunner.Run(loaded, data, options, CPU);
        Assert.That(Directory.GetFiles(Path.Combine(_dir, "cache")), Has.Length.EqualTo(1));
        Assert.That(again.Summaries.Select(s => s.AccuracyMean), Is.EqualTo(result.Summaries.Select(s => s.AccuracyMean)));
    }

    [Test]
    public void A_checkpoint_whose_tokenizer_is_missing_is_a_clear_error()
    {
        var model = ProbeFixtures.SaveTinyCheckpoint(Path.Combine(_dir, "ckpt"));
        Directory.Delete(Path.Combine(model, "tokenizer"), true);
        var ex = Assert.Throws<TextSslException>(() => PretrainedModel.Load(model, CPU));
        Assert.That(ex!.Message, Does.Contain("tokenizer/").And.Contain("Restore"));
    }

    [Test]
    public void The_command_prints_the_table_and_writes_the_report()
    {
        var rows = ProbeFixtures.TwoTopics(12, seed: 4).Select((e, i) => (e.Text, e.Label, (string?)(i < 16 ? "train" : "test")));
        var csv = ProbeFixtures.WriteCsv(Path.Combine(_dir, "topics.csv"), rows, withSplit: true);
        var model = ProbeFixtures.SaveTinyCheckpoint(Path.Combine(_dir, "ckpt"));
        var output = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output), Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors });
        var options = new ProbeOptions { SamplesPerLabel = [2, null], Experiments = 2, Baselines = [ProbeMethod.Tfidf], L2Grid = [0.1] };
        var run = new ProbeRunOptions { Model = model, Data = csv, Probe = options, Device = "cpu", Cache = ProbeRunOptions.NoCache, OutputDirectory = Path.Combine(_dir, "out") };
        var code = ProbeCommand.Run(console, run, CancellationToken.None);
        Assert.That(code, Is.Zero);
        var text = output.ToString();
        Assert.That(text, Does.Contain("pretrained + probe").And.Contain("TF-IDF + probe").And.Contain("all (16)"));
        Assert.That(text, Does.Contain("report.md"));
        Assert.That(File.Exists(Path.Combine(_dir, "out", "report.md")), Is.True);
    }
}
