namespace TextSSL.Probing;

/// <summary>How token states become one vector per text.</summary>
public enum Pooling
{
    /// <summary>Average over the real (non-pad) tokens.</summary>
    Mean,
    /// <summary>The first token ([CLS] for encoders whose tokenizer has one).</summary>
    First,
    /// <summary>The last real token (for decoders, the only position that has read the whole text).</summary>
    Last,
    /// <summary>Element-wise maximum over the real tokens.</summary>
    Max,
}

/// <summary>Which hidden states features are read from.</summary>
/// <param name="Index">The hidden-state index (0 = embeddings, L = last block after the final LayerNorm); negative counts from the end. Ignored when <paramref name="MeanOfLast"/> is set.</param>
/// <param name="MeanOfLast">When set, the average of the last this-many hidden states.</param>
public sealed record LayerSelection(int Index = -1, int? MeanOfLast = null)
{
    /// <summary>The last hidden state (after the final LayerNorm).</summary>
    public static LayerSelection Last { get; } = new();

    /// <summary>Parses <c>last</c>, an index such as <c>2</c> or <c>-2</c>, or <c>mean:K</c>.</summary>
    /// <exception cref="OptionException">The spelling is not one of those (names <see cref="FeatureOptions.Layer"/>).</exception>
    public static LayerSelection Parse(string? spec)
    {
        var s = (spec ?? "last").Trim().ToLowerInvariant();
        if (s is "" or "last") return Last;
        if (s.StartsWith("mean:", StringComparison.Ordinal) && int.TryParse(s.AsSpan(5), out var k) && k >= 1) return new LayerSelection(MeanOfLast: k);
        if (int.TryParse(s, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var i)) return new LayerSelection(i);
        throw new OptionException(nameof(FeatureOptions.Layer), $"Layer '{spec}': use 'last', a hidden-state index (0 = embeddings, -1 = last, -2 = the one before), or 'mean:K' for the average of the last K.");
    }

    /// <summary>The hidden-state indices this selection averages, given <paramref name="count"/> states (layers + 1).</summary>
    /// <exception cref="OptionException">The index or K is out of range for the model (names <see cref="FeatureOptions.Layer"/>).</exception>
    public IReadOnlyList<int> Resolve(int count)
    {
        if (MeanOfLast is { } k)
        {
            if (k > count) throw new OptionException(nameof(FeatureOptions.Layer), $"Layer mean:{k}: the model has only {count} hidden states (embeddings + {count - 1} blocks).");
            return Enumerable.Range(count - k, k).ToArray();
        }
        var i = Index < 0 ? count + Index : Index;
        if (i < 0 || i >= count) throw new OptionException(nameof(FeatureOptions.Layer), $"Layer {Index}: the model has hidden states 0..{count - 1} (0 = embeddings, {count - 1} = last).");
        return [i];
    }

    /// <summary>The canonical spelling, for cache keys and reports.</summary>
    public override string ToString() => MeanOfLast is { } k ? $"mean:{k}" : Index == -1 ? "last" : Index.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
