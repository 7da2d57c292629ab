using TextSSL.Corpora.Internal;

namespace TextSSL.Corpora;

public static partial class CorpusBuilder
{
    /// <summary>Every input file's size and last write time, recorded in checkpoints.</summary>
    private static List<InputStamp> InputStamps(IReadOnlyList<SourceFile> files) =>
        files.Where(f => f.Path != "-").Select(f => new InputStamp(f.Path, f.Bytes, File.GetLastWriteTimeUtc(f.Path).Ticks)).ToList();

    /// <summary>
    /// Refuses to resume when an input changed since the interrupted run started: the shards written so far hold its
    /// old content, and a resumed run would mix old and new. A checkpoint without stamps (older versions) is not checked.
    /// </summary>
    /// <exception cref="OptionException">An input was edited, replaced, added or removed.</exception>
    private static void EnsureInputsUnchanged(IReadOnlyList<InputStamp>? saved, IReadOnlyList<SourceFile> files, string outDir)
    {
        if (saved is null) return;
        var now = InputStamps(files);
        var before = saved.GroupBy(s => s.Path, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        string? what = null;
        foreach (var stamp in now)
        {
            if (!before.TryGetValue(stamp.Path, out var old)) what = $"input '{stamp.Path}' is new";
            else if (old.Bytes != stamp.Bytes) what = $"input '{stamp.Path}' changed size ({old.Bytes:N0} → {stamp.Bytes:N0} bytes)";
            else if (old.Modified != stamp.Modified) what = $"input '{stamp.Path}' was modified (last write {new DateTime(old.Modified, DateTimeKind.Utc):u} → {new DateTime(stamp.Modified, DateTimeKind.Utc):u})";
            if (what is not null) break;
        }
        var gone = saved.Select(s => s.Path).Except(now.Select(s => s.Path), StringComparer.Ordinal).FirstOrDefault();
        what ??= gone is null ? null : $"input '{gone}' is gone";
        if (what is not null)
            throw new OptionException(nameof(BuildOptions.Resume), $"cannot resume in '{outDir}': {what} since the interrupted run started, and the output so far holds the old content. Run again without Resume to start over.");
    }
}
