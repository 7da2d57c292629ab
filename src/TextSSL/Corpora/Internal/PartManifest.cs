using System.Text.Json;

namespace TextSSL.Corpora.Internal;

/// <summary>
/// <c>part.json</c>: a finished part's identity (which part of which build, with the build's full resolved options
/// and input list) and what it counted, so a merge can check the parts belong together and rebuild the manifest.
/// </summary>
internal sealed record PartManifest
{
    public const string FileName = "part.json";
    public const string CurrentFormat = "textssl-part/1";

    public string Format { get; init; } = CurrentFormat;
    public required int Part { get; init; }
    public required int Parts { get; init; }
    /// <summary>Hash of the options, the input list and the tokenizer: equal for every part of one build.</summary>
    public required string BuildId { get; init; }
    public required PartBuild Build { get; init; }
    public required List<PartFile> Files { get; init; }
    public required PartStats Stats { get; init; }
    /// <summary>Records in <see cref="PartDocuments.FileName"/>.</summary>
    public required long Documents { get; init; }
    /// <summary>Size of <see cref="PartDocuments.FileName"/>.</summary>
    public required long DocumentBytes { get; init; }
    /// <summary>Lower-case hex SHA-256 of <see cref="PartDocuments.FileName"/>, checked by the merge (a part copied between machines may arrive damaged).</summary>
    public required string DocumentsSha256 { get; init; }

    /// <exception cref="TextSslException">Missing, damaged, or of another format.</exception>
    public static PartManifest Load(string directory)
    {
        var path = Path.Combine(directory, FileName);
        if (!File.Exists(path))
            throw new TextSslException($"'{directory}' is not a finished build part (no {FileName}). Give the output directories of the part builds, after each has finished.");
        PartManifest? m;
        try { m = JsonSerializer.Deserialize<PartManifest>(File.ReadAllText(path), CorpusManifest.Json); }
        catch (JsonException ex) { throw new TextSslException($"{path} is damaged ({ex.Message}). Build that part again.", ex); }
        if (m is null || m.Format != CurrentFormat)
            throw new TextSslException($"{path} has format '{m?.Format}'; this version reads '{CurrentFormat}'. Build the parts again with this version.");
        return m;
    }

    public void Save(string path) => AtomicFile.WriteAllText(path, JsonSerializer.Serialize(this, CorpusManifest.Json) + "\n");
}

/// <summary>The build options every part of a build shares (those that decide the output).</summary>
internal sealed record PartBuild(List<SourceSpec> Sources, CleaningOptions Cleaning, DedupOptions Dedup, SplitOptions Split, long ShardTokens,
                                 ErrorPolicy OnError, bool IncludeTokenizer, string TokenizerFingerprint);

/// <summary>One input file of the build (all of them, not only the part's), in input order.</summary>
internal sealed record PartFile(string Path, int Source, SourceFormat Format, long Bytes);

/// <summary>What one part counted: documents read per source, filter drops, unreadable records.</summary>
internal sealed record PartStats(long Read, long[] PerSource, long Empty, long TooShort, long TooLong, long Skipped, List<PartSkipped> SkippedFirst);

/// <summary>An unreadable record with the index of its file, so the merge can list the first ones in input order.</summary>
internal sealed record PartSkipped(int File, SkippedRecord Record);

/// <summary>Where an interrupted part stands: documents of its share fully processed and the bytes of them written.</summary>
internal sealed record PartCheckpoint(string BuildId, int Part, int Parts, long DocumentsDone, long Records, long DocumentBytes)
{
    public const string FileName = "part-checkpoint.json";

    /// <summary>Input files' sizes and modification times when the part started.</summary>
    public List<InputStamp>? Inputs { get; init; }

    public static PartCheckpoint? Load(string workDirectory)
    {
        var path = Path.Combine(workDirectory, FileName);
        if (!File.Exists(path)) return null;
        try { return JsonSerializer.Deserialize<PartCheckpoint>(File.ReadAllText(path), CorpusManifest.Json); }
        catch (JsonException ex) { throw new OptionException([nameof(BuildOptions.Resume)], $"cannot resume: {path} is damaged ({ex.Message}). Run again without Resume.", ex); }
    }

    public void Save(string workDirectory) =>
        AtomicFile.WriteAllText(Path.Combine(workDirectory, FileName), JsonSerializer.Serialize(this, CorpusManifest.Json));
}

/// <summary>An input file's size and last write time (UTC ticks), to notice inputs edited between a run and its resume.</summary>
internal sealed record InputStamp(string Path, long Bytes, long Modified);
