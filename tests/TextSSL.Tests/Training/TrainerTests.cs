using TextSSL.Corpora;
using TextSSL.Modeling;
using TextSSL.Pretext;
using TextSSL.Runtime;
using TextSSL.Training;
using static TorchSharp.torch;

namespace TextSSL.Tests.Training;

public class TrainerTests
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

    private static PretrainingOptions Eval(PretrainingOptions o, Func<EvaluationOptions, EvaluationOptions> change) => o with { Evaluation = change(o.Evaluation) };

    private static PretrainingOptions Shape(PretrainingOptions o, Func<ModelShapeOptions, ModelShapeOptions> change) => o with { Model = change(o.Model) };

    private static TrainingResult Train(PretrainingOptions options)
    {
        using var run = new PretrainingRun(options);
        return run.Run();
    }

    [TestCase("clm")]
    [TestCase("mlm")]
    public void Loss_falls_on_a_tiny_corpus(string task)
    {
        var data = TrainingFixtures.Dataset(task);
        var dir = Temp();
        var result = Train(Eval(TrainingFixtures.Options(task, data, dir, 60), e => e with { EvalEvery = 60 }));
        var evals = MetricsLog.Read(result.MetricsFile).Where(r => r.Kind == "eval").ToList();
        Assert.That(evals.Select(e => e.Step), Is.EqualTo(new long[] { 0, 60 }));
        Assert.That(evals[1].ValidationLoss, Is.LessThan(evals[0].ValidationLoss!.Value - 0.5), $"{task} validation loss did not fall enough");
        if (task == "mlm") Assert.That(evals[1].ValidationAccuracy, Is.GreaterThan(evals[0].ValidationAccuracy!.Value));
        Assert.That(result.Completed, Is.True);
        Assert.That(File.Exists(Path.Combine(dir, "best", ModelCheckpoint.InfoFile)), Is.True);
    }

    [TestCase("clm", 0.1)]
    [TestCase("mlm", 0.0)]
    public void Resume_continues_bit_for_bit(string task, double dropout)
    {
        var data = TrainingFixtures.Dataset(task);
        var straightDir = Temp();
        var resumedDir = Temp();
        var options = TrainingFixtures.Options(task, data, straightDir, 10) is var o
            ? o with { Evaluation = o.Evaluation with { EvalEvery = 4 }, Model = o.Model with { Dropout = dropout } } : null!;
        Train(options);
        var first = Train(options with { OutputDirectory = resumedDir, StopAfter = 5 });
        Assert.That((first.Completed, first.Step), Is.EqualTo((false, 5L)));
        var second = Train(options with { OutputDirectory = resumedDir, Resume = true });
        Assert.That((second.Completed, second.Step), Is.EqualTo((true, 10L)));

        static List<(long, string, double?, double?, double?, double?)> Rows(string dir) =>
            MetricsLog.Read(Path.Combine(dir, "metrics.csv")).Select(r => (r.Step, r.Kind, r.Loss, r.GradNorm, r.LearningRate, r.ValidationLoss)).ToList();
        Assert.That(Rows(resumedDir), Is.EqualTo(Rows(straightDir)), "losses, gradient norms, learning rates and evaluations after resume");

        using var a = PretrainedModel.Load(Path.Combine(straightDir, "last"), CPU);
        using var b = PretrainedModel.Load(Path.Combine(resumedDir, "last"), CPU);
        var pa = a.Model.parameters().ToList();
        var pb = b.Model.parameters().ToList();
        for (var i = 0; i < pa.Count; i++) Assert.That(TrainingFixtures.Same(pa[i], pb[i]), Is.True, $"parameter {i} differs");
    }

    [Test]
    public void A_padded_vocabulary_and_an_untied_head_shape_the_model_and_padded_ids_are_never_generated()
    {
        var data = TrainingFixtures.Dataset("clm");
        var dir = Temp();
        Train(Shape(TrainingFixtures.Options("clm", data, dir, 3), m => m with { PadVocabTo = 64, UntiedHead = true }));
        using var loaded = PretrainedModel.Load(Path.Combine(dir, "last"), CPU);
        var v = data.Tokenizer.VocabSize;
        Assert.That(loaded.Model.Config.VocabSize, Is.EqualTo((v + 63) / 64 * 64).And.GreaterThan(v));
        Assert.That(loaded.Model.Config.TiedEmbeddings, Is.False);

        // make every padded id the model's overwhelming favourite: greedy decoding must still pick a real one
        var head = loaded.Model.named_parameters().Single(p => p.name == "lm_head.weight").parameter;
        using (no_grad())
        {
            head.narrow(0, v, head.shape[0] - v).fill_(0);
            head.narrow(0, v, head.shape[0] - v).select(1, 0).fill_(1e4);
            head.narrow(0, v, head.shape[0] - v).select(1, 1).fill_(-1e4);
        }
        var generator = loaded.CreateGenerator();
        var result = generator.Generate("the whale", TextSSL.Generation.GenerationOptions.Greedy with { MaxNewTokens = 20, StopAtEndOfText = false });
        Assert.That(result.Completions[0].TokenIds, Has.Count.EqualTo(20).And.All.LessThan(v));
    }

    [Test]
    public void A_second_run_into_an_output_directory_in_use_fails_at_once_naming_the_holder()
    {
        var data = TrainingFixtures.Dataset("clm");
        var dir = Temp();
        using (OutputLock.Acquire(dir, "another train"))
        {
            Assert.That(() => Train(TrainingFixtures.Options("clm", data, dir, 2)),
                Throws.InstanceOf<TextSslException>().With.Message.Contains("in use by another run").And.Message.Contains("another train"));
            Assert.That(Directory.Exists(Path.Combine(dir, "last")), Is.False, "the refused run wrote a checkpoint");
        }
        // once the holder has gone, the same run proceeds
        Assert.That(Train(TrainingFixtures.Options("clm", data, dir, 2)).Completed, Is.True);
    }

    [Test]
    public void A_failed_checkpoint_write_leaves_the_previous_one_intact()
    {
        var data = TrainingFixtures.Dataset("clm");
        var dir = Temp();
        Train(TrainingFixtures.Options("clm", data, dir, 2));
        var last = Path.Combine(dir, "last");
        using var ids = tensor(new long[] { 1, 2, 3, 4, 5 }).view(1, 5);
        Tensor Logits()
        {
            using var m = PretrainedModel.Load(last, CPU);
            using var _ = no_grad();
            return m.Model.forward(ids);
        }
        using var before = Logits();
        using var other = new Transformer(TransformerConfig.Preset("tiny", vocabSize: data.Tokenizer.VocabSize));
        var info = ModelCheckpoint.ReadInfo(last);
        Assert.That(() => ModelCheckpoint.Save(last, other, data.Tokenizer, info, _ => throw new IOException("disk full (simulated)")),
            Throws.InstanceOf<IOException>());
        using var after = Logits();
        Assert.That(TrainingFixtures.Same(after, before), Is.True, "the previous checkpoint changed");
        Assert.That(Directory.GetDirectories(dir, ".last.*"), Is.Empty, "temporary directories were left behind");
    }

    [Test]
    public void A_write_killed_midway_is_repaired_and_the_run_resumes()
    {
        var data = TrainingFixtures.Dataset("clm");
        var dir = Temp();
        var options = Eval(TrainingFixtures.Options("clm", data, dir, 6), e => e with { EvalEvery = 3 });
        Train(options with { StopAfter = 3 });
        // What a kill leaves: a half-written temporary directory, and the checkpoint moved aside just before the new one was renamed in.
        var debris = Directory.CreateDirectory(Path.Combine(dir, ".last.tmp-999-dead")).FullName;
        File.WriteAllBytes(Path.Combine(debris, ModelCheckpoint.WeightsFile), [1, 2, 3]);
        Directory.Move(Path.Combine(dir, "last"), Path.Combine(dir, ".last.old-0123"));

        var result = Train(options with { Resume = true });
        Assert.That((result.Completed, result.Step), Is.EqualTo((true, 6L)));
        Assert.That(Directory.GetDirectories(dir, ".last.*"), Is.Empty);
    }

    [Test]
    public void Metrics_log_has_throughput_mfu_and_evaluations()
    {
        var data = TrainingFixtures.Dataset("clm");
        var dir = Temp();
        var result = Train(Eval(TrainingFixtures.Options("clm", data, dir, 4), e => e with { LogEvery = 2 }));
        Assert.That(File.ReadLines(result.MetricsFile).First(), Is.EqualTo(string.Join(',', MetricsLog.Columns)));
        var rows = MetricsLog.Read(result.MetricsFile);
        var train = rows.Where(r => r.Kind == "train").ToList();
        Assert.That(train.Select(r => r.Step), Is.EqualTo(new long[] { 2, 4 }));
        Assert.That(train, Has.All.Matches<MetricsRow>(r => r.TokensPerSecond > 0 && r.Mfu > 0 && r.GradNorm > 0 && r.LearningRate > 0 && r.Loss > 0));
        Assert.That(rows.Count(r => r.Kind == "eval"), Is.EqualTo(2));
    }

    [Test]
    public void Validation_loss_is_the_mean_over_every_token_in_non_overlapping_windows()
    {
        manual_seed(5);
        using var model = new Transformer(TransformerConfig.Preset("tiny", vocabSize: 30));
        model.eval();
        var tokens = Enumerable.Range(0, 200).Select(i => (i * 7 + i / 3) % 30).ToArray();
        var stream = new InMemoryTokenStream(tokens);
        var task = new NextTokenTask(0);
        // By hand: windows [0,32), [32,64), ... each predicting the next token; the last is shorter (199 = 6·32 + 7).
        double sum = 0;
        using (no_grad())
            for (var start = 0; start < 199; start += 32)
            {
                var len = Math.Min(32, 199 - start);
                using var x = tensor(tokens[start..(start + len)].Select(t => (long)t).ToArray()).view(1, len);
                using var y = tensor(tokens[(start + 1)..(start + len + 1)].Select(t => (long)t).ToArray());
                using var logits = model.forward(x);
                using var ce = nn.functional.cross_entropy(logits.view(len, -1), y, reduction: nn.Reduction.Sum);
                sum += ce.item<float>();
            }
        var one = Evaluation.Evaluate(model, task, stream, 1, 32, CPU);
        var seven = Evaluation.Evaluate(model, task, stream, 7, 32, CPU);
        Assert.That(one.Tokens, Is.EqualTo(199));
        Assert.That(one.Loss, Is.EqualTo(sum / 199).Within(1e-5));
        Assert.That(seven.Loss, Is.EqualTo(one.Loss).Within(1e-5), "the batch size does not change the figure");
    }

    [Test]
    public void A_third_task_plugs_in_without_touching_the_trainer_and_a_nan_loss_stops_the_run_naming_the_step()
    {
        var data = TrainingFixtures.Dataset("clm");
        var dir = Temp();
        var options = Eval(TrainingFixtures.Options("clm", data, dir, 10), e => e with { EvalEvery = 2 }) with { CustomTask = _ => new PoisonedTask(poisonFromBatch: 3) };
        Assert.That(() => Train(options), Throws.InstanceOf<TextSslException>()
            .With.Message.Contains("NaN or infinite at step 3").And.Message.Contains(Path.Combine(dir, "last")).And.Message.Contains("(step 2)"));
        var info = ModelCheckpoint.ReadInfo(Path.Combine(dir, "last"));
        Assert.That((info.Step, info.Task), Is.EqualTo((2L, "poisoned")), "no checkpoint was written after the NaN");
    }

    [Test]
    public void A_directory_without_manifest_or_text_is_a_clear_error()
    {
        var empty = Temp();
        Assert.That(() => TrainingData.Load(empty, "char", 0.1), Throws.InstanceOf<TextSslException>().With.Message.Contains("manifest.json"));
        Assert.That(() => TrainingData.Load(Path.Combine(empty, "missing.txt"), "char", 0.1), Throws.InstanceOf<TextSslException>().With.Message.Contains("does not exist"));
    }

    [Test]
    public void A_block_size_beyond_the_models_positions_is_a_clear_error()
    {
        var data = TrainingFixtures.Dataset("clm");
        var options = TrainingFixtures.Options("clm", data, Temp(), 2);
        var ex = Assert.Throws<OptionException>(() => Train(options with { Optimization = options.Optimization with { BlockSize = 64 } }));
        // The library names the option by property; the CLI prints it as its flag.
        Assert.That(ex!.Message, Does.Contain("larger than the model's 32 positions").And.Contain("Context 64"));
        Assert.That(ex.MessageWith(TextSSL.Cli.OptionFlags.For), Does.Contain("--context 64"));
    }

    [Test]
    public void Resume_mistakes_are_clear_errors()
    {
        var data = TrainingFixtures.Dataset("clm");
        var dir = Temp();
        var options = TrainingFixtures.Options("clm", data, dir, 2);
        Assert.That(() => Train(options with { Resume = true }), Throws.InstanceOf<TextSslException>().With.Message.Contains("holds no checkpoint"));
        Train(options);
        Assert.That(() => Train(options), Throws.InstanceOf<TextSslException>().With.Message.Contains("already holds a run"));
        Assert.That(() => Train(Shape(options, m => m with { Dropout = 0.3 }) with { Resume = true }), Throws.InstanceOf<TextSslException>().With.Message.Contains("different model"));
        Assert.That(() => Train(Shape(options, m => m with { Preset = "char-small" }) with { Resume = true }), Throws.InstanceOf<TextSslException>().With.Message.Contains("different model"));
    }

    /// <summary>A task of the test's own: next-token prediction whose loss turns NaN from a given batch on.</summary>
    private sealed class PoisonedTask(int poisonFromBatch) : IPretextTask
    {
        private readonly NextTokenTask _inner = new(1);
        private int _batches;

        public string Name => "poisoned";
        public ModelKind ModelKind => ModelKind.Decoder;
        public bool ReportsAccuracy => false;
        public void Validate(ITokenStream stream, int blockSize, string splitName) => _inner.Validate(stream, blockSize, splitName);
        public PretextBatch NextBatch(ITokenStream stream, int batchSize, int blockSize) { _batches++; return _inner.NextBatch(stream, batchSize, blockSize); }
        public IEnumerable<PretextBatch> EvaluationBatches(ITokenStream stream, int batchSize, int blockSize) => _inner.EvaluationBatches(stream, batchSize, blockSize);
        public PretextOutput Compute(Transformer model, PretextBatch batch, bool withAccuracy)
        {
            var output = _inner.Compute(model, batch, withAccuracy);
            return model.training && _batches > poisonFromBatch ? output with { LossSum = output.LossSum * double.NaN } : output;
        }
        public string SaveState() => _inner.SaveState();
        public void LoadState(string state) => _inner.LoadState(state);
    }
}
