namespace TextSSL.Corpora;

/// <summary>Which duplicates are dropped.</summary>
public sealed record DedupOptions
{
    /// <summary>Drop documents whose cleaned text equals an earlier one's (SHA-256 of the text). Default true.</summary>
    public bool Exact { get; init; } = true;

    /// <summary>Drop documents whose word shingles overlap an earlier one's by at least <see cref="Threshold"/> (MinHash + LSH). Default true.</summary>
    public bool Near { get; init; } = true;

    /// <summary>Jaccard similarity of word shingles at or above which two documents are near-duplicates (default 0.8).</summary>
    public double Threshold { get; init; } = 0.8;

    /// <summary>Words per shingle (default 5).</summary>
    public int ShingleWords { get; init; } = 5;

    /// <summary>Examples of each kind kept for the report (default 5).</summary>
    public int Examples { get; init; } = 5;
}
