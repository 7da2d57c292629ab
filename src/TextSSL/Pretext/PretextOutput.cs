using TextSSL.Modeling;
using static TorchSharp.torch;

namespace TextSSL.Pretext;

/// <summary>What a task computes for one batch. Tensors stay on the device; nothing is read back to the host.</summary>
/// <param name="LossSum">Sum of the per-position cross-entropy over the batch's <see cref="PretextBatch.TargetCount"/> positions (0-d, fp32).</param>
/// <param name="TargetCount">Positions summed in <paramref name="LossSum"/>.</param>
/// <param name="Correct">Number of positions whose arg-max prediction equals the target (0-d int64), when asked for.</param>
public sealed record PretextOutput(Tensor LossSum, long TargetCount, Tensor? Correct)
{
    /// <summary>The mean loss per target position, the quantity that is back-propagated.</summary>
    public Tensor MeanLoss() => LossSum / Math.Max(1, TargetCount);

    /// <summary>
    /// Cross-entropy of <paramref name="model"/>'s logits against the batch targets, summed over the positions
    /// that are not <see cref="PretextBatch.IgnoreIndex"/>; the shared loss of token-prediction tasks.
    /// </summary>
    public static PretextOutput CrossEntropy(Transformer model, PretextBatch batch, bool withAccuracy)
    {
        using var logits = batch.Logits(model);                                      // (B, T, V) fp32
        var v = logits.shape[2];
        using var flat = logits.view(-1, v);
        using var targets = batch.Targets.view(-1);
        var lossSum = nn.functional.cross_entropy(flat, targets, ignore_index: PretextBatch.IgnoreIndex, reduction: nn.Reduction.Sum);
        Tensor? correct = null;
        if (withAccuracy)
        {
            using var predicted = flat.argmax(1);
            using var hit = predicted.eq(targets);
            correct = hit.sum();
        }
        return new PretextOutput(lossSum, batch.TargetCount, correct);
    }
}
