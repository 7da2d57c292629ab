using TextSSL.Corpora;
using TextSSL.Distributed;
using TextSSL.Modeling;
using TextSSL.Pretext;
using static TorchSharp.torch;

namespace TextSSL.Training;

/// <summary>The outcome of an evaluation.</summary>
/// <param name="Loss">Mean loss (nats) per predicted token, or per text for a contrastive task (InfoNCE).</param>
/// <param name="Tokens">Number of predicted tokens (texts, for a contrastive task) the mean is over.</param>
/// <param name="Accuracy">Fraction of predicted tokens whose arg-max is right (masked-LM), or null.</param>
/// <param name="Unit">What <paramref name="Loss"/> is averaged over; perplexity exists only per token.</param>
public sealed record EvaluationResult(double Loss, long Tokens, double? Accuracy, EvaluationUnit Unit = EvaluationUnit.Token)
{
    /// <summary>exp(loss) for a loss per predicted token; null for a contrastive loss, for which it means nothing.</summary>
    public double? Perplexity => Unit == EvaluationUnit.Token ? Math.Exp(Loss) : null;

    /// <summary>"tokens" or "texts": what <see cref="Tokens"/> counts, for messages.</summary>
    public string CountName => Unit == EvaluationUnit.Token ? "tokens" : "texts";

    /// <summary>The loss named for people: "val loss 2.1 (perplexity 8.2)" or "val loss 1.3 (InfoNCE per text)".</summary>
    public string Describe(string prefix = "val loss") => Perplexity is { } p
        ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{prefix} {Loss:F4} (perplexity {p:F2})")
        : string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{prefix} {Loss:F4} (InfoNCE per text)");
}

/// <summary>What an evaluation loss is averaged over.</summary>
public enum EvaluationUnit
{
    /// <summary>Predicted tokens (next-token, masked-LM): the loss is a cross-entropy per token, with a perplexity.</summary>
    Token,

    /// <summary>Texts of a contrastive batch: the loss is InfoNCE per text; perplexity does not apply.</summary>
    Text,
}

/// <summary>Scores a model on a token stream with a task's evaluation batches.</summary>
internal static class Evaluation
{
    /// <summary>
    /// Mean cross-entropy over every predicted token of <paramref name="stream"/> in consecutive non-overlapping
    /// windows of <paramref name="blockSize"/> (for next-token: every token but the first is predicted exactly once;
    /// for masked-LM: the positions the fixed evaluation masks choose). One host read at the end.
    /// </summary>
    /// <param name="model">The model (its mode is restored afterwards).</param>
    /// <param name="task">The task whose batches and loss are used.</param>
    /// <param name="stream">The tokens.</param>
    /// <param name="batchSize">Windows per forward pass (does not change the result beyond rounding).</param>
    /// <param name="blockSize">Window length.</param>
    /// <param name="device">The model's device.</param>
    /// <param name="maxBatches">Stop after this many batches; null covers the whole stream.</param>
    /// <param name="cancellationToken">Stops between batches.</param>
    public static EvaluationResult Evaluate(Transformer model, IPretextTask task, ITokenStream stream, int batchSize, int blockSize,
                                            Device device, int? maxBatches = null, CancellationToken cancellationToken = default) =>
        Evaluate(model, task, stream, batchSize, blockSize, device, maxBatches, Communicator.SingleProcess, cancellationToken);

    /// <summary>
    /// The evaluation shared by data-parallel ranks: batch i is scored by rank i mod <see cref="Communicator.Size"/>,
    /// and the loss sums, correct counts and token counts are summed across ranks, so every rank returns the result one
    /// process would compute over the same batches (up to the order of the fp64 sums). <paramref name="maxBatches"/>
    /// counts batches of all ranks together.
    /// </summary>
    internal static EvaluationResult Evaluate(Transformer model, IPretextTask task, ITokenStream stream, int batchSize, int blockSize,
                                              Device device, int? maxBatches, Communicator ranks, CancellationToken cancellationToken = default)
    {
        var wasTraining = model.training;
        model.eval();
        try
        {
            using var _ = no_grad();
            using var lossTotal = zeros(1, ScalarType.Float64, device);
            using var correctTotal = zeros(1, ScalarType.Int64, device);
            long tokens = 0;
            var batches = 0;
            var index = -1;
            foreach (var cpuBatch in task.EvaluationBatches(stream, batchSize, blockSize))
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (++index % ranks.Size != ranks.Rank)
                {
                    cpuBatch.Dispose();
                    if (maxBatches is { } m && ++batches >= m) break;
                    continue;
                }
                using var scope = NewDisposeScope();
                using var batch = cpuBatch.To(device);
                var output = task.Compute(model, batch, task.ReportsAccuracy);
                lossTotal.add_(output.LossSum.to(ScalarType.Float64));
                if (output.Correct is not null) correctTotal.add_(output.Correct);
                tokens += output.TargetCount;
                if (maxBatches is { } max && ++batches >= max) break;
            }
            if (ranks.Size > 1)
            {
                ranks.AllReduce(lossTotal, ReduceOp.Sum);
                ranks.AllReduce(correctTotal, ReduceOp.Sum);
                tokens = ranks.AllReduce(tokens, ReduceOp.Sum);
            }
            if (tokens == 0) throw new TextSslException("evaluation found no tokens to predict; the split is too small for this block size.");
            var loss = lossTotal.item<double>() / tokens;
            double? accuracy = task.ReportsAccuracy ? (double)correctTotal.item<long>() / tokens : null;
            return new EvaluationResult(loss, tokens, accuracy, task.EvaluationUnit);
        }
        finally
        {
            model.train(wasTraining);
        }
    }
}
