using TextSSL.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace TextSSL.Probing;

/// <summary>Frozen features: pooled hidden states of a transformer, one vector per text.</summary>
internal static class FeatureExtractor
{
    /// <summary>
    /// Runs <paramref name="model"/> over every window of <paramref name="texts"/> in batches (sorted by length to
    /// limit padding) and returns a (N, C) fp32 tensor on the CPU, one row per text, in the order of the input.
    /// </summary>
    /// <remarks>
    /// Sequences are right-padded. Encoders receive a padding mask; decoders need none, because a causal
    /// position never reads a later one, and pooling only ever reads real positions. A text that encoded to
    /// no tokens gets a zero vector. A text read in several windows gets its window vectors pooled the way the
    /// tokens are (<see cref="CombineWindows"/>); a text of one window gets that window's vector unchanged.
    /// L2 normalisation, when asked for, applies to the text's vector.
    /// </remarks>
    public static Tensor Extract(Transformer model, EncodedTexts texts, FeatureOptions options, Device device,
        IProgress<(int Done, int Total)>? progress = null, CancellationToken ct = default)
    {
        options.Validate();
        var n = texts.Windows.Length;
        var dim = model.Config.Dim;
        var layers = options.EffectiveLayer.Resolve(model.Config.Layers + 1);
        // Every window of every text as one sequence: text i owns windows first[i] .. first[i + 1] - 1.
        var first = new int[n + 1];
        for (var i = 0; i < n; i++) first[i + 1] = first[i] + texts.Windows[i].Length;
        var sequences = new EncodedTexts(texts.Windows.SelectMany(w => w).Select(w => new[] { w }).ToArray(), 0, 0, 0);
        var total = first[n];
        var windowVectors = new float[(long)total * dim];
        var order = Enumerable.Range(0, total).OrderBy(i => sequences.Ids[i].Length).ToArray();
        var wasTraining = model.training;
        model.eval();
        try
        {
            using var _ = no_grad();
            for (var start = 0; start < total; start += options.BatchSize)
            {
                ct.ThrowIfCancellationRequested();
                var batch = order[start..Math.Min(total, start + options.BatchSize)];
                var pooled = ExtractBatch(model, sequences, batch, layers, options.Pooling, device);
                for (var b = 0; b < batch.Length; b++)
                    Array.Copy(pooled, (long)b * dim, windowVectors, (long)batch[b] * dim, dim);
                progress?.Report(((int)((long)Math.Min(total, start + options.BatchSize) * n / Math.Max(1, total)), n));
            }
        }
        finally
        {
            if (wasTraining) model.train();
        }
        var result = new float[(long)n * dim];
        for (var i = 0; i < n; i++)
        {
            var count = first[i + 1] - first[i];
            if (count == 1) Array.Copy(windowVectors, (long)first[i] * dim, result, (long)i * dim, dim);
            else CombineWindows(windowVectors.AsSpan(first[i] * dim, count * dim), texts.Windows[i], options.Pooling, result.AsSpan(i * dim, dim));
        }
        var features = tensor(result, [n, dim]);
        if (!options.Normalize) return features;
        using (features) return nn.functional.normalize(features, p: 2, dim: 1, eps: 1e-12);
    }

    /// <summary>
    /// One vector from a text's window vectors (<paramref name="vectors"/>: one row of <c>dim</c> per window), pooled
    /// as the tokens were within each window: <see cref="Pooling.Mean"/> weights every window by its length, so the
    /// result is the mean over all tokens read; <see cref="Pooling.Max"/> takes the element-wise maximum (the maximum
    /// over all tokens); <see cref="Pooling.First"/> keeps the first window's vector (the text's first token) and
    /// <see cref="Pooling.Last"/> the last window's (its last token read).
    /// </summary>
    internal static void CombineWindows(ReadOnlySpan<float> vectors, int[][] windows, Pooling pooling, Span<float> into)
    {
        var dim = into.Length;
        var count = windows.Length;
        switch (pooling)
        {
            case Pooling.First: vectors[..dim].CopyTo(into); return;
            case Pooling.Last: vectors[((count - 1) * dim)..].CopyTo(into); return;
            case Pooling.Max:
                vectors[..dim].CopyTo(into);
                for (var w = 1; w < count; w++)
                    for (var j = 0; j < dim; j++) into[j] = Math.Max(into[j], vectors[w * dim + j]);
                return;
            case Pooling.Mean:
                var tokens = windows.Sum(w => (double)w.Length);
                for (var j = 0; j < dim; j++)
                {
                    var sum = 0.0;
                    for (var w = 0; w < count; w++) sum += (double)vectors[w * dim + j] * windows[w].Length;
                    into[j] = tokens > 0 ? (float)(sum / tokens) : 0f;
                }
                return;
            default: throw new ArgumentOutOfRangeException(nameof(pooling));
        }
    }

    private static float[] ExtractBatch(Transformer model, EncodedTexts texts, int[] batch, IReadOnlyList<int> layers, Pooling pooling, Device device)
    {
        using var scope = NewDisposeScope();
        var (ids, lengths) = PadBatch(texts, batch, padId: 0);
        ids = ids.to(device);
        lengths = lengths.to(device);
        var mask = model.Config.Kind == ModelKind.Encoder ? RealTokenMask(lengths, ids.shape[1]) : null;
        var states = model.HiddenStates(ids, mask);
        var hidden = layers.Count == 1 ? states[layers[0]] : stack(layers.Select(i => states[i]).ToArray()).mean([0]);
        var pooled = Pool(hidden, lengths, pooling);
        return pooled.cpu().data<float>().ToArray();
    }

    /// <summary>Right-pads the sequences of <paramref name="batch"/>; returns ids (B, T) and lengths (B). Empty sequences get one pad position.</summary>
    internal static (Tensor Ids, Tensor Lengths) PadBatch(EncodedTexts texts, IReadOnlyList<int> batch, int padId)
    {
        var t = Math.Max(1, batch.Max(i => texts.Ids[i].Length));
        var flat = new long[batch.Count * t];
        Array.Fill(flat, padId);
        var lengths = new long[batch.Count];
        for (var b = 0; b < batch.Count; b++)
        {
            var seq = texts.Ids[batch[b]];
            for (var j = 0; j < seq.Length; j++) flat[b * t + j] = seq[j];
            lengths[b] = seq.Length;
        }
        return (tensor(flat, [batch.Count, t]), tensor(lengths));
    }

    /// <summary>A (B, T) bool mask, true at real positions of right-padded sequences. Rows of length 0 keep position 0 so attention has a key.</summary>
    internal static Tensor RealTokenMask(Tensor lengths, long t)
    {
        using var positions = arange(t, device: lengths.device).unsqueeze(0);
        return positions.lt(lengths.clamp_min(1).unsqueeze(1));
    }

    /// <summary>
    /// Pools right-padded hidden states (B, T, C) into (B, C), reading only the first <paramref name="lengths"/>[b]
    /// positions of row b. Rows of length 0 pool to zeros.
    /// </summary>
    public static Tensor Pool(Tensor hidden, Tensor lengths, Pooling pooling)
    {
        using var scope = NewDisposeScope();
        var t = hidden.shape[1];
        var len = lengths.to(ScalarType.Int64).to(hidden.device);
        var real = arange(t, device: hidden.device).unsqueeze(0).lt(len.unsqueeze(1)).unsqueeze(2); // (B, T, 1)
        var empty = len.eq(0).unsqueeze(1);                                                           // (B, 1)
        Tensor pooled = pooling switch
        {
            Pooling.Mean => (hidden * real).sum(1) / len.clamp_min(1).unsqueeze(1).to(hidden.dtype),
            Pooling.Max => hidden.masked_fill(real.logical_not(), float.NegativeInfinity).amax([1]),
            Pooling.First => hidden[.., 0, ..],
            Pooling.Last => hidden.gather(1, (len - 1).clamp_min(0).view(-1, 1, 1).expand(-1, 1, hidden.shape[2])).squeeze(1),
            _ => throw new ArgumentOutOfRangeException(nameof(pooling)),
        };
        return pooled.masked_fill(empty, 0).MoveToOuterDisposeScope();
    }
}
