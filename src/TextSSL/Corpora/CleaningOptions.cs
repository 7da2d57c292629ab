using System.Text;

namespace TextSSL.Corpora;

/// <summary>How documents are cleaned and which are dropped for their length.</summary>
public sealed record CleaningOptions
{
    /// <summary>Unicode normalization form (default NFC); null leaves the text as it is.</summary>
    public NormalizationForm? Normalization { get; init; } = NormalizationForm.FormC;

    /// <summary>Lower-case the text (invariant culture). Default false.</summary>
    public bool Lowercase { get; init; }

    /// <summary>Collapse runs of spaces and tabs to one space, trim lines, keep at most one blank line in a row (default true).</summary>
    public bool NormalizeWhitespace { get; init; } = true;

    /// <summary>Documents shorter than this many characters after cleaning are dropped (default 1: only empty ones).</summary>
    public int MinChars { get; init; } = 1;

    /// <summary>Documents longer than this many characters after cleaning are dropped (default: no limit).</summary>
    public int MaxChars { get; init; } = int.MaxValue;
}
