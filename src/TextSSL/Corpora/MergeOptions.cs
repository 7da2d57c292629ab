namespace TextSSL.Corpora;

/// <summary>Everything <see cref="CorpusBuilder.MergeAsync"/> needs to turn finished build parts into one corpus.</summary>
/// <param name="Parts">The output directories of parts 1..N of one build, in any order, each exactly once.</param>
/// <param name="OutputDirectory">Where <c>manifest.json</c> and the shards go.</param>
public sealed record MergeOptions(IReadOnlyList<string> Parts, string OutputDirectory)
{
    /// <summary>Continue an interrupted merge from its last checkpoint instead of starting over (default false).</summary>
    public bool Resume { get; init; }

    /// <summary>Replace an existing corpus made with a different tokenizer (default false: that is an error).</summary>
    public bool Force { get; init; }

    /// <summary>Minimum time between checkpoints (default 10 s; zero checkpoints as often as it can).</summary>
    public TimeSpan CheckpointInterval { get; init; } = TimeSpan.FromSeconds(10);
}
