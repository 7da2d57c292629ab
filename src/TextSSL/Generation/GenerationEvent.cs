namespace TextSSL.Generation;

/// <summary>Something that happened while generating: a token, or the end of the request.</summary>
public abstract record GenerationEvent;

/// <summary>A token was generated for one completion.</summary>
/// <param name="PromptIndex">Which prompt.</param>
/// <param name="SampleIndex">Which sample of that prompt.</param>
/// <param name="TokenId">The token.</param>
/// <param name="Text">
/// Text released by this token. It can be empty (held back while it could still become a stop sequence or an
/// incomplete character) or longer than the token; the texts of one completion's events concatenate to its final text.
/// </param>
/// <param name="Finished">Whether this was the completion's last token.</param>
public sealed record TokenGenerated(int PromptIndex, int SampleIndex, int TokenId, string Text, bool Finished) : GenerationEvent;

/// <summary>The request finished; the last event of a stream.</summary>
/// <param name="Result">All completions with counts and timings.</param>
public sealed record GenerationCompleted(GenerationResult Result) : GenerationEvent;
