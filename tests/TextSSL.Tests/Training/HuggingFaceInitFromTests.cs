using System.Text.Json.Nodes;
using TextSSL.Interop;
using TextSSL.Modeling;
using TextSSL.Runtime;
using TextSSL.Tests.Interop;
using TextSSL.Training;
using static TorchSharp.torch;

namespace TextSSL.Tests.Training;

/// <summary>InitFrom given a Hugging Face directory (GPT-2 or XLM-RoBERTa-XL): imported for the run, then continued.</summary>
public class HuggingFaceInitFromTests
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

    /// <summary>Plain text for a run whose tokenizer comes from the InitFrom directory.</summary>
    private string TextFile()
    {
        var path = Path.Combine(Temp(), "corpus.txt");
        File.WriteAllText(path, string.Join("\n\n", Enumerable.Range(0, 6).Select(i => TrainingFixtures.Text(120, 100 + i))));
        return path;
    }

    private static PretrainingOptions Options(string task, string data, string outDir, int steps, int block) =>
        TrainingFixtures.Options(task, TrainingFixtures.Dataset(task), outDir, steps) is var o
            ? o with { Dataset = null, Data = data, Model = new ModelShapeOptions(), Optimization = o.Optimization with { BlockSize = block } }
            : null!;

    [Test]
    public void A_gpt2_directory_starts_the_run_with_the_reference_logits_and_its_tokenizer()
    {
        var gpt2 = InteropFixtures.Gpt2();
        var expected = InteropFixtures.ReadExpected();
        var before = Directory.GetDirectories(Path.GetTempPath(), "textssl-init-from-*").Length;
        var continued = Train(Options("clm", TextFile(), Temp(), 4, 16) with { InitFrom = gpt2, StopAfter = 0 });
        using var loaded = PretrainedModel.Load(continued.LastCheckpoint, CPU);
        var diff = InteropFixtures.MaxAbsDifference(InteropFixtures.Logits(loaded.Model, expected.InputIds), expected.Logits["fp32"]);
        TestContext.Out.WriteLine($"init-from GPT-2 directory, step 0: max |Δlogit| vs the PyTorch reference = {diff:E2}");
        Assert.That(diff, Is.LessThanOrEqualTo(1e-4));
        Assert.That(loaded.Tokenizer.Encode("he t"), Is.EqualTo(new[] { 258, 257 }), "the tokenizer is the directory's");
        Assert.That(Directory.GetDirectories(Path.GetTempPath(), "textssl-init-from-*"), Has.Length.LessThanOrEqualTo(before), "the run's import is removed");

        var rest = Train(Options("clm", TextFile(), Temp(), 3, 16) with { InitFrom = gpt2 });
        Assert.That((rest.Completed, rest.Step), Is.EqualTo((true, 3L)));
    }

    [Test]
    public void An_exported_encoder_directory_reproduces_the_source_encoders_logits_at_step_0()
    {
        var data = TrainingFixtures.Dataset("mlm");
        var tokenizer = data.Tokenizer;
        var source = InteropFixtures.Checkpoint(Path.Combine(Temp(), "src"), tokenizer,
            new TransformerConfig(ModelKind.Encoder, tokenizer.VocabSize, 32, 2, 2, 32, 0.0, true, PositionKind.Learned, true));
        var hf = HuggingFaceExport.Export(source, Path.Combine(Temp(), "hf")).Directory;

        var opts = TrainingFixtures.Options("mlm", data, Temp(), 4) with { InitFrom = hf, StopAfter = 0, Model = new ModelShapeOptions() };
        var continued = Train(opts);
        using var a = PretrainedModel.Load(source, CPU);
        using var b = PretrainedModel.Load(continued.LastCheckpoint, CPU);
        Assert.That(b.Model.Config with { Dropout = 0 }, Is.EqualTo(a.Model.Config with { Dropout = 0 }));
        Assert.That(b.Tokenizer.Fingerprint, Is.EqualTo(a.Tokenizer.Fingerprint), "the export's textssl-tokenizer/ copy is the source's tokenizer");
        using var ids = tensor(tokenizer.Encode("The whale and the sea.").Select(i => (long)i).ToArray()).unsqueeze(0);
        using var la = a.Model.Forward(ids);
        using var lb = b.Model.Forward(ids);
        Assert.That(TrainingFixtures.Same(la, lb), Is.True, "logits at step 0 equal the source encoder's");
        Assert.That(Train(opts with { OutputDirectory = Temp(), StopAfter = null }).Completed, Is.True);
    }

    [Test]
    public void A_directory_the_import_refuses_is_an_InitFrom_error_naming_the_file_and_field()
    {
        var dir = InteropFixtures.CopyOf(InteropFixtures.Gpt2(), Path.Combine(Temp(), "hf"));
        var config = Path.Combine(dir, "config.json");
        var o = JsonNode.Parse(File.ReadAllText(config))!.AsObject();
        o["scale_attn_by_inverse_layer_idx"] = true;
        File.WriteAllText(config, o.ToJsonString());
        var ex = Assert.Throws<OptionException>(() => Train(Options("clm", TextFile(), Temp(), 2, 16) with { InitFrom = dir }))!;
        Assert.That(ex.Option, Is.EqualTo(nameof(PretrainingOptions.InitFrom)));
        Assert.That(ex.Message, Does.Contain(config).And.Contain("\"scale_attn_by_inverse_layer_idx\"").And.Not.Contain("\n"));
    }

    [Test]
    public void A_tanh_gelu_directory_is_refused_with_advice_to_import_it_first()
    {
        var dir = InteropFixtures.CopyOf(InteropFixtures.Gpt2(), Path.Combine(Temp(), "hf"));
        var config = Path.Combine(dir, "config.json");
        var o = JsonNode.Parse(File.ReadAllText(config))!.AsObject();
        o["activation_function"] = "gelu_new";
        File.WriteAllText(config, o.ToJsonString());
        var ex = Assert.Throws<OptionException>(() => Train(Options("clm", TextFile(), Temp(), 2, 16) with { InitFrom = dir }))!;
        Assert.That(ex.Options, Is.EqualTo(new[] { nameof(PretrainingOptions.InitFrom), nameof(HuggingFaceImportOptions.AllowApproximateGelu) }));
        Assert.That(ex.Message, Does.Contain("\"activation_function\" is 'gelu_new'").And.Contain("give that checkpoint as InitFrom").And.Not.Contain("\n"));
    }
}
