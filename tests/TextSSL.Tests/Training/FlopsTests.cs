using TextSSL.Modeling;
using TextSSL.Training;
using static TorchSharp.torch;

namespace TextSSL.Tests.Training;

/// <summary>The one FLOPs-per-token formula and the one peak table behind every MFU figure.</summary>
public class FlopsTests
{
    [Test]
    public void Flops_per_token_of_char_small_by_hand()
    {
        // char-small, vocab 65, learned positions, tied: N = 65·128 (embedding = head) + 64·128 (positions, lookup only)
        // + 4 blocks × (2 LayerNorm gains 256 + attention 4·128² + MLP 8·128²) + final LayerNorm 128.
        var config = TransformerConfig.Preset("char-small", vocabSize: 65);
        var total = 65L * 128 + 64 * 128 + 4 * (256 + 12 * 128 * 128) + 128;
        var n = total - 64 * 128;
        Assert.That(config.FlopsPerToken(total, 64), Is.EqualTo(6.0 * n + 12.0 * 4 * 4 * 32 * 64));
        // Rotary positions have no table: nothing is left out.
        Assert.That((config with { Positions = PositionKind.Rotary }).FlopsPerToken(total, 64), Is.EqualTo(6.0 * total + 12.0 * 4 * 4 * 32 * 64));
    }

    [Test]
    public void The_formula_counts_a_real_models_parameters_like_nanoGPT()
    {
        using var model = new Transformer(TransformerConfig.Preset("tiny", vocabSize: 40));
        var c = model.Config;
        var expected = 6.0 * (model.ParameterCount - (long)c.BlockSize * c.Dim) + 12.0 * c.Layers * c.Dim * 32;
        Assert.That(c.FlopsPerToken(model.ParameterCount, 32), Is.EqualTo(expected));
    }

    [Test]
    public void Peak_lookup_prefers_the_more_specific_name_and_knows_the_cpu_estimate()
    {
        Assert.That(PeakFlops.ForDeviceName("NVIDIA H200", ScalarType.BFloat16), Is.EqualTo(989.4));
        Assert.That(PeakFlops.ForDeviceName("NVIDIA H100 PCIe", ScalarType.BFloat16), Is.EqualTo(756.0));
        Assert.That(PeakFlops.ForDeviceName("NVIDIA A100-SXM4-80GB", ScalarType.Float32), Is.EqualTo(156.0));
        Assert.That(PeakFlops.ForDeviceName(null, ScalarType.Float32), Is.Null);
        Assert.That(PeakFlops.ForCpu(2), Is.EqualTo(0.16).Within(1e-12));
        Assert.That(PeakFlops.ForDevice(CPU, ScalarType.Float32), Is.EqualTo(PeakFlops.ForCpu(get_num_threads())));
        Assert.That(PeakFlops.Mfu(1e9, 500, 2.0), Is.EqualTo(0.25).Within(1e-15));
    }
}
