namespace TextSSL.Generation;

/// <summary>How to sample a continuation. Every property is optional; the defaults are given on each.</summary>
/// <remarks>
/// Logits are processed in this order: repetition penalty, temperature, top-k, top-p, then one token is drawn
/// from the remaining distribution. A temperature of 0 means greedy decoding (argmax), and top-k/top-p are then moot.
/// </remarks>
public sealed record GenerationOptions
{
    /// <summary>Most tokens to generate per completion. Default 256.</summary>
    public int MaxNewTokens { get; init; } = 256;

    /// <summary>Divides the logits before sampling; 0 is greedy, below 1 sharpens, above 1 flattens. Default 0.8 (nanoGPT's sample.py).</summary>
    public double Temperature { get; init; } = 0.8;

    /// <summary>Sample only among the k most likely tokens; null for no limit. Default null.</summary>
    public int? TopK { get; init; }

    /// <summary>Nucleus sampling: sample only among the most likely tokens whose probabilities sum to at least p; null (or 1) for no limit. Default null.</summary>
    public double? TopP { get; init; }

    /// <summary>
    /// CTRL-style penalty on every token already in the context (prompt and completion): positive logits are divided
    /// by it, negative ones multiplied. 1 is off; 1.1–1.3 discourages loops. Default 1.
    /// </summary>
    public double RepetitionPenalty { get; init; } = 1.0;

    /// <summary>
    /// Strings that end a completion; the completion is cut just before the first one, which may span several tokens.
    /// While streaming, text that could still turn into a stop string is held back. Default none.
    /// </summary>
    public IReadOnlyList<string> StopSequences { get; init; } = [];

    /// <summary>Whether the tokenizer's end-of-text token ends a completion (it is not part of the text). Default true.</summary>
    public bool StopAtEndOfText { get; init; } = true;

    /// <summary>Random seed; null picks one at random (reported in the result). The same seed gives the same text on the same device.</summary>
    public long? Seed { get; init; }

    /// <summary>Completions per prompt, generated together as one batch. Default 1.</summary>
    public int NumSamples { get; init; } = 1;

    /// <summary>
    /// Index of the first sample. Sample i of a prompt draws from its own random stream derived from (seed, i),
    /// so sample k of a batched run can be regenerated alone with <see cref="NumSamples"/> = 1 and this = k. Default 0.
    /// </summary>
    public int SampleOffset { get; init; }

    /// <summary>
    /// Whether to keep keys and values of past positions (prefill once, then one position per step). Off recomputes the
    /// whole window every step, which gives the same tokens far more slowly; it exists for comparison. Default true.
    /// </summary>
    public bool UseKvCache { get; init; } = true;

    /// <summary>
    /// How many of the most recent tokens stay in view when the context window is full (the sliding window, see
    /// <see cref="TextGenerator"/>); null for half the model's block size. Default null.
    /// </summary>
    public int? SlidingWindowKeep { get; init; }

    /// <summary>
    /// Replacement for prompt characters the tokenizer cannot encode (e.g. <c>" "</c>, or <c>""</c> to drop them);
    /// null makes such characters an error that names them. Default null.
    /// </summary>
    public string? ReplaceUnknownWith { get; init; }

    /// <summary>Greedy decoding: always the most likely token.</summary>
    public static GenerationOptions Greedy { get; } = new() { Temperature = 0 };

    /// <summary>
    /// The most <see cref="MaxNewTokens"/> one call generates (2^20): far beyond any context window, and a bound that keeps a
    /// mistyped count from starting an endless run (each token re-decodes the completion so far, so time grows faster than linearly).
    /// </summary>
    public const int MaxNewTokensLimit = 1_048_576;

    /// <summary>The most <see cref="NumSamples"/> per prompt (they run as one batch).</summary>
    public const int NumSamplesLimit = 4_096;

    /// <summary>Checks every value (finite, in range) and says which one is wrong and what is allowed.</summary>
    /// <exception cref="OptionException">A value is out of range; the exception names the property.</exception>
    public GenerationOptions Validate()
    {
        OptionException.CheckRange(nameof(MaxNewTokens), MaxNewTokens, 1, MaxNewTokensLimit);
        if (!double.IsFinite(Temperature) || Temperature < 0 || Temperature > 100)
            throw new OptionException(nameof(Temperature), $"Temperature must be 0 (greedy) or a positive number up to 100 (got {Temperature}).");
        if (TopK is < 1) throw new OptionException(nameof(TopK), $"TopK must be at least 1 (got {TopK}); leave it null for no limit.");
        if (TopP is { } p && (!double.IsFinite(p) || !(p > 0) || p > 1))
            throw new OptionException(nameof(TopP), $"TopP must be in (0, 1] (got {p}); leave it null (or use 1) for no limit.");
        if (!double.IsFinite(RepetitionPenalty) || RepetitionPenalty <= 0 || RepetitionPenalty > 100)
            throw new OptionException(nameof(RepetitionPenalty), $"RepetitionPenalty must be positive, up to 100 (got {RepetitionPenalty}); 1 turns it off.");
        OptionException.CheckRange(nameof(NumSamples), NumSamples, 1, NumSamplesLimit);
        if (SampleOffset < 0) throw new OptionException(nameof(SampleOffset), $"SampleOffset must not be negative (got {SampleOffset}).");
        if (SlidingWindowKeep is < 1) throw new OptionException(nameof(SlidingWindowKeep), $"SlidingWindowKeep must be at least 1 token (got {SlidingWindowKeep}).");
        if (StopSequences is null || StopSequences.Any(string.IsNullOrEmpty))
            throw new OptionException(nameof(StopSequences), "StopSequences holds an empty string; every stop sequence needs at least one character.");
        return this;
    }
}
