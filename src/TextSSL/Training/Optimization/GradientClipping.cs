using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TextSSL.Training.Optimization;

/// <summary>Clips the global gradient norm.</summary>
internal static class GradientClipping
{
    // The same guard as PyTorch's clip_grad_norm_, so both implementations scale identically.
    private const double NormEpsilon = 1e-6;

    /// <summary>
    /// Scales every gradient so that their joint L2 norm is at most <paramref name="maxNorm"/>; returns the
    /// norm before clipping as a 0-d tensor on the gradients' device. Multi-tensor kernels (norms, one stack,
    /// one scale), and no host synchronisation: the norm stays on the device until someone reads it.
    /// </summary>
    /// <remarks>Parameters without a gradient are skipped; with none at all the norm is 0 and nothing changes.</remarks>
    public static Tensor ClipGradNorm(IReadOnlyList<Parameter> parameters, double maxNorm)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var grads = new List<Tensor>(parameters.Count);
        try
        {
            foreach (var p in parameters)
                if (p.grad is { } g) grads.Add(g);
            if (grads.Count == 0) return zeros([], ScalarType.Float32, parameters.Count > 0 ? parameters[0].device : CPU);
            using var max = maxNorm.ToScalar();
            using var eps = NormEpsilon.ToScalar();
            using var _ = no_grad();
            return TorchScriptKernels.ClipGradNorm(grads.ToArray(), max, eps);
        }
        finally
        {
            foreach (var g in grads) g.Dispose();
        }
    }

    /// <summary>
    /// The reference: TorchSharp's <c>nn.utils.clip_grad_norm_</c>, one kernel chain per gradient and a host
    /// synchronisation to return the norm. Kept for tests and the benchmark's bare-TorchSharp step.
    /// </summary>
    public static Tensor ClipGradNormReference(IReadOnlyList<Parameter> parameters, double maxNorm)
    {
        var norm = nn.utils.clip_grad_norm_(parameters, maxNorm);
        return tensor(norm, ScalarType.Float32, parameters.Count > 0 ? parameters[0].device : CPU);
    }
}
