using TextSSL.Modeling;
using TextSSL.Runtime;
using TextSSL.Training;
using static TorchSharp.torch;

namespace TextSSL.Tests.Training;

/// <summary>The walking skeleton: default corpus → character tokenizer → small causal transformer → checkpoint.</summary>
public class SkeletonTests
{
    private string _dir = "";

    [OneTimeSetUp]
    public void LoadTorch() => TorchRuntime.EnsureLoaded();

    [SetUp]
    public void MakeDir() => _dir = TrainingFixtures.TempDirectory();

    [TearDown]
    public void Clean() => Directory.Delete(_dir, recursive: true);

    [Test]
    public async Task Skeleton_loss_falls_and_the_saved_checkpoint_gives_identical_logits()
    {
        // The first 60,000 characters of the shipped corpus keep the run to a few seconds.
        var corpus = Path.Combine(TrainingFixtures.RepositoryRoot(), "corpora", "moby-dick", "moby-dick.txt");
        var excerpt = Path.Combine(_dir, "excerpt.txt");
        await File.WriteAllTextAsync(excerpt, (await File.ReadAllTextAsync(corpus))[..60_000]);
        var options = new PretrainingOptions
        {
            Data = excerpt, Tokenizer = "char", OutputDirectory = Path.Combine(_dir, "run"),
            Model = new ModelShapeOptions { Preset = "tiny" },
            Optimization = new OptimizationOptions { Steps = 150, BatchSize = 8, BlockSize = 32, LearningRate = 1e-2, MinLearningRate = 1e-3, Warmup = 10 },
            Evaluation = new EvaluationOptions { EvalEvery = 150, EvalBatches = 8, LogEvery = 50 },
            Runtime = new RuntimeOptions { Device = "cpu", Threads = 1 },
        };
        using var run = new PretrainingRun(options);
        var result = await run.RunAsync();

        var evals = MetricsLog.Read(result.MetricsFile).Where(r => r.Kind == "eval").Select(r => r.ValidationLoss!.Value).ToList();
        Assert.That(evals[^1], Is.LessThan(evals[0] * 0.75), $"validation loss {evals[0]:F3} → {evals[^1]:F3}");

        using var loaded = PretrainedModel.Load(options.OutputDirectory, CPU);
        Assert.That(loaded.Info.Step, Is.EqualTo(150));
        Assert.That(loaded.Tokenizer.Fingerprint, Is.EqualTo(run.Tokenizer!.Fingerprint));
        using var ids = tensor(loaded.Tokenizer.Encode("Call me Ishmael.").Select(i => (long)i).ToArray()).view(1, -1);
        run.Model!.eval();
        using var _ = no_grad();
        using var expected = run.Model.forward(ids);
        using var actual = loaded.Model.forward(ids);
        Assert.That(TrainingFixtures.Same(actual, expected), Is.True);
    }
}
