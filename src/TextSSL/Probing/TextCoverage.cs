namespace TextSSL.Probing;

/// <summary>
/// How much of the texts a feature read covered (see <see cref="FeatureOptions.MaxWindows"/>): counts that grow as
/// <see cref="Modeling.PretrainedModel.Features"/> or <see cref="Modeling.PretrainedModel.Embed"/> read texts.
/// </summary>
public sealed class TextCoverage
{
    /// <summary>Texts read.</summary>
    public long Texts { get; private set; }

    /// <summary>Windows run through the model (one per text shorter than a window).</summary>
    public long Windows { get; private set; }

    /// <summary>Texts longer than one window, read in several.</summary>
    public long Windowed { get; private set; }

    /// <summary>Texts longer than all their windows together: their end was left out.</summary>
    public long Cut { get; private set; }

    /// <summary>Texts holding characters the tokenizer cannot encode (those characters were left out).</summary>
    public long LossyEncoded { get; private set; }

    internal void Add(EncodedTexts encoded)
    {
        Texts += encoded.Windows.Length;
        Windows += encoded.WindowCount;
        Windowed += encoded.Windowed;
        Cut += encoded.Truncated;
        LossyEncoded += encoded.LossyEncoded;
    }

    /// <summary>A one-line summary, e.g. for a command's final message.</summary>
    public string Describe() =>
        $"{Texts:N0} texts in {Windows:N0} windows; {Windowed:N0} read in more than one window, {Cut:N0} cut at the last window" +
        (LossyEncoded > 0 ? $", {LossyEncoded:N0} with characters the tokenizer cannot encode (left out)" : "");
}
