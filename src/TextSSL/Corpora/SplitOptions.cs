namespace TextSSL.Corpora;

/// <summary>Fractions of documents assigned to the validation and test splits; the rest is training data.</summary>
public sealed record SplitOptions
{
    /// <summary>Fraction for validation (default 0.05).</summary>
    public double Validation { get; init; } = 0.05;

    /// <summary>Fraction for test (default 0).</summary>
    public double Test { get; init; }

    /// <summary>Salt of the document hash; changing it reshuffles the assignment (default 0).</summary>
    public ulong Seed { get; init; }

    /// <summary>The split names in manifest order.</summary>
    public static IReadOnlyList<string> Names { get; } = ["train", "validation", "test"];

    /// <summary>Checks that the fractions are in [0, 1) and leave some training data.</summary>
    public void Validate()
    {
        if (Validation < 0 || Test < 0 || Validation + Test >= 1)
            throw new TextSslException($"split fractions must be non-negative and sum to less than 1 (validation {Validation}, test {Test}).");
    }

    /// <summary>
    /// The split of a document with key <paramref name="key"/> (<see cref="Deduplicator.Key"/>): a function of the
    /// document alone, so adding documents never moves existing ones and identical texts always share a split.
    /// </summary>
    public string Assign(UInt128 key)
    {
        var u = MinHasher.Mix((ulong)(key >> 64) ^ Seed);
        var x = (u >> 11) * (1.0 / (1UL << 53));
        return x < Test ? "test" : x < Test + Validation ? "validation" : "train";
    }
}
