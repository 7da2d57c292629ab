namespace TextSSL.Generation;

/// <summary>The candidates for one mask of the input, most probable first.</summary>
/// <param name="MaskIndex">Which mask of the text (0 for the first).</param>
/// <param name="Position">Its token position in the model's input.</param>
/// <param name="Candidates">The top candidates.</param>
public sealed record MaskPrediction(int MaskIndex, int Position, IReadOnlyList<MaskCandidate> Candidates);
