using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TextSSL.Training.Optimization;

/// <summary>TorchSharp's own <c>optim.AdamW</c> with two parameter groups (decayed, not decayed).</summary>
internal sealed class TorchAdamW : IParameterOptimizer
{
    private readonly AdamW _optimizer;

    /// <summary>Creates the optimizer over <paramref name="model"/>'s trainable parameters.</summary>
    public TorchAdamW(nn.Module model, AdamWSettings settings, double initialLearningRate)
    {
        var (decayed, notDecayed) = ParameterGroups.Split(model);
        var groups = new List<AdamW.ParamGroup>
        {
            new(decayed, new AdamW.Options { LearningRate = initialLearningRate, weight_decay = settings.WeightDecay, beta1 = settings.Beta1, beta2 = settings.Beta2, eps = settings.Epsilon }),
            new(notDecayed, new AdamW.Options { LearningRate = initialLearningRate, weight_decay = 0.0, beta1 = settings.Beta1, beta2 = settings.Beta2, eps = settings.Epsilon }),
        };
        _optimizer = optim.AdamW(groups, initialLearningRate, settings.Beta1, settings.Beta2, settings.Epsilon, settings.WeightDecay);
    }

    /// <inheritdoc/>
    public void Step(double learningRate)
    {
        foreach (var group in _optimizer.ParamGroups) group.LearningRate = learningRate;
        _optimizer.step();
    }

    /// <inheritdoc/>
    public void ZeroGrad() => _optimizer.zero_grad();

    /// <inheritdoc/>
    public void SaveState(string path) => _optimizer.save_state_dict(path);

    /// <inheritdoc/>
    public void LoadState(string path) => _optimizer.load_state_dict(path);

    /// <inheritdoc/>
    public void Dispose() => _optimizer.Dispose();
}
