using System.Runtime.InteropServices;

namespace TextSSL.Runtime;

/// <summary>
/// glibc's malloc settings for libtorch's CPU tensors. libtorch allocates every CPU tensor with <c>posix_memalign</c>
/// and frees it when the tensor dies, so a training step allocates and frees its activations and gradients each time.
/// TextSSL's work runs on .NET thread-pool threads, whose malloc arenas give freed memory back to the kernel
/// (<c>madvise</c>) whenever their top exceeds the trim threshold, and blocks above the mmap threshold are mapped
/// and unmapped per allocation: the next step then page-faults the same memory in again. PyTorch's Python loop runs
/// on the main thread, whose heap keeps it. Raising both thresholds keeps freed tensor memory in the process for reuse.
/// </summary>
internal static class NativeHeap
{
    /// <summary>Blocks up to this size come from the heap instead of their own mapping (glibc's maximum on 64-bit).</summary>
    public const int MmapThreshold = 32 << 20;

    /// <summary>Free memory at the top of a heap is given back to the kernel only above this.</summary>
    public const int TrimThreshold = 128 << 20;

    private const int MTrimThreshold = -1, MMmapThreshold = -3;

    [DllImport("libc", EntryPoint = "mallopt")]
    private static extern int MallOpt(int parameter, int value);

    /// <summary>What was done, for the environment report.</summary>
    public static string State { get; private set; } = "left as is (the application did not ask to tune it)";

    /// <summary>
    /// Raises the thresholds once per process on Linux with glibc, unless <c>GLIBC_TUNABLES</c> or a <c>MALLOC_*</c>
    /// variable already sets malloc's behaviour (the user's settings win).
    /// </summary>
    public static void Tune()
    {
        if (!OperatingSystem.IsLinux()) { State = "left as is (not Linux)"; return; }
        var tunables = Environment.GetEnvironmentVariable("GLIBC_TUNABLES") ?? "";
        var userSet = tunables.Contains("glibc.malloc.", StringComparison.Ordinal) ||
                      Environment.GetEnvironmentVariables().Keys.OfType<string>().Any(k => k.StartsWith("MALLOC_", StringComparison.Ordinal));
        if (userSet) { State = "left as is (GLIBC_TUNABLES or MALLOC_* sets malloc)"; return; }
        try
        {
            var ok = MallOpt(MMmapThreshold, MmapThreshold) == 1 & MallOpt(MTrimThreshold, TrimThreshold) == 1;
            State = ok ? $"glibc malloc: mmap threshold {MmapThreshold >> 20} MiB, trim threshold {TrimThreshold >> 20} MiB" : "left as is (mallopt refused the thresholds)";
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException) { State = "left as is (no glibc mallopt)"; }
    }
}
