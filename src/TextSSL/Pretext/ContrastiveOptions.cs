using TextSSL.Probing;

namespace TextSSL.Pretext;

/// <summary>Settings of the contrastive task (unsupervised SimCSE, <see cref="ContrastiveTask"/>).</summary>
/// <remarks>
/// Defaults and why, for a small model on a CPU:
/// <list type="bullet">
/// <item><see cref="Temperature"/> 0.05 — SimCSE's value (Gao, Yao and Chen 2021, arXiv 2104.08821; also the default of
/// their released training script), kept because it is a property of the cosine scale, not of model size.</item>
/// <item><see cref="Pooling"/> mean over real tokens — sentence-transformers' unsupervised SimCSE example uses its
/// default mean pooling (sbert.net, "SimCSE"), and this is the probe's default, so the vector trained is the vector
/// probed. SimCSE's paper pools [CLS] through an MLP used only in training; a small model trained from few steps has
/// no [CLS] worth reading, and decoders have none at all (use <see cref="Probing.Pooling.Last"/> or mean there).</item>
/// <item>Noise is the model's own dropout: SimCSE uses BERT's standard 0.1 and finds that removing it collapses the
/// representation. A contrastive run whose dropout is not set and whose preset (or source checkpoint) has none
/// therefore trains with 0.1; an explicit dropout of 0 is honoured (both views are then identical).</item>
/// <item>No projection head by default: sentence-transformers' example trains without one and the features the probes
/// read are the trunk's pooled vector. With <see cref="Projection"/> the loss reads SimCSE's training-only MLP
/// (dense → tanh) over the pooled vector; the head is kept in the trainer state for resuming and never enters the
/// model checkpoint, so it is dropped after training.</item>
/// </list>
/// SimCSE's remaining recipe (batch 64, learning rate 3e-5 for BERT-base, 32 tokens per sentence) belongs to the run's
/// options: a randomly initialised or barely trained small model needs a larger rate (1e-4 to 1e-3), and more texts per
/// batch give more negatives.
/// </remarks>
/// <param name="Temperature">Cosine similarities are divided by this before the softmax (SimCSE: 0.05).</param>
/// <param name="Pooling">How token states become the text's vector (mean over real tokens by default).</param>
/// <param name="Projection">Train through a projection head that is dropped after training (SimCSE's MLP).</param>
public sealed record ContrastiveOptions(double Temperature = 0.05, Pooling Pooling = Pooling.Mean, bool Projection = false)
{
    /// <summary>Checks the temperature and the pooling.</summary>
    /// <exception cref="OptionException">A value is out of range (named <c>Temperature</c> or <c>Pooling</c>).</exception>
    public ContrastiveOptions Validate()
    {
        OptionException.CheckRange(nameof(Temperature), Temperature, 1e-4, 100);
        if (!Enum.IsDefined(Pooling)) throw new OptionException(nameof(Pooling), $"Pooling {Pooling} is not a pooling.");
        return this;
    }
}
