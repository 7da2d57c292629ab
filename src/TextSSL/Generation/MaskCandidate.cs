namespace TextSSL.Generation;

/// <summary>One candidate for a masked position.</summary>
/// <param name="TokenId">The token's id.</param>
/// <param name="Token">The token's text.</param>
/// <param name="Probability">The model's probability of this token at the position (softmax over the whole vocabulary).</param>
/// <param name="Sequence">The input text with this mask replaced by the token (other masks left as they are).</param>
public sealed record MaskCandidate(int TokenId, string Token, double Probability, string Sequence);
