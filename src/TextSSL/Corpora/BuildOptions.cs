using TextSSL.Tokenization;

namespace TextSSL.Corpora;

/// <summary>Everything <see cref="CorpusBuilder.BuildAsync"/> needs to turn sources into token shards.</summary>
/// <param name="Sources">The inputs, read in order.</param>
/// <param name="OutputDirectory">Where <c>manifest.json</c> and the shards go.</param>
/// <param name="Tokenizer">Any tokenizer with an end-of-text special token; its <c>Encode</c> is called from several threads at once.</param>
public sealed record BuildOptions(IReadOnlyList<SourceSpec> Sources, string OutputDirectory, TextTokenizer Tokenizer)
{
    /// <summary>Cleaning and length filters.</summary>
    public CleaningOptions Cleaning { get; init; } = new();

    /// <summary>Deduplication.</summary>
    public DedupOptions Dedup { get; init; } = new();

    /// <summary>Split fractions.</summary>
    public SplitOptions Split { get; init; } = new();

    /// <summary>Tokens per shard file (default 64 Mi tokens: 128 MiB as uint16).</summary>
    public long ShardTokens { get; init; } = 64L << 20;

    /// <summary>What to do with unreadable records (default: fail).</summary>
    public ErrorPolicy OnError { get; init; } = ErrorPolicy.Fail;

    /// <summary>Continue an interrupted run from its last checkpoint instead of starting over (default false).</summary>
    public bool Resume { get; init; }

    /// <summary>Replace an existing corpus made with a different tokenizer (default false: that is an error).</summary>
    public bool Force { get; init; }

    /// <summary>Worker threads for cleaning, hashing and tokenizing (default: all cores).</summary>
    public int Threads { get; init; } = Environment.ProcessorCount;

    /// <summary>Characters per processing batch; with two batches in flight this bounds the text held in memory (default 4 Mi).</summary>
    public int BatchChars { get; init; } = 4 << 20;

    /// <summary>
    /// Store the tokenizer in <c>OUT/tokenizer</c> as part of the corpus (default false). It is written with the shards
    /// and moved into place before the manifest, so a corpus whose manifest exists always has its tokenizer.
    /// </summary>
    public bool IncludeTokenizer { get; init; }

    /// <summary>
    /// Growth of the managed heap after which the build forces a full collection between batches (default: 64 MiB or
    /// 16 × <see cref="BatchChars"/> bytes, whichever is larger; 0 turns it off). It keeps the peak memory of long
    /// builds flat; a host process with a large heap of its own may prefer 0, since a full collection then costs more.
    /// </summary>
    public long? HeapAllowance { get; init; }

    /// <summary>Minimum time between checkpoints (default 10 s; zero checkpoints after every batch).</summary>
    public TimeSpan CheckpointInterval { get; init; } = TimeSpan.FromSeconds(10);
}
