using System.Text.Json;

namespace TextSSL.Corpora.Internal;

/// <summary>
/// What a resumed run needs: the options it must match, how many documents were fully processed, and the shard
/// writers' state. Dedup and filter statistics are not stored: a resumed run rebuilds them by re-reading those
/// documents (cleaning and hashing, without tokenizing), which is deterministic.
/// </summary>
internal sealed record BuildCheckpoint(string OptionsHash, long DocumentsDone, Dictionary<string, SplitState> Splits, long Untokenizable, List<SkippedRecord> UntokenizableFirst)
{
    public const string FileName = "checkpoint.json";

    /// <summary>The inputs' sizes and modification times when the interrupted run started (null in older checkpoints).</summary>
    public List<InputStamp>? Inputs { get; init; }

    public static BuildCheckpoint? Load(string workDirectory)
    {
        var path = Path.Combine(workDirectory, FileName);
        if (!File.Exists(path)) return null;
        try { return JsonSerializer.Deserialize<BuildCheckpoint>(File.ReadAllText(path), CorpusManifest.Json); }
        catch (JsonException ex) { throw new OptionException([nameof(BuildOptions.Resume)], $"cannot resume: {path} is damaged ({ex.Message}). Run again without Resume.", ex); }
    }

    public void Save(string workDirectory) =>
        AtomicFile.WriteAllText(Path.Combine(workDirectory, FileName), JsonSerializer.Serialize(this, CorpusManifest.Json));
}
