namespace TextSSL.Runtime;

/// <summary>Which library runs fp32 matrix products on the CPU.</summary>
public enum CpuMatmul
{
    /// <summary>
    /// oneDNN where the CPU is one whose MKL kernels run at half speed (AMD with AVX-512, no AMX): for every product in
    /// models at least <see cref="CpuMatmulChoice.OneDnnMinWidth"/> wide, for the Linear layers' products only
    /// (<see cref="Linear"/>) in narrower ones; else the BLAS. The <c>TEXTSSL_CPU_MATMUL</c> environment variable, when
    /// set to blas, onednn or linear, decides instead.
    /// </summary>
    Auto,
    /// <summary>libtorch's BLAS (MKL in the bundled libtorch): products bit for bit as PyTorch computes them by default.</summary>
    Blas,
    /// <summary>
    /// oneDNN (libtorch's <c>mkldnn</c> matmul precision set to bf16): on CPUs without AMX oneDNN keeps fp32 arithmetic
    /// and picks AVX-512 kernels by instruction set, not vendor; on CPUs with AMX it computes in bf16 (reduced precision).
    /// </summary>
    OneDnn,
    /// <summary>
    /// oneDNN for the model's Linear layers only (their forward and backward products, switched on around each of them),
    /// libtorch's BLAS for every other product, among them the many tiny ones inside the CPU attention kernel, whose
    /// per-call cost is lower in the BLAS. fp32 arithmetic without AMX, as <see cref="OneDnn"/>.
    /// </summary>
    Linear,
}
