using System.Text.Json.Nodes;
using TextSSL.Interop;
using TextSSL.Modeling;
using TextSSL.Runtime;
using TextSSL.Tests.Generation;
using TextSSL.Tokenization;
using TextSSL.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace TextSSL.Tests.Interop;

/// <summary>Import of the encoder family the export writes (XLM-RoBERTa-XL), and the encoder configs TextSSL refuses.</summary>
public class HuggingFaceEncoderImportTests
{
    private string _dir = null!;

    [OneTimeSetUp]
    public void SetUp() => TorchRuntime.EnsureLoaded();

    [SetUp]
    public void MakeDirectory() => _dir = Directory.CreateTempSubdirectory("textssl-hfencoder-").FullName;

    [TearDown]
    public void RemoveDirectory() => Directory.Delete(_dir, recursive: true);

    private static readonly long[][] Ids = [[1, 2, 3, 4, 5, 6, 7, 8], [9, 8, 7, 6, 5, 4, 3, 2]];

    private static TransformerConfig Config(bool bias, bool tied, int vocab) =>
        new(ModelKind.Encoder, vocab, 16, 2, 2, 32, 0.0, bias, PositionKind.Learned, tied);

    /// <summary>A seeded encoder checkpoint (character tokenizer with [PAD] and [MASK]) exported to a Hugging Face directory.</summary>
    private (string Checkpoint, string Hf) Exported(bool bias = false, bool tied = true)
    {
        var tokenizer = TinyModels.Tokenizer();
        var checkpoint = InteropFixtures.Checkpoint(Path.Combine(_dir, "ckpt"), tokenizer, Config(bias, tied, tokenizer.VocabSize));
        return (checkpoint, HuggingFaceExport.Export(checkpoint, Path.Combine(_dir, "hf")).Directory);
    }

    [TestCase(false, true, TestName = "Encoder round trip: bias-free, tied head")]
    [TestCase(true, false, TestName = "Encoder round trip: biases, separate head")]
    public void Export_then_import_gives_the_same_mlm_logits(bool bias, bool tied)
    {
        var (checkpoint, hf) = Exported(bias, tied);
        var back = Path.Combine(_dir, "back");
        var result = HuggingFaceImport.Import(hf, back);
        Assert.That(result.Notes, Has.Some.Contains("textssl-tokenizer"), "a character tokenizer comes back from TextSSL's own copy");

        using var original = PretrainedModel.Load(checkpoint, CPU);
        using var imported = PretrainedModel.Load(back, CPU);
        Assert.That(imported.Model.Config with { Bias = false }, Is.EqualTo(original.Model.Config with { Bias = false }));
        Assert.That(imported.Model.Config.Kind, Is.EqualTo(ModelKind.Encoder));
        Assert.That(imported.Info.Task, Is.EqualTo("mlm"));
        Assert.That(imported.Tokenizer.Fingerprint, Is.EqualTo(original.Tokenizer.Fingerprint));
        var diff = InteropFixtures.MaxAbsDifference(InteropFixtures.Logits(imported.Model, Ids), InteropFixtures.Logits(original.Model, Ids));
        TestContext.Out.WriteLine($"encoder round trip max |Δlogit| = {diff:E2}");
        Assert.That(diff, bias ? Is.Zero : Is.LessThanOrEqualTo(1e-6));
    }

    [Test]
    public void The_golden_xlm_roberta_xl_imports_and_gives_the_reference_logits()
    {
        // Written and scored by tools/hf-oracle/xlmr_xl_pure.py, independently of TextSSL's export: untied decoder with
        // lm_head.decoder.bias, a non-zero token type 0, pad_token_id 1.
        var expected = InteropFixtures.ReadExpected("expected_logits_xlmr.json");
        var result = HuggingFaceImport.Import(InteropFixtures.XlmRobertaXl(), Path.Combine(_dir, "ckpt"));
        Assert.That(result.Model, Is.EqualTo(new TransformerConfig(ModelKind.Encoder, 300, 16, 2, 2, 16, 0.0, true, PositionKind.Learned, false)));
        using var loaded = PretrainedModel.Load(Path.Combine(_dir, "ckpt"), CPU);
        Assert.That(loaded.Info.Task, Is.EqualTo("mlm"));
        var diff = InteropFixtures.MaxAbsDifference(InteropFixtures.Logits(loaded.Model, expected.InputIds), expected.Logits["fp32"]);
        TestContext.Out.WriteLine($"golden XLM-RoBERTa-XL: max |Δlogit| vs the pure-Python reference = {diff:E2}");
        Assert.That(diff, Is.LessThanOrEqualTo(1e-4));
    }

    [TestCase(ScalarType.Float16)]
    [TestCase(ScalarType.BFloat16)]
    public void Sharded_half_precision_weights_import_to_the_rounded_models_logits(ScalarType dtype)
    {
        var (checkpoint, hf) = Exported(bias: true);
        var single = Path.Combine(hf, "model.safetensors");
        var weights = SafetensorsFile.Read(single);
        var half = weights.Select(kv => (kv.Key, kv.Value.to(dtype))).ToList();
        File.Delete(single);
        var files = HuggingFaceWeights.WriteSharded(hf, half, maxShardBytes: 8 * 1024);
        Assert.That(files, Has.Count.GreaterThan(2), "more than one shard");
        foreach (var t in weights.Values) t.Dispose();
        foreach (var (_, t) in half) t.Dispose();

        HuggingFaceImport.Import(hf, Path.Combine(_dir, "back"));
        using var original = PretrainedModel.Load(checkpoint, CPU);
        using (no_grad())
            foreach (var p in original.Model.parameters()) p.copy_(p.to(dtype).to(ScalarType.Float32));
        using var imported = PretrainedModel.Load(Path.Combine(_dir, "back"), CPU);
        var diff = InteropFixtures.MaxAbsDifference(InteropFixtures.Logits(imported.Model, Ids), InteropFixtures.Logits(original.Model, Ids));
        TestContext.Out.WriteLine($"{dtype} shards: max |Δlogit| vs the rounded model = {diff:E2}");
        Assert.That(diff, Is.LessThanOrEqualTo(1e-6));
    }

    [Test]
    public void Token_type_zero_is_folded_into_the_positions_and_buffers_and_the_pooler_are_skipped()
    {
        var (checkpoint, hf) = Exported(bias: true);
        var path = Path.Combine(hf, "model.safetensors");
        var weights = SafetensorsFile.Read(path);
        manual_seed(1);
        using var type0 = randn(1, 32) * 0.1f;
        using var types = cat([type0, zeros(1, 32)], 0);   // a second, untrained type
        using var positionIds = arange(16 + 4).unsqueeze(0).to(ScalarType.Float32);
        using var pooler = randn(32, 32);
        var list = weights.Where(kv => kv.Key != "roberta.embeddings.token_type_embeddings.weight").Select(kv => (kv.Key, kv.Value)).ToList();
        list.AddRange([("roberta.embeddings.token_type_embeddings.weight", types), ("roberta.embeddings.position_ids", positionIds), ("roberta.pooler.dense.weight", pooler)]);
        SafetensorsFile.Write(path, list);
        EditConfig(hf, o => o["type_vocab_size"] = 2);

        var result = HuggingFaceImport.Import(hf, Path.Combine(_dir, "back"));
        Assert.That(result.Notes, Has.Some.Contains("pooler"));
        using var original = PretrainedModel.Load(checkpoint, CPU);
        using (no_grad())
            original.Model.named_parameters().Single(p => p.name == "wpe.weight").parameter.add_(type0);
        using var imported = PretrainedModel.Load(Path.Combine(_dir, "back"), CPU);
        var diff = InteropFixtures.MaxAbsDifference(InteropFixtures.Logits(imported.Model, Ids), InteropFixtures.Logits(original.Model, Ids));
        Assert.That(diff, Is.LessThanOrEqualTo(1e-5));

        // A trained second token type is something TextSSL cannot represent.
        types[1].fill_(0.5f);
        SafetensorsFile.Write(path, list);
        foreach (var t in weights.Values) t.Dispose();
        Assert.That(() => HuggingFaceImport.Import(hf, Path.Combine(_dir, "back2")), Throws.TypeOf<TextSslException>()
            .With.Message.Contains("\"type_vocab_size\"").And.Message.Contains("segment"));
    }

    private static void EditConfig(string dir, Action<JsonObject> edit)
    {
        var path = Path.Combine(dir, "config.json");
        var o = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        edit(o);
        File.WriteAllText(path, o.ToJsonString());
    }

    [TestCase("model_type", "xlm-roberta", "post-LayerNorm")]
    [TestCase("model_type", "bert", "post-LayerNorm")]
    [TestCase("model_type", "roberta-prelayernorm", "embeddings.LayerNorm")]
    [TestCase("model_type", "t5", "imports gpt2 and xlm-roberta-xl only")]
    [TestCase("position_embedding_type", "relative_key", "relative position")]
    [TestCase("intermediate_size", 100, "4 × hidden_size")]
    [TestCase("layer_norm_eps", 1e-12, "1E-05")]
    [TestCase("hidden_act", "relu", "GELU")]
    [TestCase("is_decoder", true, "bidirectional")]
    [TestCase("max_position_embeddings", 1, "pad_token_id + 1")]
    [TestCase("hidden_size", "wide", "integer")]
    public void An_encoder_config_textssl_cannot_represent_is_refused_in_one_line_naming_file_and_field(string field, object value, string reason)
    {
        var (_, hf) = Exported();
        EditConfig(hf, o => o[field] = JsonValue.Create(value));
        var ex = Assert.Throws<TextSslException>(() => HuggingFaceImport.Import(hf, Path.Combine(_dir, "back")))!;
        TestContext.Out.WriteLine(ex.Message);
        Assert.That(ex.Message, Does.Contain(Path.Combine(hf, "config.json") + $": \"{field}\"").And.Contain(reason));
        Assert.That(ex.Message, Does.Not.Contain("\n"));
        Assert.That(Directory.Exists(Path.Combine(_dir, "back")), Is.False, "nothing is written for a refused import");
    }

    [TestCase("pad_token_id", SpecialTokenRole.Pad, "padding")]
    [TestCase("mask_token_id", SpecialTokenRole.Mask, "mask")]
    [TestCase("eos_token_id", SpecialTokenRole.Sep, "end ([SEP]/</s>)")]
    public void A_special_token_id_that_disagrees_with_the_tokenizer_is_refused_naming_both(string field, SpecialTokenRole role, string what)
    {
        var (_, hf) = Exported();
        var tokenizerId = TinyModels.Tokenizer().Specials.IdOf(role)!.Value;
        EditConfig(hf, o => o[field] = 0);
        var ex = Assert.Throws<TextSslException>(() => HuggingFaceImport.Import(hf, Path.Combine(_dir, "back")))!;
        Assert.That(ex.Message, Does.Contain(Path.Combine(hf, "config.json") + $": \"{field}\" is 0")
            .And.Contain(Path.Combine(hf, HuggingFaceExport.TokenizerCopy)).And.Contain($"{what} token").And.Contain($"at id {tokenizerId}"));
        Assert.That(ex.Message, Does.Not.Contain("\n"));
        Assert.That(Directory.Exists(Path.Combine(_dir, "back")), Is.False, "nothing is written for a refused import");
    }

    [Test]
    public void Weights_without_the_mlm_head_or_with_a_foreign_tensor_are_refused_by_name()
    {
        var (_, hf) = Exported();
        var path = Path.Combine(hf, "model.safetensors");
        var weights = SafetensorsFile.Read(path);
        SafetensorsFile.Write(path, weights.Where(kv => !kv.Key.StartsWith("lm_head.", StringComparison.Ordinal)).Select(kv => (kv.Key, kv.Value)).ToList());
        Assert.That(() => HuggingFaceImport.Import(hf, Path.Combine(_dir, "back")), Throws.TypeOf<TextSslException>()
            .With.Message.Contains("lm_head.dense.weight").And.Message.Contains("XLMRobertaXLForMaskedLM"));
        using var extra = zeros(32);
        SafetensorsFile.Write(path, [.. weights.Select(kv => (kv.Key, kv.Value)), ("roberta.embeddings.LayerNorm.weight", extra)]);
        Assert.That(() => HuggingFaceImport.Import(hf, Path.Combine(_dir, "back")), Throws.TypeOf<TextSslException>()
            .With.Message.Contains("roberta.embeddings.LayerNorm.weight").And.Message.Contains("not part of"));
        foreach (var t in weights.Values) t.Dispose();
    }
}
