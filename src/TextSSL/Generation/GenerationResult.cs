namespace TextSSL.Generation;

/// <summary>All completions of one generation request, with counts and timings.</summary>
/// <param name="Completions">One per prompt and sample, prompt-major.</param>
/// <param name="Seed">The seed used (the one given, or the one picked at random).</param>
/// <param name="UsedKvCache">Whether the key/value cache was on.</param>
/// <param name="TimeToFirstToken">From the start of the request (prompt encoding included) to the first sampled token.</param>
/// <param name="Elapsed">The whole request.</param>
public sealed record GenerationResult(
    IReadOnlyList<Completion> Completions,
    long Seed,
    bool UsedKvCache,
    TimeSpan TimeToFirstToken,
    TimeSpan Elapsed)
{
    /// <summary>Prompt tokens over all completions.</summary>
    public int PromptTokens => Completions.Sum(c => c.PromptTokens);

    /// <summary>Generated tokens over all completions.</summary>
    public int GeneratedTokens => Completions.Sum(c => c.TokenIds.Count);

    /// <summary>Generated tokens per second over the whole request, prefill included.</summary>
    public double TokensPerSecond => Elapsed > TimeSpan.Zero ? GeneratedTokens / Elapsed.TotalSeconds : 0;

    /// <summary>
    /// Decoding speed: tokens generated after each completion's first one, per second after the first token.
    /// This is the steady-state rate that the key/value cache speeds up.
    /// </summary>
    public double DecodeTokensPerSecond
    {
        get
        {
            var after = GeneratedTokens - Completions.Count(c => c.TokenIds.Count > 0);
            var seconds = (Elapsed - TimeToFirstToken).TotalSeconds;
            return seconds > 0 ? after / seconds : 0;
        }
    }
}
