using System.Globalization;

namespace TextSSL.Probing;

/// <summary>How features are read from a model.</summary>
/// <param name="Pooling">Token pooling; mean over real tokens by default.</param>
/// <param name="Layer">Which hidden state(s); the last by default.</param>
/// <param name="BatchSize">Windows per forward pass (a text shorter than one window is one window).</param>
/// <param name="MaxTokens">Tokens per window (framing included); null = the model's block size, which is also the cap.</param>
/// <param name="Normalize">Scale each text's vector to unit L2 norm (a text with no tokens keeps its zero vector).</param>
/// <param name="MaxWindows">
/// Consecutive, non-overlapping windows of <paramref name="MaxTokens"/> read per text: a longer text is split, every
/// window runs through the model as a text of its own (framed the same way), and the window vectors are pooled into
/// one the way <paramref name="Pooling"/> pools tokens: mean = weighted by each window's tokens (the mean over all
/// tokens read), max = element-wise, first = the first window's, last = the last window's. Tokens past the last
/// window are left out. 1 reads only the text's start.
/// </param>
public sealed record FeatureOptions(Pooling Pooling = Pooling.Mean, LayerSelection? Layer = null, int BatchSize = 32, int? MaxTokens = null, bool Normalize = false,
    int MaxWindows = FeatureOptions.DefaultMaxWindows)
{
    /// <summary>The layer selection, defaulting to the last hidden state.</summary>
    [System.Text.Json.Serialization.JsonIgnore] public LayerSelection EffectiveLayer => Layer ?? LayerSelection.Last;

    /// <summary>The most texts per forward pass.</summary>
    public const int BatchSizeLimit = 65_536;

    /// <summary>
    /// Windows read per text by default: 8 (1,024 tokens at a 128-token context). Measured on spam-assassin, whose mails
    /// run to a median of about 300 tokens: whole-text features beat the text's start by 1–4 points at every K
    /// (docs/results), and 8 windows cover 88% of those mails whole at about 3.7 windows per text.
    /// </summary>
    public const int DefaultMaxWindows = 8;

    /// <summary>The most windows per text.</summary>
    public const int MaxWindowsLimit = 65_536;

    /// <summary>Checks every value.</summary>
    /// <exception cref="OptionException">A value is out of range; the exception names the property.</exception>
    public FeatureOptions Validate()
    {
        if (!Enum.IsDefined(Pooling)) throw new OptionException(nameof(Pooling), $"Pooling {(int)Pooling} is not one of {string.Join(", ", Enum.GetNames<Pooling>())}.");
        OptionException.CheckRange(nameof(BatchSize), BatchSize, 1, BatchSizeLimit);
        if (MaxTokens is { } max) OptionException.CheckRange(nameof(MaxTokens), max, 1, int.MaxValue);
        OptionException.CheckRange(nameof(MaxWindows), MaxWindows, 1, MaxWindowsLimit);
        return this;
    }

    /// <summary>A canonical description, part of feature cache keys (one window reads as it did before windows existed).</summary>
    public string Describe() => $"pool={Pooling.ToString().ToLowerInvariant()};layer={EffectiveLayer};max={MaxTokens?.ToString(CultureInfo.InvariantCulture) ?? "block"}" +
                                (MaxWindows == 1 ? "" : $";windows={MaxWindows.ToString(CultureInfo.InvariantCulture)}") + (Normalize ? ";l2" : "");
}
