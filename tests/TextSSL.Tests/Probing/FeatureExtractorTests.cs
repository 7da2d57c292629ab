using TextSSL.Modeling;
using TextSSL.Probing;
using TextSSL.Runtime;
using static TorchSharp.torch;

namespace TextSSL.Tests.Probing;

public class FeatureExtractorTests
{
    [OneTimeSetUp]
    public void LoadTorch() => TorchRuntime.EnsureLoaded();

    [TestCase(Pooling.Mean)]
    [TestCase(Pooling.Max)]
    [TestCase(Pooling.Last)]
    [TestCase(Pooling.First)]
    public void Pooling_never_reads_padded_positions(Pooling pooling)
    {
        // Given hidden states whose padded positions hold huge values
        using var hidden = randn(2, 5, 3);
        using var lengths = tensor(new long[] { 3, 5 });
        using var poisoned = hidden.clone();
        poisoned[0, 3..] = 1e6f;
        using var a = FeatureExtractor.Pool(hidden, lengths, pooling);
        using var b = FeatureExtractor.Pool(poisoned, lengths, pooling);
        Assert.That(a.allclose(b), Is.True);
        // and the real positions give the textbook value
        using var row = hidden[0, ..3];
        using var expected = pooling switch
        {
            Pooling.Mean => row.mean([0]),
            Pooling.Max => row.amax([0]),
            Pooling.Last => row[2],
            _ => row[0],
        };
        Assert.That(a[0].allclose(expected, rtol: 1e-5, atol: 1e-6), Is.True);
    }

    [Test]
    public void An_empty_sequence_pools_to_zeros()
    {
        using var hidden = randn(1, 2, 4);
        using var pooled = FeatureExtractor.Pool(hidden, tensor(new long[] { 0 }), Pooling.Max);
        Assert.That(pooled.abs().sum().item<float>(), Is.Zero);
    }

    [TestCase(ModelKind.Encoder, Pooling.Mean)]
    [TestCase(ModelKind.Decoder, Pooling.Mean)]
    [TestCase(ModelKind.Decoder, Pooling.Last)]
    [TestCase(ModelKind.Encoder, Pooling.Max)]
    public void A_texts_features_do_not_depend_on_the_batch_it_is_padded_in(ModelKind kind, Pooling pooling)
    {
        var tokenizer = ProbeFixtures.Tokenizer();
        using var model = ProbeFixtures.TinyModel(kind, tokenizer);
        string[] texts = ["a whale", "the long voyage of the ship across the sea", "moss"];
        var encoded = EncodedTexts.Encode(tokenizer, model.Config, texts);
        var batched = FeatureExtractor.Extract(model, encoded, new FeatureOptions(pooling, BatchSize: 3), CPU);
        var alone = FeatureExtractor.Extract(model, encoded, new FeatureOptions(pooling, BatchSize: 1), CPU);
        Assert.That(batched.shape, Is.EqualTo(new long[] { 3, model.Config.Dim }));
        Assert.That(batched.allclose(alone, rtol: 1e-4, atol: 1e-5), Is.True);
        batched.Dispose();
        alone.Dispose();
    }

    [Test]
    public void Encoders_get_cls_and_sep_decoders_end_of_text_and_long_texts_are_cut_to_the_block()
    {
        var tokenizer = ProbeFixtures.Tokenizer();
        var cls = tokenizer.Specials.IdOf(TextSSL.Tokenization.SpecialTokenRole.Cls)!.Value;
        var sep = tokenizer.Specials.IdOf(TextSSL.Tokenization.SpecialTokenRole.Sep)!.Value;
        var eot = tokenizer.Specials.IdOf(TextSSL.Tokenization.SpecialTokenRole.EndOfText)!.Value;
        var encoder = TransformerConfig.Preset("tiny", ModelKind.Encoder, tokenizer.VocabSize);
        var decoder = encoder with { Kind = ModelKind.Decoder };
        var enc = EncodedTexts.Encode(tokenizer, encoder, ["abc", new string('x', 100)]);
        Assert.That(enc.Ids[0], Is.EqualTo(new[] { cls }.Concat(tokenizer.Encode("abc")).Append(sep)));
        Assert.That(enc.Ids[1], Has.Length.EqualTo(encoder.BlockSize));
        Assert.That(enc.Ids[1][^1], Is.EqualTo(sep));
        Assert.That(enc.Truncated, Is.EqualTo(1));
        var dec = EncodedTexts.Encode(tokenizer, decoder, ["abc"]);
        Assert.That(dec.Ids[0], Is.EqualTo(new[] { eot }.Concat(tokenizer.Encode("abc"))));
    }

    [Test]
    public void Characters_the_tokenizer_lacks_are_dropped_and_counted()
    {
        var tokenizer = ProbeFixtures.Tokenizer();
        var config = TransformerConfig.Preset("tiny", ModelKind.Decoder, tokenizer.VocabSize);
        var enc = EncodedTexts.Encode(tokenizer, config, ["ab\u00e9c", "abc"]);
        Assert.That(enc.LossyEncoded, Is.EqualTo(1));
        Assert.That(enc.Ids[0], Is.EqualTo(enc.Ids[1]));
    }

    [TestCase("last", 2, new[] { 2 })]
    [TestCase("0", 2, new[] { 0 })]
    [TestCase("-2", 2, new[] { 1 })]
    [TestCase("mean:2", 2, new[] { 1, 2 })]
    public void Layer_selection_resolves_against_the_model(string spec, int layers, int[] expected)
    {
        Assert.That(LayerSelection.Parse(spec).Resolve(layers + 1), Is.EqualTo(expected));
    }

    [Test]
    public void Layer_selection_out_of_range_is_a_clear_error()
    {
        var ex = Assert.Throws<OptionException>(() => LayerSelection.Parse("7").Resolve(3));
        Assert.That(ex!.Message, Does.Contain("0..2"));
        Assert.That(ex.Option, Is.EqualTo(nameof(FeatureOptions.Layer)));
        Assert.Throws<OptionException>(() => LayerSelection.Parse("middle"));
    }

    [Test]
    public void The_cache_returns_what_was_stored_and_keys_change_with_any_part()
    {
        var dir = ProbeFixtures.TempDir();
        try
        {
            var cache = new FeatureCache(dir);
            var key = FeatureCache.Key("m1", FeatureCache.DataFingerprint(["a", "b"]), "pool=mean");
            using var stored = randn(2, 3);
            var calls = 0;
            using var first = cache.GetOrCreate(key, () => { calls++; return stored.clone(); }, out var hit1);
            using var second = cache.GetOrCreate(key, () => { calls++; return stored.clone(); }, out var hit2);
            Assert.That((hit1, hit2, calls), Is.EqualTo((false, true, 1)));
            Assert.That(second.allclose(stored, rtol: 0, atol: 0), Is.True);
            Assert.That(FeatureCache.DataFingerprint(["a", "b"]), Is.Not.EqualTo(FeatureCache.DataFingerprint(["ab"])));
            Assert.That(FeatureCache.Key("m1", "d", "pool=mean"), Is.Not.EqualTo(FeatureCache.Key("m1", "d", "pool=max")));
        }
        finally { Directory.Delete(dir, true); }
    }
}
