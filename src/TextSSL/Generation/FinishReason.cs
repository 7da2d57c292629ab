namespace TextSSL.Generation;

/// <summary>Why a completion ended.</summary>
public enum FinishReason
{
    /// <summary>It reached the maximum number of new tokens.</summary>
    Length,
    /// <summary>A stop sequence appeared; the text ends just before it.</summary>
    Stop,
    /// <summary>The model produced the end-of-text token.</summary>
    EndOfText,
}
