using TextSSL.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace TextSSL.Probing;

/// <summary>Frozen features: pooled hidden states of a transformer, one vector per text.</summary>
internal static class FeatureExtractor
{
    /// <summary>
    /// Runs <paramref name="model"/> over <paramref name="texts"/> in batches (sorted by length to limit padding)
    /// and returns a (N, C) fp32 tensor on the CPU, in the order of the input.
    /// </summary>
    /// <remarks>
    /// Sequences are right-padded. Encoders receive a padding mask; decoders need none, because a causal
    /// position never reads a later one, and pooling only ever reads real positions. A text that encoded to
    /// no tokens gets a zero vector.
    /// </remarks>
    public static Tensor Extract(Transformer model, EncodedTexts texts, FeatureOptions options, Device device,
        IProgress<(int Done, int Total)>? progress = null, CancellationToken ct = default)
    {
        options.Validate();
        var n = texts.Ids.Length;
        var dim = model.Config.Dim;
        var layers = options.EffectiveLayer.Resolve(model.Config.Layers + 1);
        var result = new float[(long)n * dim];
        var order = Enumerable.Range(0, n).OrderBy(i => texts.Ids[i].Length).ToArray();
        var wasTraining = model.training;
        model.eval();
        try
        {
            using var _ = no_grad();
            for (var start = 0; start < n; start += options.BatchSize)
            {
                ct.ThrowIfCancellationRequested();
                var batch = order[start..Math.Min(n, start + options.BatchSize)];
                var pooled = ExtractBatch(model, texts, batch, layers, options.Pooling, options.Normalize, device);
                for (var b = 0; b < batch.Length; b++)
                    Array.Copy(pooled, (long)b * dim, result, (long)batch[b] * dim, dim);
                progress?.Report((Math.Min(n, start + options.BatchSize), n));
            }
        }
        finally
        {
            if (wasTraining) model.train();
        }
        return tensor(result, [n, dim]);
    }

    private static float[] ExtractBatch(Transformer model, EncodedTexts texts, int[] batch, IReadOnlyList<int> layers, Pooling pooling, bool normalize, Device device)
    {
        using var scope = NewDisposeScope();
        var (ids, lengths) = PadBatch(texts, batch, padId: 0);
        ids = ids.to(device);
        lengths = lengths.to(device);
        var mask = model.Config.Kind == ModelKind.Encoder ? RealTokenMask(lengths, ids.shape[1]) : null;
        var states = model.HiddenStates(ids, mask);
        var hidden = layers.Count == 1 ? states[layers[0]] : stack(layers.Select(i => states[i]).ToArray()).mean([0]);
        var pooled = Pool(hidden, lengths, pooling);
        if (normalize) pooled = nn.functional.normalize(pooled, p: 2, dim: 1, eps: 1e-12);
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
