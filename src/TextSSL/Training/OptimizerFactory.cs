using TextSSL.Training.Optimization;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TextSSL.Training;

/// <summary>Which AdamW implementation updates the parameters.</summary>
public enum OptimizerKind
{
    /// <summary>libtorch's fused multi-tensor AdamW through TorchScript: one launch per step, state allocated once.</summary>
    Fused,
    /// <summary>
    /// TorchSharp's <c>optim.AdamW</c> with decayed and non-decayed groups — a reference: its process memory grows by
    /// about one copy of the parameters per step (measured with TorchSharp 0.107), so it suits short runs and tests only.
    /// </summary>
    Torch,
}

/// <summary>
/// The one place the trainer gets its optimizer and gradient clipping from, so another implementation of
/// <see cref="IParameterOptimizer"/> is a new case here and nothing else.
/// </summary>
internal static class OptimizerFactory
{
    /// <summary>Creates the AdamW of <paramref name="kind"/> over <paramref name="model"/>'s parameters (already on their device).</summary>
    /// <param name="kind">The implementation (<see cref="OptimizerKind.Fused"/> unless testing).</param>
    /// <param name="model">The model.</param>
    /// <param name="settings">Betas, epsilon and weight decay.</param>
    /// <param name="initialLearningRate">The first learning rate (the schedule sets it every step).</param>
    public static IParameterOptimizer Create(OptimizerKind kind, nn.Module model, AdamWSettings settings, double initialLearningRate) =>
        kind switch
        {
            OptimizerKind.Torch => new TorchAdamW(model, settings, initialLearningRate),
            _ => new FusedAdamW(model, settings),
        };

    /// <summary>Clips the global gradient norm to <paramref name="maxNorm"/>; returns the norm before clipping (0-d tensor).</summary>
    public static Tensor ClipGradNorm(IReadOnlyList<Parameter> parameters, double maxNorm) =>
        GradientClipping.ClipGradNorm(parameters, maxNorm);
}
