using System.Text.Json.Nodes;
using TextSSL.Cli;
using TextSSL.Training;

namespace TextSSL.Tests.Cli;

/// <summary>Every run writes config.json; <c>train --config</c> repeats it exactly, and typed flags override it.</summary>
public class RunConfigTests
{
    private string _dir = null!;

    [SetUp]
    public void MakeDirectory() => _dir = Directory.CreateTempSubdirectory("textssl-config-").FullName;

    [TearDown]
    public void RemoveDirectory() => Directory.Delete(_dir, recursive: true);

    private static async Task<(int Code, string Error)> Run(params string[] args)
    {
        var originalError = Console.Error;
        var error = new StringWriter();
        Console.SetError(error);
        try { return (await CliHost.RunAsync(CliApp.CreateRootCommand(), args), error.ToString()); }
        finally { Console.SetError(originalError); }
    }

    // Every metrics row but the wall-clock columns.
    private static List<string> Losses(string run) =>
        File.ReadAllLines(Path.Combine(run, "metrics.csv")).Select(l => l.Split(','))
            .Select(c => string.Join(",", c[0], c[1], c[2], c[3], c[4], c[8], c[9], c[10])).ToList();

    [Test]
    public async Task A_run_repeated_from_its_config_gives_the_same_losses_and_typed_flags_override_it()
    {
        var first = Path.Combine(_dir, "first");
        var (code, error) = await Run("train", "--data", Tokenization.TestText.MobyDickPath, "--preset", "tiny", "--steps", "6", "--lr", "0.002",
            "--eval-every", "3", "--log-every", "1", "--eval-batches", "2", "--seed", "7", "--device", "cpu", "--out", first);
        Assert.That(code, Is.Zero, error);
        var config = Path.Combine(first, RunConfig.FileName);
        Assert.That(File.Exists(config), Is.True);
        var saved = RunConfig.Load(config);
        Assert.That((saved.Optimization.Steps, saved.Optimization.LearningRate, saved.Runtime.Seed, saved.Model.Preset), Is.EqualTo((6, 0.002, 7L, "tiny")));

        var again = Path.Combine(_dir, "again");
        (code, error) = await Run("train", "--config", config, "--out", again);
        Assert.That(code, Is.Zero, error);
        Assert.That(Losses(again), Is.EqualTo(Losses(first)), "same options, same losses, bit for bit");
        Assert.That(Losses(first).Count(l => l.Contains(",eval,")), Is.GreaterThanOrEqualTo(2));

        var shorter = Path.Combine(_dir, "shorter");
        (code, error) = await Run("train", "--config", config, "--steps", "3", "--out", shorter);
        Assert.That(code, Is.Zero, error);
        var overridden = RunConfig.Load(Path.Combine(shorter, RunConfig.FileName));
        Assert.That(overridden.Optimization.Steps, Is.EqualTo(3), "a typed flag wins");
        Assert.That((overridden.Optimization.LearningRate, overridden.Runtime.Seed), Is.EqualTo((0.002, 7L)), "untyped flags keep the file's values, not the defaults");
        Assert.That(overridden.OutputDirectory, Is.EqualTo(shorter));
    }

    [Test]
    public async Task Train_without_data_or_config_and_with_a_missing_config_fail_in_one_line()
    {
        var (code, error) = await Run("train", "--out", Path.Combine(_dir, "x"));
        Assert.That(code, Is.Not.Zero);
        Assert.That(error, Does.Contain("--data"));
        (code, error) = await Run("train", "--config", Path.Combine(_dir, "nope.json"), "--out", Path.Combine(_dir, "y"));
        Assert.That(code, Is.EqualTo(1));
        Assert.That(error, Does.Contain("does not exist"));
        Assert.That(error.Trim().Split('\n'), Has.Length.EqualTo(1));
    }

    [Test]
    public void The_saved_config_is_the_options_json_round_trip()
    {
        var options = new PretrainingOptions { OutputDirectory = "runs/x", Data = "corpora/it's.txt", Optimization = new OptimizationOptions { Steps = 9 } };
        var back = RunConfig.FromJson(JsonNode.Parse(RunConfig.ToJson(options).ToJsonString())!.AsObject(), "test");
        Assert.That(RunConfig.ToJson(back).ToJsonString(), Is.EqualTo(RunConfig.ToJson(options).ToJsonString()));
        Assert.That(back.Data, Is.EqualTo("corpora/it's.txt"));
    }
}
