namespace TextSSL.Tokenization.Bpe;

/// <summary>Which part of training is running.</summary>
public enum BpeTrainingPhase
{
    /// <summary>Reading the input and counting pre-tokens; Done/Total are characters/bytes read.</summary>
    Counting,
    /// <summary>Learning merges; Done/Total are merges.</summary>
    Merging,
}

/// <summary>Progress of a training run.</summary>
/// <param name="Phase">The running phase.</param>
/// <param name="Done">Work done in this phase.</param>
/// <param name="Total">Total work of this phase, when known.</param>
public sealed record BpeTrainingProgress(BpeTrainingPhase Phase, long Done, long Total);

/// <summary>One learned merge: the pair of token ids and the id it became.</summary>
/// <param name="Left">Left token id.</param>
/// <param name="Right">Right token id.</param>
/// <param name="Id">The resulting token id (an existing id when the merged bytes were already a token).</param>
/// <param name="Count">How often the pair occurred when it was merged.</param>
public readonly record struct BpeMerge(int Left, int Right, int Id, long Count);

/// <summary>What training produced.</summary>
/// <param name="Tokenizer">The tokenizer.</param>
/// <param name="Merges">The merges in the order they were learned.</param>
/// <param name="PreTokens">Pre-tokens in the input.</param>
/// <param name="DistinctPreTokens">Distinct pre-tokens.</param>
/// <param name="CountTime">Time spent reading and counting.</param>
/// <param name="MergeTime">Time spent learning merges.</param>
public sealed record BpeTrainingResult(ByteLevelBpeTokenizer Tokenizer, IReadOnlyList<BpeMerge> Merges, long PreTokens, int DistinctPreTokens,
                                       TimeSpan CountTime, TimeSpan MergeTime)
{
    /// <summary>Whether training stopped before the requested vocabulary size because no pair occurred any more.</summary>
    public bool RanOutOfPairs { get; init; }
}
