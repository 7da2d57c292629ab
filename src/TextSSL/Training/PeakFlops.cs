using TextSSL.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace TextSSL.Training;

/// <summary>
/// The one table of device peaks that MFU (model FLOPs utilisation) is measured against, for <c>train</c> and the
/// benchmarks alike; the FLOPs side is <see cref="Modeling.TransformerConfig.FlopsPerToken"/>.
/// </summary>
internal static class PeakFlops
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
    /// The data-sheet peak of a CUDA device, in TFLOPS, for the compute dtype (bf16/fp16 → 16-bit tensor cores,
    /// fp32 → TF32), or <see langword="null"/> when the card is not in the table.
    /// </summary>
    /// <param name="deviceName">The CUDA device's name as the driver reports it (e.g. <c>NVIDIA H100 80GB HBM3</c>).</param>
    /// <param name="computeDtype">The dtype of the matrix products.</param>
    public static double? ForDeviceName(string? deviceName, ScalarType computeDtype)
    {
        if (string.IsNullOrEmpty(deviceName)) return null;
        foreach (var (name, bf16, tf32) in Known)
            if (deviceName.Contains(name, StringComparison.OrdinalIgnoreCase))
                return computeDtype == ScalarType.Float32 ? tf32 : bf16;
        return null;
    }

    /// <summary>
    /// A rough CPU peak in TFLOPS: <paramref name="threads"/> × 2.5 GHz × 32 fp32 FLOPs per cycle (two AVX2 FMA units).
    /// Pass a measured figure instead where it matters.
    /// </summary>
    public static double ForCpu(int threads) => threads * 2.5e9 * 32 / 1e12;

    /// <summary>
    /// The peak of <paramref name="device"/> in TFLOPS: the table for CUDA (looked up by the device's name), the rough
    /// estimate of <see cref="ForCpu"/> on the CPU, else <see langword="null"/>.
    /// </summary>
    public static double? ForDevice(Device device, ScalarType computeDtype)
    {
        if (device.type == DeviceType.CPU) return ForCpu(get_num_threads());
        if (device.type != DeviceType.CUDA) return null;
        return ForDeviceName(EnvironmentReport.Gather().CudaDevices.ElementAtOrDefault(Math.Max(device.index, 0)), computeDtype);
    }

    /// <summary>Model FLOPs utilisation (0..1): achieved model FLOP/s over the peak.</summary>
    /// <param name="flopsPerToken">From <see cref="Modeling.TransformerConfig.FlopsPerToken"/>.</param>
    /// <param name="tokensPerSecond">Training tokens processed per second.</param>
    /// <param name="peakTflops">The device's peak, in TFLOPS.</param>
    public static double Mfu(double flopsPerToken, double tokensPerSecond, double peakTflops) =>
        flopsPerToken * tokensPerSecond / (peakTflops * 1e12);
}
