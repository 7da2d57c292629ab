using TextSSL.Training.Optimization;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TextSSL.Training;

/// <summary>
/// The one place the trainer gets its optimizer and gradient clipping from, so another implementation of
/// <see cref="IParameterOptimizer"/> (a fused AdamW, say) is a new case here and nothing else.
/// </summary>
public static class OptimizerFactory
{
    /// <summary>The optimizer used when none is named.</summary>
    public const string Default = "fused";

    /// <summary>Names accepted by <see cref="Create"/>.</summary>
    public static IReadOnlyList<string> Names { get; } = ["fused", "torch"];

    /// <summary>Creates the named AdamW over <paramref name="model"/>'s parameters (already on their device).</summary>
    /// <param name="name"><c>fused</c> (default): libtorch's fused multi-tensor AdamW through TorchScript, one launch per step,
    /// state allocated once. <c>torch</c>: TorchSharp's <c>optim.AdamW</c> with decayed and non-decayed groups — a reference:
    /// its process memory grows by about one copy of the parameters per step (measured with TorchSharp 0.107), so it
    /// suits short runs and tests only.</param>
    /// <param name="model">The model.</param>
    /// <param name="settings">Betas, epsilon and weight decay.</param>
    /// <param name="initialLearningRate">The first learning rate (the schedule sets it every step).</param>
    /// <exception cref="TextSslException">Unknown name.</exception>
    public static IParameterOptimizer Create(string name, nn.Module model, AdamWSettings settings, double initialLearningRate) =>
        name switch
        {
            "fused" => new FusedAdamW(model, settings),
            "torch" => new TorchAdamW(model, settings, initialLearningRate),
            _ => throw new TextSslException($"unknown optimizer '{name}'. Choose one of: {string.Join(", ", Names)}."),
        };

    /// <summary>Clips the global gradient norm to <paramref name="maxNorm"/>; returns the norm before clipping (0-d tensor).</summary>
    public static Tensor ClipGradNorm(IReadOnlyList<Parameter> parameters, double maxNorm) =>
        GradientClipping.ClipGradNorm(parameters, maxNorm);
}
