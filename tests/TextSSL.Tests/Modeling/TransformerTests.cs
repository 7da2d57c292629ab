using TextSSL.Modeling;
using TextSSL.Runtime;
using static TorchSharp.torch;

namespace TextSSL.Tests.Modeling;

public class TransformerTests
{
    [OneTimeSetUp]
    public void LoadTorch() => TorchRuntime.EnsureLoaded();

    private static Transformer Tiny(ModelKind kind, PositionKind positions = PositionKind.Learned)
    {
        manual_seed(0);
        return new Transformer(TransformerConfig.Preset("tiny", kind, vocabSize: 50) with { Positions = positions });
    }

    [TestCase(PositionKind.Learned)]
    [TestCase(PositionKind.Rotary)]
    public void Decoder_output_at_a_position_never_depends_on_later_tokens(PositionKind positions)
    {
        using var model = Tiny(ModelKind.Decoder, positions);
        model.eval();
        using var ids = randint(0, 50, [2, 16], dtype: ScalarType.Int64);
        using var changed = ids.clone();
        changed[.., 10] = (changed[.., 10] + 1) % 50;
        using var a = model.forward(ids);
        using var b = model.forward(changed);
        Assert.That(a[.., ..10].allclose(b[.., ..10]), Is.True, "positions before the change moved");
        Assert.That(a[.., 10..].allclose(b[.., 10..]), Is.False, "the changed position had no effect at all");
    }

    [Test]
    public void Encoder_padding_mask_makes_padded_positions_invisible()
    {
        using var model = Tiny(ModelKind.Encoder);
        model.eval();
        using var ids = randint(0, 50, [1, 12], dtype: ScalarType.Int64);
        using var mask = ones(1, 12, ScalarType.Bool);
        mask[0, 8..] = false;
        using var other = ids.clone();
        other[0, 8..] = (other[0, 8..] + 3) % 50;
        using var a = model.Forward(ids, mask);
        using var b = model.Forward(other, mask);
        Assert.That(a[0, ..8].allclose(b[0, ..8], rtol: 1e-5, atol: 1e-6), Is.True);
    }

    [Test]
    public void Encoder_sees_later_tokens()
    {
        using var model = Tiny(ModelKind.Encoder);
        model.eval();
        using var ids = randint(0, 50, [1, 12], dtype: ScalarType.Int64);
        using var other = ids.clone();
        other[0, 11] = (other[0, 11] + 1) % 50;
        using var a = model.forward(ids);
        using var b = model.forward(other);
        Assert.That(a[0, 0].allclose(b[0, 0]), Is.False);
    }

    [TestCase(PositionKind.Learned)]
    [TestCase(PositionKind.Rotary)]
    public void Kv_cached_decoding_equals_full_forward(PositionKind positions)
    {
        using var model = Tiny(ModelKind.Decoder, positions);
        model.eval();
        using var _ = no_grad();
        using var ids = randint(0, 50, [2, 10], dtype: ScalarType.Int64);
        using var full = model.forward(ids);
        using var cache = new KvCache(model.Config.Layers);
        using var prefill = model.Forward(ids[.., ..6], cache: cache);
        using var chunk = model.Forward(ids[.., 6..8], cache: cache);
        using var step = model.Forward(ids[.., 8..9], cache: cache);
        using var step2 = model.Forward(ids[.., 9..10], cache: cache);
        using var stitched = cat([prefill, chunk, step, step2], 1);
        Assert.That(stitched.allclose(full, rtol: 1e-4, atol: 1e-5), Is.True);
        Assert.That(cache.Length, Is.EqualTo(10));
    }

    [Test]
    public void Parameter_count_of_char_small_matches_the_nanoGPT_shape()
    {
        // 4 layers × (4·128² attn + 8·128² mlp + 2·128 ln) + 65·128 wte + 64·128 wpe + 128 ln_f (no biases)
        using var model = new Transformer(TransformerConfig.Preset("char-small", vocabSize: 65));
        const long expected = 4 * (12L * 128 * 128 + 2 * 128) + 65 * 128 + 64 * 128 + 128;
        Assert.That(model.ParameterCount, Is.EqualTo(expected));
    }

    [Test]
    public void Unknown_preset_is_a_clear_error() =>
        Assert.That(() => TransformerConfig.Preset("huge"), Throws.InstanceOf<TextSslException>().With.Message.Contains("char-small"));
}
