using TextSSL.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace TextSSL.Pretext;

/// <summary>
/// SimCSE's training-only MLP over the pooled vector (dense → tanh, as BERT's pooler): the contrastive loss reads its
/// output, the model checkpoint never holds it, so probes and embeddings read the trunk's pooled vector.
/// </summary>
internal sealed class ContrastiveProjection : nn.Module<Tensor, Tensor>
{
    private readonly TorchSharp.Modules.Linear dense;

    public ContrastiveProjection(int dim) : base("contrastive_projection")
    {
        dense = nn.Linear(dim, dim);
        RegisterComponents();
    }

    public override Tensor forward(Tensor pooled) => tanh(dense.forward(pooled));
}

/// <summary>The model and the projection head as one module, so one optimizer and one training step update both.</summary>
internal sealed class ModelWithProjection : nn.Module
{
    private readonly Transformer model;
    private readonly ContrastiveProjection projection;

    public ModelWithProjection(Transformer model, ContrastiveProjection projection) : base("model_with_projection")
    {
        (this.model, this.projection) = (model, projection);
        RegisterComponents();
    }
}
