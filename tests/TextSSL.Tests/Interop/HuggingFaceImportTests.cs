using System.Text.Json.Nodes;
using TextSSL.Interop;
using TextSSL.Modeling;
using TextSSL.Runtime;
using TextSSL.Training;
using TorchSharp;

namespace TextSSL.Tests.Interop;

/// <summary>Import of the golden tiny GPT-2 (written and scored by tools/hf-oracle/gpt2_reference.py) and of broken directories.</summary>
public class HuggingFaceImportTests
{
    private string _dir = null!;
    private static InteropFixtures.Expected? _expected;
    private static InteropFixtures.Expected Expected => _expected ??= InteropFixtures.ReadExpected();

    [OneTimeSetUp]
    public void SetUp() => TorchRuntime.EnsureLoaded();

    [SetUp]
    public void MakeDirectory() => _dir = Directory.CreateTempSubdirectory("textssl-hfimport-").FullName;

    [TearDown]
    public void RemoveDirectory() => Directory.Delete(_dir, recursive: true);

    [TestCase("", "fp32")]
    [TestCase("fp16", "fp16")]
    [TestCase("bf16", "bf16")]
    [TestCase("sharded", "fp32")]
    public void The_golden_gpt2_imports_and_gives_the_reference_logits(string variant, string logits)
    {
        var checkpoint = Path.Combine(_dir, "ckpt");
        var result = HuggingFaceImport.Import(InteropFixtures.Gpt2(variant), checkpoint);
        Assert.That(result.Model, Is.EqualTo(new TransformerConfig(ModelKind.Decoder, 300, 16, 2, 2, 32, 0.0, true, PositionKind.Learned, true)));
        Assert.That(result.Notes, Is.Empty);
        using var loaded = PretrainedModel.Load(checkpoint, torch.CPU);
        var ours = InteropFixtures.Logits(loaded.Model, Expected.InputIds);
        var diff = InteropFixtures.MaxAbsDifference(ours, Expected.Logits[logits]);
        TestContext.Out.WriteLine($"{variant,-8} max |Δlogit| vs the PyTorch reference: {diff:E2}");
        Assert.That(diff, Is.LessThanOrEqualTo(1e-4));
        Assert.That(loaded.Info.Task, Is.EqualTo("clm"));
    }

    [Test]
    public void The_imported_tokenizer_is_the_directory_s_byte_level_bpe()
    {
        var checkpoint = Path.Combine(_dir, "ckpt");
        HuggingFaceImport.Import(InteropFixtures.Gpt2(), checkpoint);
        using var loaded = PretrainedModel.Load(checkpoint, torch.CPU);
        // "he" and "Ġt" are the fixture's two merges (ids 258 and 257); "<|endoftext|>" is 256.
        Assert.That(loaded.Tokenizer.Encode("he t"), Is.EqualTo(new[] { 258, 257 }));
        Assert.That(loaded.Tokenizer.Specials.IdOf(TextSSL.Tokenization.SpecialTokenRole.EndOfText), Is.EqualTo(256));
    }

    [Test]
    public void Files_without_the_transformer_prefix_and_with_mask_buffers_import_to_the_same_logits()
    {
        // The original OpenAI conversion is a GPT2Model state dict: no "transformer." prefix, plus causal-mask buffers.
        var dir = InteropFixtures.CopyOf(InteropFixtures.Gpt2(), Path.Combine(_dir, "hf"));
        var weights = SafetensorsFile.Read(Path.Combine(dir, "model.safetensors"));
        var renamed = weights.Select(kv => (kv.Key["transformer.".Length..], kv.Value)).ToList();
        using var mask = torch.ones(1, 1, 16, 16).tril();
        renamed.Add(("h.0.attn.bias", mask));
        renamed.Add(("h.1.attn.bias", mask));
        SafetensorsFile.Write(Path.Combine(dir, "model.safetensors"), renamed);
        foreach (var t in weights.Values) t.Dispose();

        HuggingFaceImport.Import(dir, Path.Combine(_dir, "ckpt"));
        using var loaded = PretrainedModel.Load(Path.Combine(_dir, "ckpt"), torch.CPU);
        Assert.That(InteropFixtures.MaxAbsDifference(InteropFixtures.Logits(loaded.Model, Expected.InputIds), Expected.Logits["fp32"]), Is.LessThanOrEqualTo(1e-4));
    }

    [Test]
    public void A_tensor_that_is_not_part_of_gpt2_is_refused_by_name()
    {
        var dir = InteropFixtures.CopyOf(InteropFixtures.Gpt2(), Path.Combine(_dir, "hf"));
        var weights = SafetensorsFile.Read(Path.Combine(dir, "model.safetensors"));
        using var extra = torch.zeros(4);
        SafetensorsFile.Write(Path.Combine(dir, "model.safetensors"), [.. weights.Select(kv => (kv.Key, kv.Value)), ("transformer.h.0.attn.q_norm.weight", extra)]);
        foreach (var t in weights.Values) t.Dispose();
        Assert.That(() => HuggingFaceImport.Import(dir, Path.Combine(_dir, "ckpt")), Throws.TypeOf<TextSslException>()
            .With.Message.Contains("transformer.h.0.attn.q_norm.weight").And.Message.Contains("not part of a GPT-2"));
    }

    [Test]
    public async Task An_imported_gpt2_generates_through_the_cli()
    {
        var checkpoint = Path.Combine(_dir, "ckpt");
        HuggingFaceImport.Import(InteropFixtures.Gpt2(), checkpoint);
        var root = TextSSL.Cli.CliApp.CreateRootCommand();
        var output = new StringWriter();
        var code = await root.Parse(["generate", "--model", checkpoint, "--prompt", "the cat", "--max-new-tokens", "5", "--seed", "1", "--device", "cpu", "--json"])
            .InvokeAsync(new System.CommandLine.InvocationConfiguration { Output = output, Error = new StringWriter(), EnableDefaultExceptionHandler = false });
        Assert.That(code, Is.Zero);
        Assert.That(output.ToString(), Does.Contain("\"completions\""));
    }

    private string Broken(Action<string> damage)
    {
        var copy = InteropFixtures.CopyOf(InteropFixtures.Gpt2(), Path.Combine(_dir, "hf"));
        damage(copy);
        return copy;
    }

    private static void EditConfig(string dir, Action<JsonObject> edit)
    {
        var path = Path.Combine(dir, "config.json");
        var o = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        edit(o);
        File.WriteAllText(path, o.ToJsonString());
    }

    [Test]
    public void Another_architecture_is_refused_naming_config_json_and_model_type()
    {
        var dir = Broken(d => EditConfig(d, o => { o["model_type"] = "bert"; o["architectures"] = new JsonArray("BertForMaskedLM"); }));
        Assert.That(() => HuggingFaceImport.Import(dir, Path.Combine(_dir, "ckpt")), Throws.TypeOf<TextSslException>()
            .With.Message.Contains(Path.Combine(dir, "config.json")).And.Message.Contains("\"model_type\"").And.Message.Contains("bert").And.Message.Contains("BertForMaskedLM"));
        Assert.That(Directory.Exists(Path.Combine(_dir, "ckpt")), Is.False, "nothing is written for a refused import");
    }

    [TestCase("layer_norm_epsilon", 1e-6, "layer_norm_epsilon")]
    [TestCase("n_inner", 100, "n_inner")]
    [TestCase("scale_attn_by_inverse_layer_idx", true, "scale_attn_by_inverse_layer_idx")]
    [TestCase("activation_function", "relu", "activation_function")]
    public void An_option_textssl_cannot_compute_is_refused_naming_the_field(string field, object value, string named)
    {
        var dir = Broken(d => EditConfig(d, o => o[field] = JsonValue.Create(value)));
        Assert.That(() => HuggingFaceImport.Import(dir, Path.Combine(_dir, "ckpt")), Throws.InstanceOf<TextSslException>()
            .With.Message.Contains("config.json").And.Message.Contains($"\"{named}\""));
    }

    [Test]
    public void Gelu_new_is_refused_unless_the_approximation_is_allowed()
    {
        var dir = Broken(d => EditConfig(d, o => o["activation_function"] = "gelu_new"));
        var ex = Assert.Throws<OptionException>(() => HuggingFaceImport.Import(dir, Path.Combine(_dir, "ckpt")))!;
        Assert.That(ex.Option, Is.EqualTo(nameof(HuggingFaceImportOptions.AllowApproximateGelu)));
        Assert.That(ex.Message, Does.Contain("gelu_new").And.Contain("config.json"));
        var result = HuggingFaceImport.Import(dir, Path.Combine(_dir, "ckpt"), new HuggingFaceImportOptions { AllowApproximateGelu = true });
        Assert.That(result.Notes, Has.Some.Contains("tanh approximation"));
    }

    [TestCase("config.json")]
    [TestCase("vocab.json")]
    [TestCase("merges.txt")]
    [TestCase("model.safetensors")]
    public void A_missing_file_is_named(string file)
    {
        var dir = Broken(d => File.Delete(Path.Combine(d, file)));
        Assert.That(() => HuggingFaceImport.Import(dir, Path.Combine(_dir, "ckpt")), Throws.TypeOf<TextSslException>().With.Message.Contains(file));
    }

    [Test]
    public void A_truncated_weights_file_is_named()
    {
        var dir = Broken(d =>
        {
            var path = Path.Combine(d, "model.safetensors");
            var bytes = File.ReadAllBytes(path);
            File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
        });
        Assert.That(() => HuggingFaceImport.Import(dir, Path.Combine(_dir, "ckpt")), Throws.TypeOf<TextSslException>()
            .With.Message.Contains(Path.Combine(dir, "model.safetensors")).And.Message.Contains("truncated"));
    }

    [Test]
    public void Weights_that_do_not_match_config_json_are_refused()
    {
        var dir = Broken(d => EditConfig(d, o => o["n_layer"] = 3));
        Assert.That(() => HuggingFaceImport.Import(dir, Path.Combine(_dir, "ckpt")), Throws.TypeOf<TextSslException>()
            .With.Message.Contains("transformer.h.2.ln_1.weight"));
        var dir2 = Path.Combine(_dir, "hf2");
        InteropFixtures.CopyOf(InteropFixtures.Gpt2(), dir2);
        EditConfig(dir2, o => o["n_embd"] = 64);
        Assert.That(() => HuggingFaceImport.Import(dir2, Path.Combine(_dir, "ckpt")), Throws.TypeOf<TextSslException>()
            .With.Message.Contains("transformer.wte.weight").And.Message.Contains("shape"));
    }

    [Test]
    public void A_config_id_that_disagrees_with_the_tokenizer_is_refused_naming_both_files_and_ids()
    {
        var dir = Broken(d => EditConfig(d, o => o["eos_token_id"] = 257));
        Assert.That(() => HuggingFaceImport.Import(dir, Path.Combine(_dir, "ckpt")), Throws.TypeOf<TextSslException>()
            .With.Message.Contains(Path.Combine(dir, "config.json")).And.Message.Contains("\"eos_token_id\" is 257")
            .And.Message.Contains(Path.Combine(dir, "vocab.json")).And.Message.Contains("'<|endoftext|>' at id 256"));
        Assert.That(Directory.Exists(Path.Combine(_dir, "ckpt")), Is.False, "nothing is written for a refused import");
    }

    [Test]
    public void Absent_ids_and_a_list_that_holds_the_tokenizer_s_id_are_accepted()
    {
        var absent = Broken(d => EditConfig(d, o => { o.Remove("bos_token_id"); o.Remove("eos_token_id"); }));
        Assert.That(HuggingFaceImport.Import(absent, Path.Combine(_dir, "a")).Model.VocabSize, Is.EqualTo(300));
        var list = Path.Combine(_dir, "list");
        InteropFixtures.CopyOf(InteropFixtures.Gpt2(), list);
        EditConfig(list, o => o["eos_token_id"] = new JsonArray(7, 256));
        Assert.That(HuggingFaceImport.Import(list, Path.Combine(_dir, "b")).Model.VocabSize, Is.EqualTo(300));
    }

    [Test]
    public void A_non_empty_directory_that_is_not_a_checkpoint_is_not_overwritten()
    {
        var target = Path.Combine(_dir, "mine");
        Directory.CreateDirectory(target);
        File.WriteAllText(Path.Combine(target, "notes.txt"), "keep me");
        Assert.That(() => HuggingFaceImport.Import(InteropFixtures.Gpt2(), target), Throws.TypeOf<TextSslException>()
            .With.Message.Contains("not empty").And.Message.Contains("model.json"));
        Assert.That(File.ReadAllText(Path.Combine(target, "notes.txt")), Is.EqualTo("keep me"));
    }
}
