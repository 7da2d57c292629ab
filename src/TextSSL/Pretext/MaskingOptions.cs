namespace TextSSL.Pretext;

/// <summary>What masked-LM selects as one unit.</summary>
public enum MaskingUnit
{
    /// <summary>Single tokens, as in BERT and RoBERTa.</summary>
    Token,
    /// <summary>Whole words: all tokens of a word are chosen together (BERT whole-word masking).</summary>
    Word,
    /// <summary>Contiguous spans with geometrically distributed lengths (SpanBERT).</summary>
    Span,
}

/// <summary>Masked-LM settings.</summary>
/// <param name="Probability">Fraction of maskable tokens chosen per sequence (BERT: 0.15).</param>
/// <param name="MaskFraction">Of the chosen tokens, the fraction replaced by <c>[MASK]</c> (0.8).</param>
/// <param name="RandomFraction">Of the chosen tokens, the fraction replaced by a random ordinary token (0.1); the rest stay unchanged.</param>
/// <param name="Unit">Token, whole-word or span masking.</param>
/// <param name="SpanP">Parameter of the geometric span-length distribution (SpanBERT: 0.2, mean length about 3.8 after clipping).</param>
/// <param name="MaxSpan">Longest span, in tokens (SpanBERT: 10).</param>
public sealed record MaskingOptions(
    double Probability = 0.15,
    double MaskFraction = 0.8,
    double RandomFraction = 0.1,
    MaskingUnit Unit = MaskingUnit.Token,
    double SpanP = 0.2,
    int MaxSpan = 10)
{
    /// <summary>Checks the fractions.</summary>
    /// <exception cref="TextSslException">A fraction is out of range.</exception>
    public MaskingOptions Validate()
    {
        if (Probability is <= 0 or >= 1) throw new TextSslException($"masking probability must be in (0, 1) (got {Probability}).");
        if (MaskFraction < 0 || RandomFraction < 0 || MaskFraction + RandomFraction > 1)
            throw new TextSslException($"mask and random-token fractions must be non-negative and sum to at most 1 (got {MaskFraction} and {RandomFraction}).");
        if (SpanP is <= 0 or > 1 || MaxSpan < 1) throw new TextSslException($"span masking needs 0 < p ≤ 1 and a maximum span ≥ 1 (got {SpanP}, {MaxSpan}).");
        return this;
    }
}
