namespace TextSSL.Generation;

/// <summary>One generated continuation.</summary>
/// <param name="PromptIndex">Which prompt it continues.</param>
/// <param name="SampleIndex">Which sample of that prompt (counting from <see cref="GenerationOptions.SampleOffset"/>).</param>
/// <param name="Prompt">The prompt text.</param>
/// <param name="Text">The generated text, without the prompt, cut before a stop sequence, without an end-of-text token.</param>
/// <param name="TokenIds">Every generated token id, including the tokens that formed a stop sequence or the end-of-text token.</param>
/// <param name="PromptTokens">Number of prompt tokens (before any cropping to the context window).</param>
/// <param name="FinishReason">Why it ended.</param>
/// <param name="StopSequence">The stop sequence that ended it, if any.</param>
public sealed record Completion(
    int PromptIndex,
    int SampleIndex,
    string Prompt,
    string Text,
    IReadOnlyList<int> TokenIds,
    int PromptTokens,
    FinishReason FinishReason,
    string? StopSequence);
