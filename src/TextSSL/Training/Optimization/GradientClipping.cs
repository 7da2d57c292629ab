using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TextSSL.Training.Optimization;

/// <summary>Clips the global gradient norm.</summary>
public static class GradientClipping
{
    /// <summary>
    /// Scales every gradient so that their joint L2 norm is at most <paramref name="maxNorm"/>; returns the
    /// norm before clipping as a 0-d tensor on the parameters' device (no host synchronisation).
    /// </summary>
    public static Tensor ClipGradNorm(IReadOnlyList<Parameter> parameters, double maxNorm)
    {
        var norm = nn.utils.clip_grad_norm_(parameters, maxNorm);
        return tensor(norm);
    }
}
