using System.Reflection;
using System.Runtime.InteropServices;
using TorchSharp;

namespace TextSSL.Runtime;

/// <summary>
/// Loads libtorch once per process and turns TorchSharp's native-load failures into actionable errors.
/// </summary>
/// <remarks>
/// With the <c>external</c> backend, libtorch comes from an existing install: the directory named by
/// <c>TEXTSSL_LIBTORCH</c>, else the one <c>python3 -c "import torch"</c> reports. Its libraries are
/// loaded by absolute path before TorchSharp initialises, so only that copy is ever mapped.
/// </remarks>
public static class TorchRuntime
{
    private static readonly Lazy<NativeLoadResult> Loaded = new(LoadCore, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>The libtorch backend this build was compiled for (cpu, cpu-all, cuda or external).</summary>
    public static string Backend =>
        typeof(TorchRuntime).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == "TorchBackend")?.Value ?? "unknown";

    /// <summary>Loads libtorch if needed and throws <see cref="NativeLoadException"/> with advice when it cannot.</summary>
    public static void EnsureLoaded()
    {
        var result = Loaded.Value;
        if (!result.Ok) throw new NativeLoadException(result.Problem!, result.Advice!, result.Cause);
    }

    /// <summary>
    /// Sets libtorch's process-wide settings for a piece of work and restores them when the returned scope is disposed:
    /// the CPU thread count (null leaves it), whether fp32 products may use TF32 tensor cores on CUDA (null leaves
    /// it; TF32 keeps fp32 storage with 10-bit-mantissa products, as PyTorch users enable), and which library runs fp32
    /// products on the CPU (null leaves the choice made at start-up, see <see cref="CpuMatmul"/>). The library changes
    /// these only through this scope.
    /// </summary>
    /// <param name="threads">libtorch intra-op threads, 1 to 4,096; null keeps the current count.</param>
    /// <param name="tf32">TF32 products on CUDA; null keeps the current setting.</param>
    /// <param name="cpuMatmul">The CPU matmul library; null keeps the current one. Auto defers to <c>TEXTSSL_CPU_MATMUL</c> when it names a library.</param>
    /// <param name="modelWidth">The hidden width of the model about to run, which auto takes into account (<see cref="CpuMatmulChoice.Resolve"/>).</param>
    /// <exception cref="OptionException"><paramref name="threads"/> is out of range (named <c>Threads</c>).</exception>
    public static IDisposable Configure(int? threads, bool? tf32, CpuMatmul? cpuMatmul = null, int? modelWidth = null)
    {
        if (threads is { } n) OptionException.CheckRange("Threads", n, 1, 4096);
        EnsureLoaded();
        var scope = new SettingsScope(torch.get_num_threads(), torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32, _cpuMatmul);
        if (threads is { } t) torch.set_num_threads(t);
        if (tf32 is { } on)
        {
            torch.backends.cuda.matmul.allow_tf32 = on;
            torch.backends.cudnn.allow_tf32 = on;
        }
        if (cpuMatmul is { } library) ApplyCpuMatmul(library == CpuMatmul.Auto ? _startupRequest : library, modelWidth);
        return scope;
    }

    /// <summary>
    /// Which library runs fp32 products on the CPU now, and why. Chosen when libtorch loads — automatically from the
    /// processor (<see cref="CpuMatmulChoice.Resolve"/>) unless the <c>TEXTSSL_CPU_MATMUL</c> environment variable says
    /// blas, onednn or linear — and for a piece of work by <see cref="Configure"/>, which knows the model's width.
    /// </summary>
    public static CpuMatmulChoice CpuMatmulInUse
    {
        get
        {
            EnsureLoaded();
            return _cpuMatmul!;
        }
    }

    /// <summary>How the native heap that holds libtorch's CPU tensors is set up (<see cref="TuneNativeHeap"/>).</summary>
    public static string NativeHeapSettings => NativeHeap.State;

    /// <summary>
    /// Raises glibc's malloc thresholds for this process so that CPU tensor memory freed after a training step is reused
    /// instead of being given back to the kernel and page-faulted in again (about 15% of a small model's step here). A
    /// process-wide change the library never makes on its own: an application (the textssl command) calls it once at
    /// start-up. Leaves malloc as it is where <c>GLIBC_TUNABLES</c> or a <c>MALLOC_*</c> variable sets it, or off glibc.
    /// </summary>
    public static void TuneNativeHeap() => NativeHeap.Tune();

    /// <summary>The processor, as read at start-up.</summary>
    public static CpuFeatures Cpu => CpuInfo.Value;

    private static readonly Lazy<CpuFeatures> CpuInfo = new(CpuFeatures.Detect);
    private static CpuMatmulChoice? _cpuMatmul;
    private static int _oneDnnDefaultPrecision;

    private static CpuMatmul _startupRequest = CpuMatmul.Auto;

    private static void ApplyCpuMatmul(CpuMatmul requested, int? modelWidth = null) =>
        RestoreCpuMatmul(CpuMatmulChoice.Resolve(requested, Cpu, OneDnnMatmul.Reachable, modelWidth));

    private static void RestoreCpuMatmul(CpuMatmulChoice choice)
    {
        if (OneDnnMatmul.Reachable) OneDnnMatmul.Set(choice.InUse == CpuMatmul.OneDnn ? OneDnnMatmul.Bf16 : _oneDnnDefaultPrecision);
        OneDnnMatmul.ForLinearLayers = OneDnnMatmul.Reachable && choice.InUse == CpuMatmul.Linear;
        _cpuMatmul = choice;
    }

    private static void ChooseCpuMatmulAtStartup()
    {
        if (OneDnnMatmul.Reachable) _oneDnnDefaultPrecision = OneDnnMatmul.Get();
        var spelled = Environment.GetEnvironmentVariable(CpuMatmulChoice.EnvironmentVariable);
        CpuMatmul requested;
        try { requested = CpuMatmulChoice.Parse(CpuMatmulChoice.EnvironmentVariable, spelled); }
        catch (OptionException)
        {
            ApplyCpuMatmul(CpuMatmul.Auto);
            _cpuMatmul = _cpuMatmul! with { Reason = $"{_cpuMatmul.Reason}; {CpuMatmulChoice.EnvironmentVariable}='{spelled}' ignored, not one of {string.Join(", ", CpuMatmulChoice.Names)}" };
            return;
        }
        _startupRequest = requested;
        ApplyCpuMatmul(requested);
    }

    private sealed class SettingsScope(int threads, bool matmulTf32, bool cudnnTf32, CpuMatmulChoice? cpuMatmul) : IDisposable
    {
        private bool _disposed;

        public void Dispose()
        {
            if (_disposed) return;
            _disposed = true;
            if (torch.get_num_threads() != threads) torch.set_num_threads(threads);
            torch.backends.cuda.matmul.allow_tf32 = matmulTf32;
            torch.backends.cudnn.allow_tf32 = cudnnTf32;
            if (cpuMatmul is not null && cpuMatmul != _cpuMatmul) RestoreCpuMatmul(cpuMatmul);
        }
    }

    /// <summary>Loads libtorch if needed and reports what happened, without throwing.</summary>
    public static NativeLoadResult TryLoad() => Loaded.Value;

    private static NativeLoadResult LoadCore()
    {
        string? externalDir = null;
        if (Backend == "external")
        {
            externalDir = ExternalLibTorch.Locate();
            if (externalDir is null)
                return NativeLoadResult.Failed(
                    "this build uses the 'external' libtorch backend, but no libtorch was found.",
                    "Set TEXTSSL_LIBTORCH to a directory holding libtorch.so (for PyTorch: <site-packages>/torch/lib), " +
                    "or install PyTorch so that `python3 -c \"import torch\"` works.", null, null);
            ExternalLibTorch.Preload(externalDir);
        }

        try
        {
            // Touching any torch API runs TorchSharp's static initialiser, which loads the natives.
            _ = torch.cuda.is_available();
            _ = torch.ones(1).sum().item<float>();
            ChooseCpuMatmulAtStartup();
            return NativeLoadResult.Success(externalDir ?? LocateLoadedLibTorch());
        }
        catch (Exception ex) when (ex is TypeInitializationException or DllNotFoundException or NotSupportedException or EntryPointNotFoundException)
        {
            var (problem, advice) = Diagnose(ex);
            return NativeLoadResult.Failed(problem, advice, ex, externalDir);
        }
    }

    /// <summary>Explains a native-load failure: what is missing and what to run.</summary>
    public static (string Problem, string Advice) Diagnose(Exception ex) =>
        Diagnose(ex, !OperatingSystem.IsLinux() || LibStdCxx.HasGlibcxx3432());

    internal static (string Problem, string Advice) Diagnose(Exception ex, bool libStdCxxOk)
    {
        if (!libStdCxxOk)
            return ("libtorch could not be loaded: TorchSharp's native wrapper needs GLIBCXX_3.4.32 " +
                    $"(libstdc++ of GCC 13+), and '{LibStdCxx.ResolvedPath() ?? "libstdc++.so.6"}' does not provide it.",
                    "Run tools/setup.sh (on Debian 12 it installs Debian 13's libstdc++6 through a low-pinned apt source; " +
                    "elsewhere it says what to install).");
        var inner = ex;
        while (inner.InnerException is not null) inner = inner.InnerException;
        return ($"libtorch could not be loaded ({Backend} backend): {inner.Message.Split('\n')[0]}",
                Backend == "external"
                    ? "Check that TEXTSSL_LIBTORCH (or PyTorch's torch/lib) holds a libtorch matching TorchSharp 0.107 (libtorch 2.10+)."
                    : "Rebuild with `dotnet build` so the libtorch package is restored, then check the environment report (doctor).");
    }

    private static string? LocateLoadedLibTorch()
    {
        if (!OperatingSystem.IsLinux()) return null;
        try
        {
            foreach (var line in File.ReadLines("/proc/self/maps"))
            {
                var idx = line.IndexOf('/');
                if (idx >= 0 && line.Contains("libtorch_cpu.so", StringComparison.Ordinal))
                    return Path.GetDirectoryName(line[idx..]);
            }
        }
        catch (IOException) { }
        return null;
    }
}

/// <summary>The outcome of loading libtorch.</summary>
/// <param name="Ok">Whether libtorch is usable.</param>
/// <param name="LibTorchDirectory">Where libtorch was loaded from, when known.</param>
/// <param name="Problem">What went wrong, when it did.</param>
/// <param name="Advice">What to run or change, when it went wrong.</param>
/// <param name="Cause">The underlying exception, when there was one.</param>
public sealed record NativeLoadResult(bool Ok, string? LibTorchDirectory, string? Problem, string? Advice, Exception? Cause)
{
    internal static NativeLoadResult Success(string? dir) => new(true, dir, null, null, null);
    internal static NativeLoadResult Failed(string problem, string advice, Exception? cause, string? dir) => new(false, dir, problem, advice, cause);
}

/// <summary>libtorch cannot be loaded; the message says what is missing and what to run.</summary>
public sealed class NativeLoadException(string problem, string advice, Exception? cause)
    : TextSslException($"{problem}\n  what to do: {advice}", cause ?? new InvalidOperationException(problem))
{
    /// <summary>What is missing.</summary>
    public string Problem { get; } = problem;

    /// <summary>What to run or change.</summary>
    public string Advice { get; } = advice;
}

internal static class LibStdCxx
{
    public static string? ResolvedPath()
    {
        foreach (var candidate in new[] { "/lib/x86_64-linux-gnu/libstdc++.so.6", "/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/usr/lib64/libstdc++.so.6", "/usr/lib/libstdc++.so.6" })
            if (File.Exists(candidate)) return candidate;
        return null;
    }

    public static bool HasGlibcxx3432()
    {
        var path = ResolvedPath();
        if (path is null) return true; // not a glibc system we know how to inspect; let the loader speak
        var needle = "GLIBCXX_3.4.32"u8.ToArray();
        var bytes = File.ReadAllBytes(path);
        return bytes.AsSpan().IndexOf(needle) >= 0;
    }
}

internal static class ExternalLibTorch
{
    public static string? Locate()
    {
        var fromEnv = Environment.GetEnvironmentVariable("TEXTSSL_LIBTORCH");
        if (!string.IsNullOrWhiteSpace(fromEnv)) return Directory.Exists(fromEnv) ? Path.GetFullPath(fromEnv) : null;
        // The GPU recipe (tools/gpu-bench.sh) puts PyTorch's torch/lib on LD_LIBRARY_PATH; take it from there before asking python3.
        foreach (var dir in (Environment.GetEnvironmentVariable("LD_LIBRARY_PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
            if (File.Exists(Path.Combine(dir, "libtorch_cpu.so"))) return Path.GetFullPath(dir);
        try
        {
            using var p = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("python3", "-c \"import torch,os;print(os.path.dirname(torch.__file__))\"")
            { RedirectStandardOutput = true, RedirectStandardError = true })!;
            var output = p.StandardOutput.ReadToEnd().Trim();
            p.WaitForExit();
            var lib = Path.Combine(output, "lib");
            return p.ExitCode == 0 && Directory.Exists(lib) ? lib : null;
        }
        catch (System.ComponentModel.Win32Exception) { return null; }
    }

    public static void Preload(string dir)
    {
        // Order matters: each library's dependencies first, so every later load finds them by soname.
        foreach (var name in new[] { "libc10.so", "libc10_cuda.so", "libtorch_cpu.so", "libtorch_cuda.so", "libtorch.so" })
        {
            var path = Path.Combine(dir, name);
            if (File.Exists(path)) NativeLibrary.TryLoad(path, out _);
        }
    }
}
