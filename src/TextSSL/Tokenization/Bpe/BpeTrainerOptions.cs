namespace TextSSL.Tokenization.Bpe;

/// <summary>Settings for training a byte-level BPE tokenizer.</summary>
/// <param name="VocabSize">Total vocabulary: 256 byte tokens + learned merges + special tokens.</param>
/// <remarks>
/// Defaults: <see cref="Pattern"/> <c>gpt4</c>; <see cref="Specials"/> the standard roles
/// (<c>&lt;|endoftext|&gt;</c>, <c>[MASK]</c>, <c>[CLS]</c>, <c>[SEP]</c>, <c>[PAD]</c>); invalid UTF-8 is an error;
/// <see cref="Threads"/> all cores.
/// </remarks>
public sealed record BpeTrainerOptions(int VocabSize)
{
    /// <summary>Gets the split pattern: <c>gpt4</c>, <c>gpt2</c>, <c>o200k</c> or a .NET regex.</summary>
    public string Pattern { get; init; } = "gpt4";

    /// <summary>Gets the special tokens, given ids after the learned vocabulary in this order.</summary>
    public IReadOnlyList<SpecialTokenSpec> Specials { get; init; } = SpecialTokenSpec.Standard;

    /// <summary>Gets whether invalid UTF-8 input is replaced with U+FFFD instead of failing.</summary>
    public bool ReplaceInvalidUtf8 { get; init; }

    /// <summary>Gets the number of counting threads; 0 means one per core.</summary>
    public int Threads { get; init; }

    /// <summary>
    /// The largest vocabulary accepted (2^24): far beyond any text's useful merges, and small enough that token ids
    /// stay exact in single-precision floats and embedding tables stay addressable.
    /// </summary>
    public const int MaxVocabSize = 1 << 24;

    /// <summary>The number of tokens training must produce before the special tokens.</summary>
    public int LearnedVocabSize => VocabSize - Specials.Count;

    /// <summary>Checks the settings once, before any input is read.</summary>
    /// <exception cref="TextSslException">A vocabulary too small for the byte tokens and specials or too large, or bad special tokens.</exception>
    public void Validate()
    {
        if (VocabSize < 256 + Specials.Count)
            throw new OptionException([nameof(VocabSize), nameof(Specials)],
                $"VocabSize {VocabSize} is smaller than the 256 byte tokens plus {Specials.Count} special token(s) = {256 + Specials.Count}. " +
                "Raise VocabSize or drop Specials.");
        if (VocabSize > MaxVocabSize)
            throw new OptionException(nameof(VocabSize), $"VocabSize must be at most {MaxVocabSize:N0} (got {VocabSize:N0}); training stops earlier anyway when the text has no pairs left to merge.");
        foreach (var s in Specials)
            if (s.Text.Length == 0) throw new TextSslException("a special token's text is empty.");
        var duplicate = Specials.GroupBy(s => s.Text, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new TextSslException($"special token '{duplicate.Key}' is given more than once.");
        _ = new SpecialTokens(Specials.Select((s, i) => new SpecialToken(s.Text, i, s.Role))); // one token per role
        if (Threads < 0) throw new OptionException(nameof(Threads), $"Threads must be 0 (all cores) or more (got {Threads}).");
    }
}
