using TextSSL.Modeling;
using TorchSharp;
using Linear = TorchSharp.Modules.Linear;
using static TorchSharp.torch;

namespace TextSSL.Probing;

/// <summary>A transformer trunk with a linear classification head on its mean-pooled last hidden state.</summary>
internal sealed class SequenceClassifier : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly Transformer trunk;
    private readonly Linear head;

    public SequenceClassifier(Transformer trunk, int numClasses) : base("sequence_classifier")
    {
        this.trunk = trunk;
        head = nn.Linear(trunk.Config.Dim, numClasses);
        RegisterComponents();
    }

    public Transformer Trunk => trunk;

    /// <summary>Logits (B, classes) for right-padded ids (B, T) with real lengths (B).</summary>
    public override Tensor forward(Tensor ids, Tensor lengths)
    {
        using var scope = NewDisposeScope();
        var mask = trunk.Config.Kind == ModelKind.Encoder ? FeatureExtractor.RealTokenMask(lengths, ids.shape[1]) : null;
        var states = trunk.HiddenStates(ids, mask);
        var pooled = FeatureExtractor.Pool(states[^1], lengths, Pooling.Mean);
        return head.forward(pooled).MoveToOuterDisposeScope();
    }
}
