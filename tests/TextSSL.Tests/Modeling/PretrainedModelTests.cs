using System.Text.Json.Nodes;
using TextSSL.Cli;
using TextSSL.Generation;
using TextSSL.Modeling;
using TextSSL.Probing;
using TextSSL.Runtime;
using TextSSL.Tests.Generation;
using TextSSL.Tokenization;
using TextSSL.Training;
using static TorchSharp.torch;

namespace TextSSL.Tests.Modeling;

/// <summary>The load-then-use handle: one way in, checked once, and every use goes through it.</summary>
public class PretrainedModelTests
{
    private string _root = null!;
    private CharTokenizer _tokenizer = null!;

    [OneTimeSetUp]
    public void SetUp()
    {
        TorchRuntime.EnsureLoaded();
        _tokenizer = TinyModels.Tokenizer();
    }

    [SetUp]
    public void MakeDir() => _root = Directory.CreateTempSubdirectory("textssl-handle-").FullName;

    [TearDown]
    public void RemoveDir() => Directory.Delete(_root, recursive: true);

    private string Save(string dir, ModelKind kind, long step = 0)
    {
        using var model = TinyModels.Untrained(_tokenizer, kind);
        ModelCheckpoint.Save(dir, model, _tokenizer, new CheckpointInfo(ModelCheckpoint.FormatVersion, model.Config, kind == ModelKind.Decoder ? "clm" : "mlm", _tokenizer.Fingerprint, step, null));
        return dir;
    }

    private static Tensor Logits(Transformer model)
    {
        using var ids = tensor(new long[] { 1, 2, 3, 4, 5 }).view(1, 5);
        using var _ = no_grad();
        return model.forward(ids);
    }

    [Test]
    public void Saving_records_the_weights_hash_and_size_and_loading_reports_them()
    {
        var dir = Save(Path.Combine(_root, "ckpt"), ModelKind.Decoder);
        var info = ModelCheckpoint.ReadInfo(dir);
        var weights = Path.Combine(dir, ModelCheckpoint.WeightsFile);
        Assert.That(info.WeightsBytes, Is.EqualTo(new FileInfo(weights).Length));
        Assert.That(info.WeightsSha256, Has.Length.EqualTo(64));
        using var model = PretrainedModel.Load(dir);
        Assert.That(model.WeightsSha256, Is.EqualTo(info.WeightsSha256));
        Assert.That(model.Info.WeightsSha256, Is.EqualTo(info.WeightsSha256));
        Assert.That((model.Task, model.Config.Kind, model.Device.type), Is.EqualTo(("clm", ModelKind.Decoder, TorchSharp.DeviceType.CPU)));
        Assert.That(model.Model.training, Is.False, "a loaded model is in eval mode");
    }

    [Test]
    public void A_flipped_byte_in_the_weights_is_a_clear_one_line_error()
    {
        var dir = Save(Path.Combine(_root, "ckpt"), ModelKind.Decoder);
        var weights = Path.Combine(dir, ModelCheckpoint.WeightsFile);
        var bytes = File.ReadAllBytes(weights);
        bytes[bytes.Length - 3] ^= 0x01; // inside the last tensor's data: the file still parses, so only the hash can tell
        File.WriteAllBytes(weights, bytes);

        var ex = Assert.Throws<TextSslException>(() => PretrainedModel.Load(dir));
        Assert.That(ex!.Message, Does.Contain(weights).And.Contain("corrupt").And.Contain("SHA-256").And.Contain("Restore"));
        Assert.That(ex.Message, Does.Not.Contain("\n"));
    }

    private static async Task<(int Code, string Error)> RunCli(params string[] args)
    {
        var originalError = Console.Error;
        var error = new StringWriter();
        Console.SetError(error);
        try { return (await CliHost.RunAsync(CliApp.CreateRootCommand(), args), error.ToString()); }
        finally { Console.SetError(originalError); }
    }

    [Test]
    public async Task The_command_line_reports_damaged_weights_and_bad_options_in_one_line_with_exit_code_1()
    {
        var dir = Save(Path.Combine(_root, "ckpt"), ModelKind.Decoder);
        var data = Path.Combine(_root, "data.txt");
        File.WriteAllText(data, string.Concat(Enumerable.Repeat(TinyModels.Text, 20)));

        var (code, error) = await RunCli("eval", "--model", dir, "--data", data, "--device", "cpu", "--val-fraction", "NaN");
        Assert.That(code, Is.EqualTo(1));
        Assert.That(error, Does.Contain("--val-fraction must be between 0 and 1"));

        (code, error) = await RunCli("generate", "--model", dir, "--prompt", "the", "--device", "cpu", "--top-p", "NaN");
        Assert.That(code, Is.EqualTo(1));
        Assert.That(error, Does.Contain("--top-p must be in (0, 1]"));

        var weights = Path.Combine(dir, ModelCheckpoint.WeightsFile);
        var bytes = File.ReadAllBytes(weights);
        bytes[bytes.Length - 3] ^= 0x01;
        File.WriteAllBytes(weights, bytes);
        foreach (var args in new[] { new[] { "eval", "--model", dir, "--data", data, "--device", "cpu" }, ["generate", "--model", dir, "--prompt", "the", "--device", "cpu"] })
        {
            (code, error) = await RunCli(args);
            Assert.That(code, Is.EqualTo(1), args[0]);
            Assert.That(error, Does.Contain(weights).And.Contain("corrupt"), args[0]);
            // One message (the console may wrap it at its width), no stack trace.
            Assert.That(error.Split("error:").Length - 1, Is.EqualTo(1), args[0]);
            Assert.That(error, Does.Not.Contain("   at "), "a stack trace was printed");
        }
    }

    [Test]
    public void A_truncated_weights_file_is_named_with_both_sizes()
    {
        var dir = Save(Path.Combine(_root, "ckpt"), ModelKind.Decoder);
        var weights = Path.Combine(dir, ModelCheckpoint.WeightsFile);
        var length = new FileInfo(weights).Length;
        using (var f = new FileStream(weights, FileMode.Open)) f.SetLength(length - 10);
        var ex = Assert.Throws<TextSslException>(() => PretrainedModel.Load(dir));
        Assert.That(ex!.Message, Does.Contain(weights).And.Contain("corrupt").And.Contain($"{length - 10:N0} bytes").And.Contain($"{length:N0}"));
    }

    [Test]
    public void A_checkpoint_written_before_hashes_were_recorded_still_loads()
    {
        var dir = Save(Path.Combine(_root, "ckpt"), ModelKind.Decoder);
        var infoPath = Path.Combine(dir, ModelCheckpoint.InfoFile);
        var json = JsonNode.Parse(File.ReadAllText(infoPath))!.AsObject();
        Assert.That(json.Remove("weights_sha256") && json.Remove("weights_bytes"), Is.True, "the field names in model.json");
        File.WriteAllText(infoPath, json.ToJsonString());

        using var model = PretrainedModel.Load(dir);
        Assert.That(model.Info.WeightsSha256, Is.Null);
        Assert.That(model.WeightsSha256, Is.EqualTo(ModelCheckpoint.HashFile(Path.Combine(dir, ModelCheckpoint.WeightsFile)).Sha256));
    }

    [Test]
    public void A_run_directory_loads_best_then_last()
    {
        var run = Path.Combine(_root, "run");
        Save(Path.Combine(run, "last"), ModelKind.Decoder, step: 20);
        using (var last = PretrainedModel.Load(run)) Assert.That(last.Info.Step, Is.EqualTo(20));
        Save(Path.Combine(run, "best"), ModelKind.Decoder, step: 10);
        using var best = PretrainedModel.Load(run);
        Assert.That(best.Info.Step, Is.EqualTo(10));
        Assert.That(best.Directory, Is.EqualTo(Path.Combine(run, "best")));
    }

    [Test]
    public void A_file_or_an_empty_directory_is_a_clear_error()
    {
        var file = Path.Combine(_root, "model.bin");
        File.WriteAllBytes(file, [1]);
        Assert.That(() => PretrainedModel.Load(file), Throws.TypeOf<TextSslException>().With.Message.Contains("is a file"));
        Assert.That(() => PretrainedModel.Load(_root), Throws.TypeOf<TextSslException>().With.Message.Contains("holds no checkpoint"));
    }

    [Test]
    public void Generation_and_fill_mask_through_the_handle_equal_the_direct_calls_and_refuse_the_wrong_kind()
    {
        using var decoder = PretrainedModel.Load(Save(Path.Combine(_root, "dec"), ModelKind.Decoder));
        var options = GenerationOptions.Greedy with { MaxNewTokens = 8, StopAtEndOfText = false };
        var direct = new TextGenerator(decoder.Model, decoder.Tokenizer).Generate("the c", options).Completions[0].TokenIds;
        Assert.That(decoder.Generate("the c", options).Completions[0].TokenIds, Is.EqualTo(direct));
        Assert.That(() => decoder.FillMask("the [MASK]"), Throws.TypeOf<TextSslException>().With.Message.Contains("decoder").And.Message.Contains("generate"));

        using var encoder = PretrainedModel.Load(Save(Path.Combine(_root, "enc"), ModelKind.Encoder));
        var filled = encoder.FillMask("the [MASK]at", topK: 3);
        var expected = new MaskFiller(encoder.Model, encoder.Tokenizer).Predict("the [MASK]at", 3);
        Assert.That(filled[0].Candidates.Select(c => c.TokenId), Is.EqualTo(expected[0].Candidates.Select(c => c.TokenId)));
        Assert.That(() => encoder.Generate("the"), Throws.TypeOf<TextSslException>().With.Message.Contains("encoder").And.Message.Contains("fill-mask"));
        Assert.That(() => encoder.FillMask("the [MASK]", topK: 0), Throws.TypeOf<OptionException>().With.Property(nameof(OptionException.Option)).EqualTo("TopK"));
    }

    [Test]
    public void Features_are_the_probes_pooled_hidden_states()
    {
        using var model = PretrainedModel.Load(Save(Path.Combine(_root, "enc"), ModelKind.Encoder));
        string[] texts = ["the cat sat", "a dog", ""];
        var options = new FeatureOptions(Pooling.Mean, BatchSize: 2);
        using var features = model.Features(texts, options);
        using var expected = FeatureExtractor.Extract(model.Model, EncodedTexts.Encode(model.Tokenizer, model.Config, texts), options, CPU);
        Assert.That(features.shape, Is.EqualTo(new long[] { 3, model.Config.Dim }));
        Assert.That(features.equal(expected).all().item<bool>(), Is.True);
        Assert.That(() => model.Features(texts, options with { BatchSize = 0 }), Throws.TypeOf<OptionException>().With.Property(nameof(OptionException.Option)).EqualTo("BatchSize"));
    }

    [Test]
    public void A_trainable_copy_holds_the_same_weights_draws_like_a_fresh_trunk_and_leaves_the_handle_alone()
    {
        var dir = Save(Path.Combine(_root, "ckpt"), ModelKind.Decoder);
        using var model = PretrainedModel.Load(dir);
        using var before = Logits(model.Model);

        manual_seed(7);
        using var copy = model.CopyTransformer();
        using var afterCopy = rand(3);
        // What SupervisedTrainer does today: a fresh trunk from the same seed, then the weights file loaded into it.
        manual_seed(7);
        using var fresh = new Transformer(model.Config);
        fresh.load(Path.Combine(dir, ModelCheckpoint.WeightsFile), strict: true);
        using var afterFresh = rand(3);

        Assert.That(afterCopy.equal(afterFresh).all().item<bool>(), Is.True, "the copy consumed the random stream differently");
        Assert.That(copy.training, Is.True);
        var pc = copy.parameters().ToList();
        var pf = fresh.parameters().ToList();
        for (var i = 0; i < pc.Count; i++) Assert.That(pc[i].equal(pf[i]).all().item<bool>(), Is.True, $"parameter {i}");

        using (no_grad()) foreach (var p in copy.parameters()) p.add_(1);
        using var after = Logits(model.Model);
        Assert.That(after.equal(before).all().item<bool>(), Is.True, "changing the copy changed the handle's model");
    }

    [Test]
    public void Evaluation_through_the_handle_equals_the_one_call_evaluation_and_restores_the_precision()
    {
        var dir = Save(Path.Combine(_root, "ckpt"), ModelKind.Decoder);
        var data = Path.Combine(_root, "data.txt");
        File.WriteAllText(data, string.Concat(Enumerable.Repeat(TinyModels.Text, 20)));
        var options = new EvaluateOptions { Device = "cpu", BatchSize = 4 };
        var once = CheckpointEvaluation.Run(dir, data, options);
        using var model = PretrainedModel.Load(dir);
        var viaHandle = model.Evaluate(data, options with { Dtype = "bf16" });
        var again = model.Evaluate(data, options);
        Assert.That(again.Result.Loss, Is.EqualTo(once.Result.Loss));
        Assert.That(again.Result.Tokens, Is.EqualTo(once.Result.Tokens));
        Assert.That(viaHandle.Result.Tokens, Is.EqualTo(once.Result.Tokens));
        Assert.That(model.Model.Precision.Dtype, Is.EqualTo(ScalarType.Float32));
        Assert.That(() => model.Evaluate(data, options with { ValidationFraction = double.NaN }),
            Throws.TypeOf<OptionException>().With.Property(nameof(OptionException.Option)).EqualTo(nameof(EvaluateOptions.ValidationFraction)));
        Assert.That(() => model.Evaluate(data, options with { BlockSize = model.Config.BlockSize + 1 }),
            Throws.TypeOf<OptionException>().With.Property(nameof(OptionException.Option)).EqualTo(nameof(EvaluateOptions.BlockSize)));
    }
}
