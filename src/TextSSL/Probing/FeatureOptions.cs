namespace TextSSL.Probing;

/// <summary>How features are read from a model.</summary>
/// <param name="Pooling">Token pooling; mean over real tokens by default.</param>
/// <param name="Layer">Which hidden state(s); the last by default.</param>
/// <param name="BatchSize">Texts per forward pass.</param>
/// <param name="MaxTokens">Tokens kept per text (framing included); null = the model's block size.</param>
/// <param name="Normalize">Scale each pooled vector to unit L2 norm (a text with no tokens keeps its zero vector).</param>
public sealed record FeatureOptions(Pooling Pooling = Pooling.Mean, LayerSelection? Layer = null, int BatchSize = 32, int? MaxTokens = null, bool Normalize = false)
{
    /// <summary>The layer selection, defaulting to the last hidden state.</summary>
    [System.Text.Json.Serialization.JsonIgnore] public LayerSelection EffectiveLayer => Layer ?? LayerSelection.Last;

    /// <summary>The most texts per forward pass.</summary>
    public const int BatchSizeLimit = 65_536;

    /// <summary>Checks every value.</summary>
    /// <exception cref="OptionException">A value is out of range; the exception names the property.</exception>
    public FeatureOptions Validate()
    {
        if (!Enum.IsDefined(Pooling)) throw new OptionException(nameof(Pooling), $"Pooling {(int)Pooling} is not one of {string.Join(", ", Enum.GetNames<Pooling>())}.");
        OptionException.CheckRange(nameof(BatchSize), BatchSize, 1, BatchSizeLimit);
        if (MaxTokens is { } max) OptionException.CheckRange(nameof(MaxTokens), max, 1, int.MaxValue);
        return this;
    }

    /// <summary>A canonical description, part of feature cache keys.</summary>
    public string Describe() => $"pool={Pooling.ToString().ToLowerInvariant()};layer={EffectiveLayer};max={MaxTokens?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "block"}{(Normalize ? ";l2" : "")}";
}
