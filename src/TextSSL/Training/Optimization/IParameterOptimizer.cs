namespace TextSSL.Training.Optimization;

/// <summary>
/// An optimizer as the trainer sees it: one update per call with the learning rate the schedule gives,
/// gradients zeroed between steps, and state that a checkpoint saves and restores exactly.
/// </summary>
internal interface IParameterOptimizer : IDisposable
{
    /// <summary>Applies one update to every parameter with <paramref name="learningRate"/>.</summary>
    void Step(double learningRate);

    /// <summary>Clears the gradients of every parameter.</summary>
    void ZeroGrad();

    /// <summary>Writes the optimizer's state (moments, step counts) to <paramref name="path"/>.</summary>
    void SaveState(string path);

    /// <summary>Restores state written by <see cref="SaveState"/>; the parameters must be the same, in the same order.</summary>
    void LoadState(string path);
}

/// <summary>AdamW hyper-parameters. Weight decay applies only to parameters with two or more dimensions.</summary>
/// <param name="WeightDecay">Decoupled weight decay for matrices and embeddings (TorchSharp's own default is 0).</param>
/// <param name="Beta1">First-moment decay.</param>
/// <param name="Beta2">Second-moment decay.</param>
/// <param name="Epsilon">Denominator guard.</param>
public sealed record AdamWSettings(double WeightDecay = 0.1, double Beta1 = 0.9, double Beta2 = 0.95, double Epsilon = 1e-8);
