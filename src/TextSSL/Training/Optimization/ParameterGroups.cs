using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TextSSL.Training.Optimization;

/// <summary>Splits a model's parameters into those that get weight decay (≥ 2-D: matrices, embeddings) and those that do not (biases, LayerNorm gains).</summary>
internal static class ParameterGroups
{
    /// <summary>Both groups, each in the model's parameter order.</summary>
    public static (IReadOnlyList<Parameter> Decayed, IReadOnlyList<Parameter> NotDecayed) Split(nn.Module model)
    {
        var decayed = new List<Parameter>();
        var notDecayed = new List<Parameter>();
        foreach (var p in model.parameters())
        {
            if (!p.requires_grad) continue;
            (p.dim() >= 2 ? decayed : notDecayed).Add(p);
        }
        return (decayed, notDecayed);
    }
}
