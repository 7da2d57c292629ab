using TextSSL.Modeling;
using TextSSL.Runtime;
using TextSSL.Training;
using static TorchSharp.torch;

namespace TextSSL.Tests.Training;

/// <summary>The contrastive task in the trainer, continued pretraining (InitFrom) and shape overrides.</summary>
public class ContinuedPretrainingTests
{
    private readonly List<string> _dirs = [];

    [OneTimeSetUp]
    public void LoadTorch() => TorchRuntime.EnsureLoaded();

    [TearDown]
    public void Clean()
    {
        foreach (var d in _dirs) if (Directory.Exists(d)) Directory.Delete(d, recursive: true);
        _dirs.Clear();
    }

    private string Temp()
    {
        var d = TrainingFixtures.TempDirectory();
        _dirs.Add(d);
        return d;
    }

    private static TrainingResult Train(PretrainingOptions options)
    {
        using var run = new PretrainingRun(options);
        return run.Run();
    }

    private static PretrainingOptions Shape(PretrainingOptions o, Func<ModelShapeOptions, ModelShapeOptions> change) => o with { Model = change(o.Model) };

    [TestCase(false)]
    [TestCase(true)]
    public void Contrastive_training_resumes_bit_for_bit_and_its_loss_falls(bool projection)
    {
        var data = TrainingFixtures.Dataset("contrastive");
        var (straightDir, resumedDir) = (Temp(), Temp());
        var options = TrainingFixtures.Options("contrastive", data, straightDir, 10) is var o
            ? o with { Evaluation = o.Evaluation with { EvalEvery = 4 }, Contrastive = new TextSSL.Pretext.ContrastiveOptions(Projection: projection) } : null!;
        var straight = Train(options);
        Train(options with { OutputDirectory = resumedDir, StopAfter = 5 });
        var resumed = Train(options with { OutputDirectory = resumedDir, Resume = true });
        Assert.That((resumed.Completed, resumed.Step), Is.EqualTo((true, 10L)));

        static List<(long, string, double?, double?, double?)> Rows(string dir) =>
            MetricsLog.Read(Path.Combine(dir, "metrics.csv")).Select(r => (r.Step, r.Kind, r.Loss, r.GradNorm, r.ValidationLoss)).ToList();
        Assert.That(Rows(resumedDir), Is.EqualTo(Rows(straightDir)));
        var train = MetricsLog.Read(straight.MetricsFile).Where(r => r.Kind == "train").ToList();
        Assert.That(train[^1].Loss, Is.LessThan(train[0].Loss!.Value), "contrastive training loss falls");

        using var a = PretrainedModel.Load(straight.LastCheckpoint, CPU);
        using var b = PretrainedModel.Load(resumed.LastCheckpoint, CPU);
        Assert.That(a.Info.Task, Is.EqualTo("contrastive"));
        Assert.That(a.Model.Config.Kind, Is.EqualTo(ModelKind.Encoder));
        Assert.That(a.Model.Config.Dropout, Is.EqualTo(0.1), "an unset dropout becomes SimCSE's 0.1 for the contrastive task");
        using (var fresh = new Transformer(a.Model.Config))
            Assert.That(a.Model.ParameterCount, Is.EqualTo(fresh.ParameterCount), "a projection head never enters the model checkpoint");
        var (pa, pb) = (a.Model.parameters().ToList(), b.Model.parameters().ToList());
        for (var i = 0; i < pa.Count; i++) Assert.That(TrainingFixtures.Same(pa[i], pb[i]), Is.True, $"parameter {i} differs");
    }

    [TestCase("contrastive")]
    [TestCase("clm")]
    [TestCase("mlm")]
    public void Each_task_reports_the_measures_that_apply_to_it(string task)
    {
        var data = TrainingFixtures.Dataset(task);
        var options = TrainingFixtures.Options(task, data, Temp(), 2) is var o ? o with { Evaluation = o.Evaluation with { EvalEvery = 2 } } : null!;
        var messages = new List<string>();
        using var run = new PretrainingRun(options);
        var result = run.Run(progress: new SynchronousProgress(u => messages.Add(u.Message)));
        var ev = result.FinalEvaluation!;
        var evalRow = MetricsLog.Read(result.MetricsFile).Last(r => r.Kind == "eval");
        var evalMessage = messages.Last(m => m.StartsWith("eval step", StringComparison.Ordinal));
        if (task == "contrastive")
        {
            // InfoNCE per text: no perplexity anywhere (console, metrics.csv, summary), and the count is of texts
            Assert.That(ev.Unit, Is.EqualTo(EvaluationUnit.Text));
            Assert.That(ev.Perplexity, Is.Null);
            Assert.That((evalRow.ValidationPerplexity, evalRow.ValidationAccuracy), Is.EqualTo(((double?)null, (double?)null)));
            Assert.That(evalMessage, Does.Not.Contain("perplexity").And.Contain("InfoNCE per text").And.EndWith(" texts"));
            Assert.That(ev.Describe("final val loss"), Does.Contain("InfoNCE per text").And.Not.Contain("perplexity"));
        }
        else
        {
            Assert.That(ev.Unit, Is.EqualTo(EvaluationUnit.Token));
            Assert.That(ev.Perplexity, Is.EqualTo(Math.Exp(ev.Loss)).Within(1e-9));
            Assert.That(evalRow.ValidationPerplexity, Is.EqualTo(Math.Exp(evalRow.ValidationLoss!.Value)).Within(1e-6));
            Assert.That(evalMessage, Does.Contain("perplexity").And.EndWith(" tokens"));
            Assert.That(evalRow.ValidationAccuracy.HasValue, Is.EqualTo(task == "mlm"));
        }
    }

    private sealed class SynchronousProgress(Action<TrainingUpdate> report) : IProgress<TrainingUpdate>
    {
        public void Report(TrainingUpdate value) => report(value);
    }

    [TestCase("clm", "clm")]
    [TestCase("mlm", "mlm")]
    [TestCase("clm", "contrastive")]
    [TestCase("mlm", "contrastive")]
    public void InitFrom_starts_from_the_source_weights_and_keeps_its_shape_and_tokenizer(string sourceTask, string task)
    {
        var data = TrainingFixtures.Dataset(sourceTask);
        var (sourceDir, continuedDir) = (Temp(), Temp());
        var source = Train(TrainingFixtures.Options(sourceTask, data, sourceDir, 3));
        // Step 0 of the continued run: the checkpoint it writes must be the source model itself.
        var continued = Train(TrainingFixtures.Options(task, data, continuedDir, 5) with { InitFrom = sourceDir, StopAfter = 0 });
        using var a = PretrainedModel.Load(source.LastCheckpoint, CPU);
        using var b = PretrainedModel.Load(continued.LastCheckpoint, CPU);
        Assert.That(b.Model.Config with { Dropout = 0 }, Is.EqualTo(a.Model.Config with { Dropout = 0 }));
        Assert.That(b.Tokenizer.Fingerprint, Is.EqualTo(a.Tokenizer.Fingerprint));
        Assert.That(b.Info.Task, Is.EqualTo(task));
        using var ids = tensor(data.Tokenizer.Encode("The whale and the sea.").Select(i => (long)i).ToArray()).unsqueeze(0);
        using var la = a.Model.Forward(ids);
        using var lb = b.Model.Forward(ids);
        Assert.That(TrainingFixtures.Same(la, lb), Is.True, "logits at step 0 equal the source model's");
        // And training then continues to the end with a fresh optimizer.
        var rest = Train(TrainingFixtures.Options(task, data, Temp(), 4) with { InitFrom = sourceDir });
        Assert.That(rest.Completed, Is.True);
    }

    [Test]
    public void A_continued_run_resumes_bit_for_bit_without_InitFrom()
    {
        var data = TrainingFixtures.Dataset("clm");
        var sourceDir = Temp();
        Train(TrainingFixtures.Options("clm", data, sourceDir, 2));
        var (straightDir, resumedDir) = (Temp(), Temp());
        var options = TrainingFixtures.Options("contrastive", data, straightDir, 6) with { InitFrom = sourceDir };
        Train(options);
        Train(options with { OutputDirectory = resumedDir, StopAfter = 3 });
        var resumed = Train(options with { OutputDirectory = resumedDir, InitFrom = null, Resume = true });
        Assert.That((resumed.Completed, resumed.Step), Is.EqualTo((true, 6L)));
        static List<(long, string, double?, double?)> Rows(string dir) =>
            MetricsLog.Read(Path.Combine(dir, "metrics.csv")).Select(r => (r.Step, r.Kind, r.Loss, r.ValidationLoss)).ToList();
        Assert.That(Rows(resumedDir), Is.EqualTo(Rows(straightDir)));
        using var loaded = PretrainedModel.Load(resumed.LastCheckpoint, CPU);
        Assert.That(loaded.Model.Config.Kind, Is.EqualTo(ModelKind.Decoder), "a decoder continued with the contrastive task stays causal");
    }

    [Test]
    public void InitFrom_mismatches_are_one_line_option_errors()
    {
        var data = TrainingFixtures.Dataset("clm");
        var sourceDir = Temp();
        Train(TrainingFixtures.Options("clm", data, sourceDir, 2));
        var options = TrainingFixtures.Options("clm", data, Temp(), 2) with { InitFrom = sourceDir };

        void Fails(PretrainingOptions o, string option, string text) =>
            Assert.That(() => Train(o), Throws.InstanceOf<OptionException>().With.Property("Options").Contains(option).And.Message.Contains(text).And.Message.Not.Contains("\n"));
        Fails(Shape(options, m => m with { Layers = 3 }), "Layers", "disagrees with the checkpoint");
        Fails(Shape(options, m => m with { Context = 64 }), "Context", "disagrees with the checkpoint");
        Fails(options with { Task = TrainingTask.Mlm }, "Task", "InitFrom");                       // its tokenizer has no [MASK]
        var withMask = TrainingFixtures.Dataset("mlm");
        var decoderWithMask = Temp();
        Train(TrainingFixtures.Options("clm", withMask, decoderWithMask, 1));
        Fails(options with { Task = TrainingTask.Mlm, Dataset = withMask, InitFrom = decoderWithMask }, "Task", "holds a decoder");
        Fails(options with { Resume = true }, "Resume", "set only one");
        Fails(options with { InitFrom = Path.Combine(sourceDir, "nowhere") }, "InitFrom", "holds no checkpoint");
        var otherTokenizer = TrainingFixtures.Dataset("mlm");
        Fails(options with { Dataset = otherTokenizer }, "InitFrom", "tokenizer");
        // A different dropout is not a different shape.
        Assert.That(Train(Shape(options, m => m with { Dropout = 0.2 })).Completed, Is.True);
    }

    [Test]
    public void Shape_overrides_build_the_requested_shape_and_are_validated()
    {
        var data = TrainingFixtures.Dataset("clm");
        var dir = Temp();
        Train(Shape(TrainingFixtures.Options("clm", data, dir, 1), m => m with { Layers = 3, Heads = 4, Dim = 48 }));
        using var loaded = PretrainedModel.Load(dir, CPU);
        Assert.That((loaded.Model.Config.Layers, loaded.Model.Config.Heads, loaded.Model.Config.Dim), Is.EqualTo((3, 4, 48)));

        var o = TrainingFixtures.Options("clm", data, Temp(), 1);
        Assert.That(() => Shape(o, m => m with { Dim = 50, Heads = 4 }).Validate(), Throws.InstanceOf<OptionException>().With.Property("Options").Contains("Dim"));
        Assert.That(() => Shape(o, m => m with { Layers = 0 }).Validate(), Throws.InstanceOf<OptionException>().With.Property("Option").EqualTo("Layers"));
        Assert.That(() => Shape(o, m => m with { Heads = 3 }).ModelConfig(ModelKind.Decoder, 40), Throws.InstanceOf<OptionException>().With.Message.Contains("not divisible"));

        var bpe = Shape(o, m => m with { Preset = "bpe-small" }).ModelConfig(ModelKind.Encoder, 8000);
        Assert.That((bpe.Layers, bpe.Heads, bpe.Dim, bpe.BlockSize, bpe.VocabSize), Is.EqualTo((4, 4, 128, 128, 8000)));
    }
}
