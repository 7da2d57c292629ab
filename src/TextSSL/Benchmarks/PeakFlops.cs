using TextSSL.Modeling;
using static TorchSharp.torch;

namespace TextSSL.Benchmarks;

/// <summary>Model FLOPs per token and the dense peak throughput MFU is measured against.</summary>
public static class PeakFlops
{
    // Dense (no sparsity) tensor-core peaks in TFLOPS from the vendors' data sheets: (name fragment, bf16, tf32).
    // More specific names first: "H100 PCIe" must win over "H100".
    private static readonly (string Name, double Bf16, double Tf32)[] Known =
    [
        ("H100 PCIe", 756.0, 378.0),
        ("H100 NVL", 835.0, 417.5),
        ("H100", 989.4, 494.7),
        ("H200", 989.4, 494.7),
        ("A100", 312.0, 156.0),
        ("L40S", 362.1, 183.1),
        ("L4", 121.0, 60.0),
    ];

    /// <summary>
    /// The data-sheet peak of a CUDA device for the compute dtype (bf16/fp16 → 16-bit tensor cores, fp32 → TF32),
    /// or <see langword="null"/> when the card is not in the table (then pass <c>--peak-tflops</c>).
    /// </summary>
    public static double? ForDevice(string? deviceName, ScalarType computeDtype)
    {
        if (string.IsNullOrEmpty(deviceName)) return null;
        foreach (var (name, bf16, tf32) in Known)
            if (deviceName.Contains(name, StringComparison.OrdinalIgnoreCase))
                return computeDtype == ScalarType.Float32 ? tf32 : bf16;
        return null;
    }

    /// <summary>
    /// Training FLOPs per token, nanoGPT's estimate (PaLM appendix B): 6·N for the matrix products of forward and
    /// backward plus 12·L·H·Q·T for attention, where N counts the parameters that take part in products
    /// (lookup-only embeddings excluded: positions always, the token embedding when the head is untied).
    /// </summary>
    public static double PerToken(TransformerConfig config, long parameterCount, int sequenceLength)
    {
        var lookupOnly = 0L;
        if (config.Positions == PositionKind.Learned) lookupOnly += (long)config.BlockSize * config.Dim;
        if (!config.TiedEmbeddings) lookupOnly += (long)config.VocabSize * config.Dim;
        var n = parameterCount - lookupOnly;
        return 6.0 * n + 12.0 * config.Layers * config.Heads * config.HeadDim * sequenceLength;
    }
}
