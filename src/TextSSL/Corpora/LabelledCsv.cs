using System.Runtime.CompilerServices;
using CsvHelper;

namespace TextSSL.Corpora;

/// <summary>Options of a labelled probe set.</summary>
internal sealed record LabelledOptions
{
    /// <summary>Cleaning and length filters.</summary>
    public CleaningOptions Cleaning { get; init; } = new();

    /// <summary>Fraction of each label's documents put in the test split (default 0.2).</summary>
    public double TestFraction { get; init; } = 0.2;

    /// <summary>Salt of the split hash (default 0).</summary>
    public ulong Seed { get; init; }

    /// <summary>What to do with unreadable records.</summary>
    public ErrorPolicy OnError { get; init; } = ErrorPolicy.Fail;
}

/// <summary>Counts of a written labelled set.</summary>
/// <param name="Path">The CSV written.</param>
/// <param name="Read">Documents read.</param>
/// <param name="Dropped">Dropped by cleaning filters.</param>
/// <param name="Duplicates">Exact duplicates dropped.</param>
/// <param name="Skipped">Unreadable records skipped.</param>
/// <param name="PerLabel">Per label: (train, test) documents.</param>
internal sealed record LabelledResult(string Path, long Read, long Dropped, long Duplicates, long Skipped, IReadOnlyDictionary<string, (int Train, int Test)> PerLabel);

/// <summary>
/// Writes a labelled set for probes as CSV (<c>text,label,split</c>) through CsvHelper: cleaned, exact duplicates
/// dropped, and a deterministic stratified split (per label, the documents with the lowest hashes form the test
/// part, so the split depends on the texts only). Streaming: kept documents are spooled to a temporary file beside
/// the output while their labels and hashes (about 60 bytes per document) decide the split, then copied into the CSV.
/// </summary>
internal static class LabelledCsv
{
    /// <summary>The CSV header.</summary>
    public static IReadOnlyList<string> Header { get; } = ["text", "label", "split"];

    /// <summary>Reads <paramref name="sources"/> (which must give labels) and writes <paramref name="path"/> atomically.</summary>
    /// <exception cref="TextSslException">A document has no label, nothing is left, or the input is bad.</exception>
    public static async Task<LabelledResult> WriteAsync(IReadOnlyList<SourceSpec> sources, string path, LabelledOptions options, CancellationToken ct = default)
    {
        if (options.TestFraction is < 0 or >= 1) throw new OptionException(nameof(LabelledOptions.TestFraction), $"TestFraction must be in [0, 1) (got {options.TestFraction}).");
        var errors = new CorpusErrors(options.OnError);
        var cleaner = new TextCleaner(options.Cleaning);
        var seen = new HashSet<UInt128>();
        var labels = new List<string>();
        var labelIds = new Dictionary<string, int>(StringComparer.Ordinal);
        var kept = new List<(int Label, UInt128 Key)>();
        long read = 0, dropped = 0, duplicates = 0;
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var spoolPath = $"{full}.spool-{Environment.ProcessId}";
        try
        {
            await using (var spool = new BinaryWriter(new FileStream(spoolPath, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16), System.Text.Encoding.UTF8))
            {
                await foreach (var doc in CorpusReader.ReadAsync(sources, errors, ct).ConfigureAwait(false))
                {
                    read++;
                    if (doc.Label is null)
                        throw new OptionException(nameof(SourceSpec.LabelFrom), $"{doc.Source}:{doc.Record}: the document has no label. Say where labels come from with LabelFrom (folder, file or field).");
                    if (cleaner.Clean(doc.Text, out var text) != CleanOutcome.Kept) { dropped++; continue; }
                    var key = Deduplicator.Key(text!);
                    if (!seen.Add(key)) { duplicates++; continue; }
                    if (!labelIds.TryGetValue(doc.Label, out var label))
                    {
                        labelIds[doc.Label] = label = labels.Count;
                        labels.Add(doc.Label);
                    }
                    kept.Add((label, key));
                    spool.Write(text!);
                }
            }
            if (kept.Count == 0) throw new TextSslException($"no labelled documents left: {read} read, {dropped} dropped by filters, {duplicates} duplicates, {errors.Count} skipped.");

            var test = new bool[kept.Count];
            var perLabel = new SortedDictionary<string, (int Train, int Test)>(StringComparer.Ordinal);
            foreach (var group in Enumerable.Range(0, kept.Count).GroupBy(i => kept[i].Label))
            {
                var ranked = group.OrderBy(i => MinHasher.Mix((ulong)(kept[i].Key >> 64) ^ options.Seed)).ThenBy(i => kept[i].Key).ToList();
                var nTest = (int)Math.Round(ranked.Count * options.TestFraction, MidpointRounding.AwayFromZero);
                foreach (var i in ranked.Take(nTest)) test[i] = true;
                perLabel[labels[group.Key]] = (ranked.Count - nTest, nTest);
            }
            AtomicFile.Write(path, stream =>
            {
                using var spool = new BinaryReader(new FileStream(spoolPath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16), System.Text.Encoding.UTF8);
                using var csv = CsvWriter.Create(stream, null, leaveOpen: true);
                csv.WriteHeader(Header.ToArray());
                for (var i = 0; i < kept.Count; i++)
                {
                    ct.ThrowIfCancellationRequested();
                    csv.WriteRecord([spool.ReadString(), labels[kept[i].Label], test[i] ? "test" : "train"]);
                }
                csv.Flush();
            });
            return new LabelledResult(path, read, dropped, duplicates, errors.Count, perLabel);
        }
        finally
        {
            if (File.Exists(spoolPath)) File.Delete(spoolPath);
        }
    }

    /// <summary>
    /// Writes the texts of one split of a labelled CSV as a folder of UTF-8 files, one document each
    /// (<c>000000.txt</c>, ...), for pretraining on the training rows only: the folder is read back from the very
    /// CSV the probe reads, so no row of another split can reach it. The folder is built beside the target and
    /// renamed into place, replacing an older one only if TextSSL wrote it (see <see cref="AtomicDirectory"/>). Returns the number of documents written.
    /// </summary>
    /// <exception cref="TextSslException">No row has that split.</exception>
    public static async Task<int> WriteSplitTextsAsync(string csvPath, string split, string directory, CancellationToken ct = default)
    {
        var n = 0;
        await AtomicDirectory.WriteAsync(directory, OutputKind.SplitTexts, async work =>
        {
            await foreach (var row in ReadAsync(csvPath, ct).ConfigureAwait(false))
            {
                if (!string.Equals(row.Split, split, StringComparison.Ordinal)) continue;
                await File.WriteAllTextAsync(Path.Combine(work, $"{n:D6}.txt"), row.Text, ct).ConfigureAwait(false);
                n++;
            }
            if (n == 0) throw new TextSslException($"{csvPath}: no row has split '{split}'. Check the split column (train/test).");
        }).ConfigureAwait(false);
        return n;
    }

    /// <summary>Reads a labelled CSV written by <see cref="WriteAsync"/> (for probes and tests).</summary>
    public static async IAsyncEnumerable<(string Text, string Label, string Split)> ReadAsync(string path, [EnumeratorCancellation] CancellationToken ct = default)
    {
        await using var stream = File.OpenRead(path);
        await using var csv = CsvReader.Create(stream, CsvReaderOptions.Default with { Separator = ',' }, leaveOpen: false);
        await csv.ReadHeaderAsync(ct).ConfigureAwait(false);
        int text = csv.GetFieldIndex("text"), label = csv.GetFieldIndex("label"), split = csv.GetFieldIndex("split");
        while (await csv.ReadAsync(ct).ConfigureAwait(false))
            yield return (csv.GetString(text), csv.GetString(label), csv.GetString(split));
    }
}
