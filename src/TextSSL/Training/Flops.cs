using TextSSL.Modeling;
using TextSSL.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace TextSSL.Training;

/// <summary>Model FLOPs per token and device peaks, for the MFU (model FLOPs utilisation) estimate.</summary>
public static class Flops
{
    /// <summary>
    /// Training FLOPs per token, forward and backward (the PaLM appendix estimate nanoGPT uses):
    /// 6·N for the weights plus 12·layers·width·T for attention scores and values.
    /// </summary>
    public static double PerToken(TransformerConfig config, long parameterCount, int blockSize) =>
        6.0 * parameterCount + 12.0 * config.Layers * config.Dim * blockSize;

    /// <summary>
    /// A stated peak for the device in FLOP/s, or null when unknown. CUDA: dense bf16 (or TF32) peaks of H100/H200 and
    /// A100 by name. CPU: threads × 2.5 GHz × 32 fp32 FLOPs per cycle (two AVX2 FMA units) — a rough figure;
    /// pass your own with <c>--peak-tflops</c>.
    /// </summary>
    public static double? PeakFlops(Device device, ScalarType computeDtype)
    {
        if (device.type == DeviceType.CPU) return get_num_threads() * 2.5e9 * 32;
        if (device.type != DeviceType.CUDA) return null;
        var name = EnvironmentReport.Gather().CudaDevices.ElementAtOrDefault(device.index < 0 ? 0 : device.index) ?? "";
        var bf16 = computeDtype == ScalarType.BFloat16;
        if (name.Contains("H100", StringComparison.Ordinal) || name.Contains("H200", StringComparison.Ordinal)) return bf16 ? 989e12 : 495e12;
        if (name.Contains("A100", StringComparison.Ordinal)) return bf16 ? 312e12 : 156e12;
        return null;
    }
}
