using System.Text.Json.Serialization;

namespace TextSSL.Corpora;

/// <summary>
/// Everything one corpus build is given, as plain data: what to read, the tokenizer (a name or directory, or
/// <c>char</c> to build a character tokenizer from the input), cleaning, deduplication, split and shard settings, and
/// the output directory. A finished build writes it as <c>config.json</c> beside its manifest (<see cref="Save"/>), so
/// the build can be repeated from that file. Paths are kept as given (relative ones relative to the directory the
/// build was started in). <see cref="Resume"/> and <see cref="Force"/> say how to treat an existing output, not what to
/// build, and are written off.
/// </summary>
public sealed record BuildRunOptions
{
    /// <summary>The configuration kind of <c>config.json</c>.</summary>
    public const string ConfigKind = "corpus-build";

    /// <summary>What to read.</summary>
    public CorpusInputs Inputs { get; init; } = new();

    /// <summary>A saved tokenizer directory or a tokenizer name; <see cref="CharTokenizer"/> builds a character tokenizer from the cleaned input.</summary>
    public required string Tokenizer { get; init; }

    /// <summary>The value of <see cref="Tokenizer"/> that builds a character tokenizer (unless a directory of that name exists).</summary>
    public const string CharTokenizer = "char";

    /// <summary>Where the manifest and shards go.</summary>
    public required string OutputDirectory { get; init; }

    /// <summary>Cleaning and length filters.</summary>
    public CleaningOptions Cleaning { get; init; } = new();

    /// <summary>Which duplicates are dropped.</summary>
    public DedupOptions Dedup { get; init; } = new();

    /// <summary>The train/validation/test split.</summary>
    public SplitOptions Split { get; init; } = new();

    /// <summary>Tokens per shard file.</summary>
    public long ShardTokens { get; init; } = 64L << 20;

    /// <summary>What to do with unreadable records.</summary>
    public ErrorPolicy OnError { get; init; } = ErrorPolicy.Fail;

    /// <summary>Continue an interrupted build in <see cref="OutputDirectory"/>.</summary>
    public bool Resume { get; init; }

    /// <summary>Replace a corpus in <see cref="OutputDirectory"/> made with another tokenizer.</summary>
    public bool Force { get; init; }

    /// <summary>Worker threads; null for all cores.</summary>
    public int? Threads { get; init; }

    /// <summary>Minimum seconds between checkpoints that a resumed build continues from.</summary>
    public double CheckpointSeconds { get; init; } = 10;

    /// <summary>Characters per processing batch.</summary>
    public int BatchChars { get; init; } = 4 << 20;

    /// <summary>Build only this part (<c>I/N</c>) of the inputs, for a merge; null builds them all.</summary>
    public string? Part { get; init; }

    /// <summary>Whether <see cref="Tokenizer"/> asks for a character tokenizer built from the input.</summary>
    [JsonIgnore] public bool BuildsCharTokenizer => Tokenizer == CharTokenizer && !Directory.Exists(Tokenizer);

    /// <summary>
    /// Checks the numbers that <see cref="CorpusBuilder"/> would refuse, before anything is read or created (a character
    /// tokenizer is trained from the whole input first, and the output directory is made).
    /// </summary>
    /// <exception cref="OptionException">A number out of range, named by its <see cref="BuildOptions"/> property.</exception>
    public void Validate()
    {
        Split.Validate();
        if (Threads is < 1) throw new OptionException(nameof(BuildOptions.Threads), $"Threads must be at least 1 (got {Threads}).");
        if (ShardTokens < 1) throw new OptionException(nameof(BuildOptions.ShardTokens), $"ShardTokens must be at least 1 (got {ShardTokens}).");
        if (BatchChars < 1) throw new OptionException(nameof(BuildOptions.BatchChars), $"BatchChars must be at least 1 (got {BatchChars}).");
    }

    /// <summary>Writes these options (<see cref="Resume"/> and <see cref="Force"/> off) as <c>config.json</c> into <see cref="OutputDirectory"/>, atomically.</summary>
    public void Save() => ConfigFile.Save(OutputDirectory, this with { Resume = false, Force = false }, ConfigKind);

    /// <summary>Reads a build's <c>config.json</c> (or the directory holding it).</summary>
    /// <exception cref="TextSslException">Missing, unreadable, malformed, another kind, or a field the record does not have.</exception>
    public static BuildRunOptions Load(string path) => ConfigFile.Read<BuildRunOptions>(path, ConfigKind);

    /// <summary>Whether <paramref name="directory"/> holds a build's <c>config.json</c>.</summary>
    public static bool HasConfig(string directory) => File.Exists(Path.Combine(directory, ConfigFile.FileName));
}
