namespace TextSSL.Runtime;

/// <summary>Which library runs fp32 matrix products on the CPU.</summary>
public enum CpuMatmul
{
    /// <summary>
    /// oneDNN where the CPU is one whose MKL kernels run at half speed (AMD with AVX-512, no AMX) and the model is wide
    /// enough to gain from it (<see cref="CpuMatmulChoice.OneDnnMinWidth"/>), else the BLAS; the
    /// <c>TEXTSSL_CPU_MATMUL</c> environment variable, when set to blas or onednn, decides instead.
    /// </summary>
    Auto,
    /// <summary>libtorch's BLAS (MKL in the bundled libtorch): products bit for bit as PyTorch computes them by default.</summary>
    Blas,
    /// <summary>
    /// oneDNN (libtorch's <c>mkldnn</c> matmul precision set to bf16): on CPUs without AMX oneDNN keeps fp32 arithmetic
    /// and picks AVX-512 kernels by instruction set, not vendor; on CPUs with AMX it computes in bf16 (reduced precision).
    /// </summary>
    OneDnn,
}
