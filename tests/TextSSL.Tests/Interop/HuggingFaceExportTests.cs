using System.Text.Json;
using TextSSL.Cli;
using TextSSL.Interop;
using TextSSL.Modeling;
using TextSSL.Runtime;
using TextSSL.Tests.Generation;
using TextSSL.Training;
using TorchSharp;

namespace TextSSL.Tests.Interop;

/// <summary>Export to a GPT-2 directory, and the export → import round trip.</summary>
public class HuggingFaceExportTests
{
    private string _dir = null!;

    [OneTimeSetUp]
    public void SetUp() => TorchRuntime.EnsureLoaded();

    [SetUp]
    public void MakeDirectory() => _dir = Directory.CreateTempSubdirectory("textssl-hfexport-").FullName;

    [TearDown]
    public void RemoveDirectory() => Directory.Delete(_dir, recursive: true);

    private static readonly long[][] Ids = [[1, 2, 3, 4, 5, 6, 7, 8], [40, 30, 20, 10, 256, 257, 258, 0]];

    private static TransformerConfig Config(bool bias, bool tied) =>
        new(ModelKind.Decoder, 320, 16, 2, 2, 32, 0.0, bias, PositionKind.Learned, tied);

    [TestCase(false, true, TestName = "Round trip: bias-free, tied head (TextSSL's default)")]
    [TestCase(true, false, TestName = "Round trip: biases, separate head")]
    public void Export_then_import_gives_the_same_logits(bool bias, bool tied)
    {
        var tokenizer = InteropFixtures.Tokenizer();
        var checkpoint = InteropFixtures.Checkpoint(Path.Combine(_dir, "ckpt"), tokenizer, Config(bias, tied));
        var export = HuggingFaceExport.Export(checkpoint, Path.Combine(_dir, "hf"));
        Assert.That(export.Files, Does.Contain("model.safetensors").And.Contain("config.json").And.Contain("generation_config.json")
            .And.Contain("vocab.json").And.Contain("merges.txt").And.Contain("textssl-tokenizer/"));
        var reimported = Path.Combine(_dir, "back");
        HuggingFaceImport.Import(export.Directory, reimported);

        using var original = PretrainedModel.Load(checkpoint, torch.CPU);
        using var back = PretrainedModel.Load(reimported, torch.CPU);
        Assert.That(back.Model.Config with { Bias = false }, Is.EqualTo(original.Model.Config with { Bias = false }));
        // The tokenizer comes back from Hugging Face's tokenizer.json (it records the split pattern, so its fingerprint is
        // its own); what must hold is that it gives the same ids.
        foreach (var text in new[] { "Call me Ishmael.", "  two  spaces, 'quotes' and numbers 1234\n", "" })
            Assert.That(back.Tokenizer.Encode(text), Is.EqualTo(original.Tokenizer.Encode(text)), text);
        var diff = InteropFixtures.MaxAbsDifference(InteropFixtures.Logits(back.Model, Ids), InteropFixtures.Logits(original.Model, Ids));
        TestContext.Out.WriteLine($"round trip max |Δlogit| = {diff:E2}");
        // Same weights; a bias-free model comes back with zero biases, whose addition may change the last bit of a product.
        Assert.That(diff, bias ? Is.Zero : Is.LessThanOrEqualTo(1e-6));
    }

    [Test]
    public void The_exported_directory_has_gpt2_names_layouts_and_config()
    {
        var tokenizer = InteropFixtures.Tokenizer();
        var checkpoint = InteropFixtures.Checkpoint(Path.Combine(_dir, "ckpt"), tokenizer, Config(bias: false, tied: true));
        var hf = HuggingFaceExport.Export(checkpoint, Path.Combine(_dir, "hf")).Directory;
        var header = SafetensorsFile.ReadHeader(Path.Combine(hf, "model.safetensors")).ToDictionary(e => e.Name);
        Assert.That(header["transformer.wte.weight"].Shape, Is.EqualTo(new long[] { 320, 32 }));
        Assert.That(header["transformer.wpe.weight"].Shape, Is.EqualTo(new long[] { 16, 32 }));
        Assert.That(header["transformer.h.1.attn.c_attn.weight"].Shape, Is.EqualTo(new long[] { 32, 96 }), "Conv1D stores [in, out]");
        Assert.That(header["transformer.h.1.mlp.c_fc.weight"].Shape, Is.EqualTo(new long[] { 32, 128 }));
        Assert.That(header["transformer.h.1.mlp.c_proj.weight"].Shape, Is.EqualTo(new long[] { 128, 32 }));
        Assert.That(header["transformer.h.0.attn.c_attn.bias"].Shape, Is.EqualTo(new long[] { 96 }));
        Assert.That(header.ContainsKey("lm_head.weight"), Is.False, "a tied head is not stored");
        Assert.That(header.Values.Select(e => e.Dtype).Distinct(), Is.EqualTo(new[] { "F32" }));
        Assert.That(header, Has.Count.EqualTo(2 + 2 * 12 + 2));

        // The transposition: GPT-2's c_attn weight is TextSSL's Linear weight transposed.
        using var loaded = PretrainedModel.Load(checkpoint, torch.CPU);
        var weights = SafetensorsFile.Read(Path.Combine(hf, "model.safetensors"));
        var ours = loaded.Model.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        using (var transposed = ours["h.0.attn.c_attn.weight"].detach().t().contiguous())
            Assert.That(weights["transformer.h.0.attn.c_attn.weight"].data<float>().ToArray(), Is.EqualTo(transposed.data<float>().ToArray()));
        Assert.That(weights["transformer.h.0.attn.c_attn.bias"].count_nonzero().item<long>(), Is.Zero, "a bias-free model exports zero biases");
        foreach (var t in weights.Values) t.Dispose();

        using var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(hf, "config.json")));
        var c = config.RootElement;
        Assert.That(c.GetProperty("model_type").GetString(), Is.EqualTo("gpt2"));
        Assert.That(c.GetProperty("architectures")[0].GetString(), Is.EqualTo("GPT2LMHeadModel"));
        Assert.That(c.GetProperty("activation_function").GetString(), Is.EqualTo("gelu"));
        Assert.That(c.GetProperty("n_embd").GetInt32(), Is.EqualTo(32));
        Assert.That(c.GetProperty("n_layer").GetInt32(), Is.EqualTo(2));
        Assert.That(c.GetProperty("n_head").GetInt32(), Is.EqualTo(2));
        Assert.That(c.GetProperty("n_positions").GetInt32(), Is.EqualTo(16));
        Assert.That(c.GetProperty("vocab_size").GetInt32(), Is.EqualTo(320));
        Assert.That(c.GetProperty("layer_norm_epsilon").GetDouble(), Is.EqualTo(1e-5));
        Assert.That(c.GetProperty("tie_word_embeddings").GetBoolean(), Is.True);
        Assert.That(c.GetProperty("eos_token_id").GetInt32(), Is.EqualTo(256));
        using var generation = JsonDocument.Parse(File.ReadAllText(Path.Combine(hf, "generation_config.json")));
        Assert.That(generation.RootElement.GetProperty("eos_token_id").GetInt32(), Is.EqualTo(256));
    }

    [Test]
    public void Rotary_positions_and_an_encoder_without_a_pad_token_are_refused_naming_the_setting()
    {
        var tokenizer = InteropFixtures.Tokenizer(); // <|endoftext|> only: no padding token
        var encoder = InteropFixtures.Checkpoint(Path.Combine(_dir, "enc"), tokenizer, Config(false, true) with { Kind = ModelKind.Encoder });
        var rotary = InteropFixtures.Checkpoint(Path.Combine(_dir, "rot"), tokenizer, Config(false, true) with { Positions = PositionKind.Rotary });
        Assert.That(() => HuggingFaceExport.Export(encoder, Path.Combine(_dir, "hf1")), Throws.TypeOf<TextSslException>().With.Message.Contains("no padding token"));
        Assert.That(() => HuggingFaceExport.Export(rotary, Path.Combine(_dir, "hf2")), Throws.TypeOf<TextSslException>().With.Message.Contains("Positions is Rotary"));
        Assert.That(Directory.Exists(Path.Combine(_dir, "hf1")) || Directory.Exists(Path.Combine(_dir, "hf2")), Is.False);
    }

    [Test]
    public void An_encoder_exports_as_xlm_roberta_xl_with_positions_offset_past_the_pad_id()
    {
        var tokenizer = TinyModels.Tokenizer();
        var pad = tokenizer.Specials.IdOf(TextSSL.Tokenization.SpecialTokenRole.Pad)!.Value;
        var checkpoint = InteropFixtures.Checkpoint(Path.Combine(_dir, "enc"), tokenizer,
            Config(false, true) with { Kind = ModelKind.Encoder, VocabSize = tokenizer.VocabSize });
        var r = HuggingFaceExport.Export(checkpoint, Path.Combine(_dir, "hf"));
        Assert.That(r.Architecture, Is.EqualTo("XLMRobertaXLForMaskedLM"));
        Assert.That(r.Files, Does.Not.Contain("generation_config.json"));
        var header = SafetensorsFile.ReadHeader(Path.Combine(r.Directory, "model.safetensors")).ToDictionary(e => e.Name);
        Assert.That(header["roberta.embeddings.position_embeddings.weight"].Shape, Is.EqualTo(new long[] { 16 + pad + 1, 32 }));
        Assert.That(header["roberta.encoder.layer.1.attention.self.query.weight"].Shape, Is.EqualTo(new long[] { 32, 32 }));
        Assert.That(header["roberta.encoder.layer.1.intermediate.dense.weight"].Shape, Is.EqualTo(new long[] { 128, 32 }));
        Assert.That(header.Keys, Does.Contain("lm_head.bias").And.Contain("lm_head.layer_norm.weight").And.Contain("roberta.encoder.LayerNorm.weight"));
        Assert.That(header.Keys, Does.Not.Contain("lm_head.decoder.weight"), "a tied decoder is not stored");

        using var loaded = PretrainedModel.Load(checkpoint, torch.CPU);
        var ours = loaded.Model.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        var weights = SafetensorsFile.Read(Path.Combine(r.Directory, "model.safetensors"));
        using (var keyRows = ours["h.0.attn.c_attn.weight"].detach().narrow(0, 32, 32).contiguous())
            Assert.That(weights["roberta.encoder.layer.0.attention.self.key.weight"].data<float>().ToArray(), Is.EqualTo(keyRows.data<float>().ToArray()));
        using (var first = ours["wpe.weight"].detach().narrow(0, 0, 1).contiguous())
            Assert.That(weights["roberta.embeddings.position_embeddings.weight"].narrow(0, pad + 1, 1).contiguous().data<float>().ToArray(), Is.EqualTo(first.data<float>().ToArray()));
        foreach (var t in weights.Values) t.Dispose();

        using var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(r.Directory, "config.json")));
        Assert.That(config.RootElement.GetProperty("model_type").GetString(), Is.EqualTo("xlm-roberta-xl"));
        Assert.That(config.RootElement.GetProperty("pad_token_id").GetInt32(), Is.EqualTo(pad));
        Assert.That(config.RootElement.GetProperty("hidden_act").GetString(), Is.EqualTo("gelu"));
        // The import reads it back as an encoder (HuggingFaceEncoderImportTests checks the logits).
        Assert.That(HuggingFaceImport.Import(r.Directory, Path.Combine(_dir, "back")).Model.Kind, Is.EqualTo(ModelKind.Encoder));
    }

    [Test]
    public void A_char_tokenizer_model_exports_its_tokenizer_as_word_level_and_copies_textssls()
    {
        var tokenizer = TinyModels.Tokenizer();
        var checkpoint = InteropFixtures.Checkpoint(Path.Combine(_dir, "ckpt"), tokenizer, Config(false, true) with { VocabSize = tokenizer.VocabSize });
        var r = HuggingFaceExport.Export(checkpoint, Path.Combine(_dir, "hf"));
        Assert.That(r.Notes, Has.None.Contains("no Hugging Face"));
        Assert.That(File.Exists(Path.Combine(r.Directory, "textssl-tokenizer", "textssl-tokenizer.json")), Is.True);
        Assert.That(File.ReadAllText(Path.Combine(r.Directory, "tokenizer.json")), Does.Contain("\"WordLevel\""));
        Assert.That(File.Exists(Path.Combine(r.Directory, "vocab.json")), Is.False);
        // TextSSL reads no WordLevel tokenizer.json: the import takes the textssl-tokenizer/ copy and says why.
        var back = HuggingFaceImport.Import(r.Directory, Path.Combine(_dir, "back"));
        Assert.That(back.Notes, Has.Some.Contains("textssl-tokenizer/").And.Some.Contains("WordLevel"));
        Assert.That(back.Tokenizer, Is.EqualTo(tokenizer.Kind));
        File.Delete(Path.Combine(r.Directory, "tokenizer.json"));
        Directory.Delete(Path.Combine(r.Directory, "textssl-tokenizer"), recursive: true);
        Assert.That(() => HuggingFaceImport.Import(r.Directory, Path.Combine(_dir, "back2")), Throws.TypeOf<TextSslException>()
            .With.Message.Contains("tokenizer.json").And.Message.Contains("vocab.json"));
    }

    [Test]
    public void User_files_are_never_overwritten_but_an_earlier_export_is_replaced()
    {
        var tokenizer = InteropFixtures.Tokenizer();
        var checkpoint = InteropFixtures.Checkpoint(Path.Combine(_dir, "ckpt"), tokenizer, Config(false, true));
        var mine = Path.Combine(_dir, "mine");
        Directory.CreateDirectory(mine);
        File.WriteAllText(Path.Combine(mine, "config.json"), "{\"mine\": true}");
        Assert.That(() => HuggingFaceExport.Export(checkpoint, mine), Throws.TypeOf<TextSslException>()
            .With.Message.Contains("not empty").And.Message.Contains(HuggingFaceExport.MarkerFile));
        Assert.That(File.ReadAllText(Path.Combine(mine, "config.json")), Is.EqualTo("{\"mine\": true}"));

        var hf = Path.Combine(_dir, "hf");
        HuggingFaceExport.Export(checkpoint, hf);
        Assert.That(() => HuggingFaceExport.Export(checkpoint, hf), Throws.Nothing);
        Assert.That(File.Exists(Path.Combine(hf, HuggingFaceExport.MarkerFile)), Is.True);
    }

    [Test]
    public async Task The_cli_exports_imports_and_reports_errors_in_one_line()
    {
        var tokenizer = InteropFixtures.Tokenizer();
        var checkpoint = InteropFixtures.Checkpoint(Path.Combine(_dir, "ckpt"), tokenizer, Config(true, true));
        var hf = Path.Combine(_dir, "hf");
        var (code, _) = await Run("export", "--model", checkpoint, "--format", "hf", "--out", hf);
        Assert.That(code, Is.Zero);
        (code, _) = await Run("import", "--format", "hf", hf, "--out", Path.Combine(_dir, "back"));
        Assert.That(code, Is.Zero);
        Assert.That(File.Exists(Path.Combine(_dir, "back", ModelCheckpoint.InfoFile)), Is.True);

        File.WriteAllText(Path.Combine(hf, "config.json"), File.ReadAllText(Path.Combine(hf, "config.json")).Replace("\"gelu\"", "\"gelu_new\""));
        (code, var error) = await Run("import", hf, "--out", Path.Combine(_dir, "back2"));
        Assert.That(code, Is.EqualTo(1));
        Assert.That(error, Does.Contain("--allow-approximate-gelu").And.Contain("config.json"));
        Assert.That(error, Does.Not.Contain("   at "), "a stack trace was printed");
    }

    private static async Task<(int Code, string Error)> Run(params string[] args)
    {
        var originalError = Console.Error;
        var error = new StringWriter();
        Console.SetError(error);
        try { return (await CliHost.RunAsync(CliApp.CreateRootCommand(), args), error.ToString()); }
        finally { Console.SetError(originalError); }
    }
}
