using System.Text.Json;
using System.Text.Json.Serialization;

namespace TextSSL.Corpora;

/// <summary>
/// The JSON manifest (<c>manifest.json</c>) of a directory of token shards: which tokenizer produced them, how the
/// ids are stored, every split's shards with sizes and hashes, and what the preparation read, dropped and skipped.
/// Holds no timestamps, so an identical run writes an identical manifest.
/// </summary>
public sealed record CorpusManifest
{
    /// <summary>The manifest's file name inside a shard directory.</summary>
    public const string FileName = "manifest.json";

    /// <summary>The current format tag.</summary>
    public const string CurrentFormat = "textssl-shards/1";

    /// <summary>Format tag; readers refuse tags they do not know.</summary>
    public string Format { get; init; } = CurrentFormat;

    /// <summary>Version of the TextSSL library that wrote the shards.</summary>
    public required string ToolVersion { get; init; }

    /// <summary>Fingerprint of the tokenizer that produced the ids (<see cref="Tokenization.TextTokenizer.Fingerprint"/>).</summary>
    public required string TokenizerFingerprint { get; init; }

    /// <summary>The tokenizer's kind (<c>char</c>, <c>bpe</c>, ...).</summary>
    public required string TokenizerKind { get; init; }

    /// <summary>The tokenizer's vocabulary size; every id is below it.</summary>
    public required int VocabSize { get; init; }

    /// <summary>The end-of-text id that follows every document in the stream.</summary>
    public required int EndOfTextId { get; init; }

    /// <summary>Bytes per id in the shards: 2 (little-endian uint16) when the vocabulary fits, else 4 (uint32).</summary>
    public required int TokenBytes { get; init; }

    /// <summary>Tokens per shard (the last shard of a split may hold fewer).</summary>
    public required long ShardTokens { get; init; }

    /// <summary>The splits (<c>train</c>, <c>validation</c>, <c>test</c>), each with its shards.</summary>
    public required IReadOnlyDictionary<string, SplitManifest> Splits { get; init; }

    /// <summary>The sources read.</summary>
    public IReadOnlyList<SourceSummary> Sources { get; init; } = [];

    /// <summary>Cleaning options and how many documents each filter dropped.</summary>
    public CleaningSummary? Cleaning { get; init; }

    /// <summary>Deduplication options, counts and examples.</summary>
    public DedupSummary? Dedup { get; init; }

    /// <summary>Split fractions and salt.</summary>
    public SplitOptions? SplitRule { get; init; }

    /// <summary>Records that could not be read.</summary>
    public ErrorSummary? Errors { get; init; }

    /// <summary>JSON settings of manifests: camelCase, indented, enums as strings.</summary>
    public static JsonSerializerOptions Json { get; } = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>Reads a manifest file.</summary>
    /// <exception cref="TextSslException">Missing, not JSON, or of an unknown format.</exception>
    public static CorpusManifest Load(string path)
    {
        if (!File.Exists(path)) throw new TextSslException($"no shard manifest at '{path}'. Prepare the corpus first (a shard build into '{Path.GetDirectoryName(path)}').");
        CorpusManifest? m;
        try { m = JsonSerializer.Deserialize<CorpusManifest>(File.ReadAllText(path), Json); }
        catch (JsonException ex) { throw new TextSslException($"{path} is not a valid shard manifest: {ex.Message}", ex); }
        if (m is null) throw new TextSslException($"{path} is empty.");
        if (m.Format != CurrentFormat) throw new TextSslException($"{path} has format '{m.Format}'; this version reads '{CurrentFormat}'. Prepare the corpus again.");
        if (m.TokenBytes is not (2 or 4)) throw new TextSslException($"{path}: tokenBytes must be 2 or 4 (found {m.TokenBytes}).");
        return m;
    }

    /// <summary>Writes the manifest atomically.</summary>
    public void Save(string path) => AtomicFile.WriteAllText(path, JsonSerializer.Serialize(this, ReadableJson.CamelCase) + "\n");
}

/// <summary>One split of a prepared corpus.</summary>
/// <param name="Documents">Documents in the split.</param>
/// <param name="Tokens">Tokens in the split, end-of-text tokens included.</param>
/// <param name="Shards">Its shard files in stream order.</param>
public sealed record SplitManifest(long Documents, long Tokens, IReadOnlyList<ShardManifest> Shards);

/// <summary>One shard file.</summary>
/// <param name="File">File name, relative to the manifest.</param>
/// <param name="Tokens">Tokens it holds.</param>
/// <param name="Bytes">Its size (tokens × token bytes).</param>
/// <param name="Sha256">Lower-case hex SHA-256 of its bytes.</param>
public sealed record ShardManifest(string File, long Tokens, long Bytes, string Sha256);

/// <summary>What was read from one source.</summary>
/// <param name="Path">The source as given.</param>
/// <param name="Format">Its format (or <c>auto</c>).</param>
/// <param name="Files">Files read.</param>
/// <param name="Bytes">Their total size.</param>
/// <param name="Documents">Documents read from it (before cleaning and dedup).</param>
public sealed record SourceSummary(string Path, string Format, int Files, long Bytes, long Documents);

/// <summary>Cleaning options and filter counts.</summary>
/// <param name="Normalization">Unicode normalization form (<c>nfc</c>, <c>nfkc</c>, <c>none</c>).</param>
/// <param name="Lowercase">Whether text was lower-cased.</param>
/// <param name="MinChars">Minimum length kept.</param>
/// <param name="MaxChars">Maximum length kept.</param>
/// <param name="DocumentsRead">Documents the readers produced.</param>
/// <param name="Empty">Dropped: empty after cleaning.</param>
/// <param name="TooShort">Dropped: shorter than the minimum.</param>
/// <param name="TooLong">Dropped: longer than the maximum.</param>
public sealed record CleaningSummary(string Normalization, bool Lowercase, int MinChars, int MaxChars, long DocumentsRead, long Empty, long TooShort, long TooLong);

/// <summary>Deduplication options, counts and examples.</summary>
/// <param name="Exact">Whether exact duplicates were dropped.</param>
/// <param name="Near">Whether near-duplicates were dropped.</param>
/// <param name="Threshold">Jaccard threshold for near-duplicates.</param>
/// <param name="ShingleWords">Words per shingle.</param>
/// <param name="ExactDuplicates">Exact duplicates dropped.</param>
/// <param name="NearDuplicates">Near-duplicates dropped.</param>
/// <param name="Examples">The first few of each kind.</param>
public sealed record DedupSummary(bool Exact, bool Near, double Threshold, int ShingleWords, long ExactDuplicates, long NearDuplicates, IReadOnlyList<DuplicateExample> Examples);

/// <summary>Unreadable records.</summary>
/// <param name="Policy">What was done with them.</param>
/// <param name="Skipped">How many were skipped.</param>
/// <param name="First">The first ones.</param>
/// <param name="Untokenizable">Documents skipped because the tokenizer could not encode them.</param>
/// <param name="UntokenizableFirst">The first of those.</param>
public sealed record ErrorSummary(ErrorPolicy Policy, long Skipped, IReadOnlyList<SkippedRecord> First, long Untokenizable, IReadOnlyList<SkippedRecord> UntokenizableFirst);
