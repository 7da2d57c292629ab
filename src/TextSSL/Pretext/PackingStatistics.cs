using TextSSL.Corpora;
using TextSSL.Modeling;
using TextSSL.Tokenization;

namespace TextSSL.Pretext;

/// <summary>What a task's training batches spend their positions on, summed over the batches measured.</summary>
/// <param name="Batches">Batches measured.</param>
/// <param name="Positions">Positions the model processed (batches × rows × block size).</param>
/// <param name="RealText">
/// Positions that carry a training signal from text of one document only: not padding, not a marker ([CLS], [SEP]),
/// and whose attention reaches no other document (next-token: the end-of-text id that starts a document counts, since
/// it predicts the document's first token).
/// </param>
/// <param name="Padding">Padding positions.</param>
/// <param name="CrossDocument">Non-padding positions whose attention reaches into another document.</param>
/// <param name="Targets">Loss positions that attend within one document (masked-LM: the chosen 15%).</param>
internal sealed record PackingReport(long Batches, long Positions, long RealText, long Padding, long CrossDocument, long Targets)
{
    /// <summary>Real text positions per batch.</summary>
    public double RealTextPerBatch => (double)RealText / Math.Max(1, Batches);

    /// <summary>Loss positions within one document per batch.</summary>
    public double TargetsPerBatch => (double)Targets / Math.Max(1, Batches);

    /// <summary>Fraction of positions that are padding.</summary>
    public double PaddingFraction => (double)Padding / Math.Max(1, Positions);

    /// <summary>Fraction of positions that attend across a document boundary.</summary>
    public double CrossDocumentFraction => (double)CrossDocument / Math.Max(1, Positions);
}

/// <summary>Measures how many positions of a task's batches hold real text (<see cref="PackingReport"/>).</summary>
internal static class PackingStatistics
{
    /// <summary>
    /// Draws <paramref name="batches"/> training batches from a fresh <paramref name="task"/> and classifies every
    /// position: padding, marker, text that attends across a document boundary, or real text of one document.
    /// </summary>
    /// <param name="task">The task (its sampling state advances).</param>
    /// <param name="stream">The split to draw from.</param>
    /// <param name="tokenizer">The data's tokenizer, for its special tokens.</param>
    /// <param name="batchSize">Rows per batch.</param>
    /// <param name="blockSize">Positions per row.</param>
    /// <param name="batches">Batches to draw.</param>
    /// <exception cref="TextSslException">The tokenizer has no end-of-text token, so documents cannot be told apart.</exception>
    public static PackingReport Measure(IPretextTask task, ITokenStream stream, TextTokenizer tokenizer, int batchSize, int blockSize, int batches)
    {
        var eot = tokenizer.Specials.IdOf(SpecialTokenRole.EndOfText)
                  ?? throw new TextSslException("measuring packing needs an end-of-text token to tell documents apart, and the tokenizer has none.");
        var special = tokenizer.Specials.All.Select(s => (long)s.Id).ToHashSet();
        var causal = task.ModelKind == ModelKind.Decoder;
        long positions = 0, real = 0, padding = 0, cross = 0, targets = 0;
        for (var b = 0; b < batches; b++)
        {
            using var batch = task.NextBatch(stream, batchSize, blockSize);
            var (rows, width) = ((int)batch.Inputs.shape[0], (int)batch.Inputs.shape[1]);
            var x = batch.Inputs.data<long>().ToArray();
            var y = batch.Targets.data<long>().ToArray();
            var documents = batch.DocumentIds?.data<long>().ToArray();
            var mask = batch.PaddingMask?.data<bool>().ToArray();
            positions += (long)rows * width;
            for (var r = 0; r < rows; r++)
            {
                var o = r * width;
                // Segments: runs of one document id (packed), the unpadded prefix (padded), or the whole row (stream).
                var start = 0;
                while (start < width)
                {
                    var end = start + 1;
                    if (documents is not null) while (end < width && documents[o + end] == documents[o + start]) end++;
                    else if (mask is not null) while (end < width && mask[o + end] == mask[o + start]) end++;
                    else end = width;
                    var isPadding = documents is not null ? documents[o + start] == 0 : mask is not null && !mask[o + start];
                    if (isPadding) padding += end - start;
                    else Classify(x.AsSpan(o + start, end - start), y.AsSpan(o + start, end - start), eot, special, causal, ref real, ref cross, ref targets);
                    start = end;
                }
            }
        }
        return new PackingReport(batches, positions, real, padding, cross, targets);
    }

    /// <summary>One segment that attends only within itself.</summary>
    private static void Classify(ReadOnlySpan<long> x, ReadOnlySpan<long> y, int eot, HashSet<long> special, bool causal,
                                 ref long real, ref long cross, ref long targets)
    {
        if (causal)
        {
            // Position j sees inputs 0..j: it reaches another document once an end-of-text id sits at 1..j
            // (one at 0 merely starts the document whose first token it predicts).
            var crossed = false;
            for (var j = 0; j < x.Length; j++)
            {
                if (j > 0 && x[j] == eot) crossed = true;
                if (crossed) { cross++; continue; }
                real++;
                if (y[j] != PretextBatch.IgnoreIndex) targets++;
            }
            return;
        }
        // Bidirectional: every position sees the whole segment, so one end-of-text id inside it (not at its end)
        // means the whole segment mixes documents.
        var mixed = false;
        for (var j = 0; j < x.Length - 1; j++)
            if (x[j] == eot && y[j] == PretextBatch.IgnoreIndex) { mixed = true; break; }
        for (var j = 0; j < x.Length; j++)
        {
            var text = !special.Contains(x[j]) || y[j] != PretextBatch.IgnoreIndex;    // a chosen position held text before masking
            if (!text) continue;
            if (mixed) { cross++; continue; }
            real++;
            if (y[j] != PretextBatch.IgnoreIndex) targets++;
        }
    }
}
