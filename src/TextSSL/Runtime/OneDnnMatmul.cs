using System.Runtime.InteropServices;

namespace TextSSL.Runtime;

/// <summary>
/// libtorch's per-backend fp32 precision for oneDNN (<c>mkldnn</c>) matrix products, which TorchSharp does not bind:
/// <c>at::globalContext().setFloat32Precision(MKLDNN, MATMUL, p)</c>, the setting behind PyTorch's
/// <c>torch.backends.mkldnn.matmul.fp32_precision</c>. With bf16 precision, libtorch sends fp32 <c>mm</c>/<c>addmm</c>/<c>bmm</c>
/// (and its internal CPU GEMM) to oneDNN instead of the BLAS. Reached through libtorch_cpu's exported C++ symbols
/// (Itanium ABI, x86-64 Linux); the enums are passed as their integer values.
/// </summary>
internal static class OneDnnMatmul
{
    private const string Library = "libtorch_cpu.so";
    // at::Float32Backend { GENERIC, CUDA, MKLDNN }, at::Float32Op { ALL, CONV, RNN, MATMUL }, at::Float32Precision { NONE, IEEE, TF32, BF16 }
    private const int Mkldnn = 2, Matmul = 3;

    /// <summary>The precision that routes fp32 products through oneDNN.</summary>
    public const int Bf16 = 3;

    [DllImport(Library, EntryPoint = "_ZN2at13globalContextEv")]
    private static extern IntPtr GlobalContext();

    [DllImport(Library, EntryPoint = "_ZN2at7Context19setFloat32PrecisionENS_14Float32BackendENS_9Float32OpENS_16Float32PrecisionE")]
    private static extern void SetFloat32Precision(IntPtr context, int backend, int op, int precision);

    [DllImport(Library, EntryPoint = "_ZNK2at7Context16float32PrecisionENS_14Float32BackendENS_9Float32OpE")]
    private static extern int Float32Precision(IntPtr context, int backend, int op);

    /// <summary>
    /// Whether the loaded libtorch exposes the setting: Linux x64 with the libtorch bundled with this build (2.10).
    /// An external libtorch is left alone: libtorch throws a C++ exception for a (backend, op) pair it does not know,
    /// which would end the process, and the enums' values are only known for the bundled version.
    /// </summary>
    public static bool Reachable => Probe.Value;

    private static readonly Lazy<bool> Probe = new(() =>
    {
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64) return false;
        if (TorchRuntime.Backend is not ("cpu" or "cpu-all" or "cuda")) return false;
        try
        {
            var p = Float32Precision(GlobalContext(), Mkldnn, Matmul);
            return p is >= 0 and <= Bf16;
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException) { return false; }
    });

    /// <summary>The current precision of oneDNN products (0 none, 1 ieee, 2 tf32, 3 bf16).</summary>
    public static int Get() => Float32Precision(GlobalContext(), Mkldnn, Matmul);

    /// <summary>Sets the precision of oneDNN products (a value read by <see cref="Get"/>, or <see cref="Bf16"/>).</summary>
    public static void Set(int precision) => SetFloat32Precision(GlobalContext(), Mkldnn, Matmul, precision);

    /// <summary>
    /// Whether the model's Linear layers route their fp32 CPU products through oneDNN one by one
    /// (<see cref="CpuMatmul.Linear"/>), the setting being left at its default for every other product. Set with the
    /// choice (<see cref="TorchRuntime"/>).
    /// </summary>
    public static volatile bool ForLinearLayers;

    /// <summary>
    /// Sends fp32 products to oneDNN until disposed, then puts the previous setting back. The setting is
    /// process-wide: products another thread runs meanwhile go to oneDNN too (fp32 arithmetic either way without AMX).
    /// </summary>
    public static Routed RouteProducts()
    {
        var previous = Get();
        if (previous != Bf16) Set(Bf16);
        return new Routed(previous);
    }

    /// <summary>The scope <see cref="RouteProducts"/> returns.</summary>
    public readonly struct Routed(int previous) : IDisposable
    {
        /// <summary>Restores the precision found when the scope began.</summary>
        public void Dispose()
        {
            if (previous != Bf16) Set(previous);
        }
    }
}
