using System.Diagnostics;
using TextSSL.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace TextSSL.Benchmarks;

/// <summary>One matrix-product measurement on the CPU.</summary>
/// <param name="Library">The library fp32 products went to (the choice in force while it ran).</param>
/// <param name="Dtype">fp32 or bf16.</param>
/// <param name="Threads">libtorch threads.</param>
/// <param name="Size">n of the n×n by n×n product.</param>
/// <param name="Gflops">2n³ / median product time, in GFLOPS.</param>
public sealed record GemmResult(CpuMatmulChoice Library, string Dtype, int Threads, int Size, double Gflops);

/// <summary>
/// The CPU figures behind <c>textssl bench cpu</c>: how fast libtorch multiplies matrices here (fp32 through each
/// library, bf16), so a slow trainer step can be told apart from a slow BLAS.
/// </summary>
public static class CpuBenchmark
{
    /// <summary>
    /// Times <paramref name="repeats"/> n×n products of random <paramref name="dtype"/> matrices on
    /// <paramref name="threads"/> threads with fp32 products sent to <paramref name="library"/>, after three warm-up
    /// products, and returns GFLOPS from the median product time. libtorch's settings are restored afterwards.
    /// </summary>
    public static GemmResult Gemm(ScalarType dtype, CpuMatmul library, int threads, int n = 1024, int repeats = 10, CancellationToken ct = default)
    {
        OptionException.CheckRange("Size", n, 16, 16_384);
        OptionException.CheckRange("Repeats", repeats, 1, 100_000);
        using var runtime = TorchRuntime.Configure(threads, tf32: null, library);
        var choice = TorchRuntime.CpuMatmulInUse;
        using var scope = NewDisposeScope();
        var a = randn(n, n).to(dtype);
        var b = randn(n, n).to(dtype);
        for (var i = 0; i < 3; i++) a.matmul(b).Dispose();
        var times = new List<double>(repeats);
        var watch = new Stopwatch();
        for (var i = 0; i < repeats; i++)
        {
            ct.ThrowIfCancellationRequested();
            watch.Restart();
            a.matmul(b).Dispose();
            times.Add(watch.Elapsed.TotalSeconds);
        }
        return new GemmResult(choice, ComputeDtypes.Name(dtype), threads, n, 2.0 * n * n * n / Stats.Median(times) / 1e9);
    }

    /// <summary>The GEMM results as a table.</summary>
    public static BenchTable ToTable(IEnumerable<GemmResult> results)
    {
        var table = new BenchTable("bench cpu: matrix products", "dtype", "fp32 products through", "threads", "size", "GFLOPS");
        foreach (var r in results)
            table.AddRow([r.Dtype, r.Dtype == "fp32" ? LibraryName(r.Library.InUse) : "oneDNN (bf16 always)", r.Threads, $"{r.Size}²", r.Gflops], digits: 1);
        return table;
    }

    /// <summary>oneDNN, oneDNN for Linear layers, or BLAS.</summary>
    public static string LibraryName(CpuMatmul library) => library == CpuMatmul.Blas ? "BLAS (MKL)" : CpuMatmulChoice.Describe(library);
}
