using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using System.Threading.Channels;

namespace TextSSL.Tokenization.Bpe;

/// <summary>
/// Counts the distinct pre-tokens of a corpus in parallel: one reader streams bounded chunks into a bounded
/// channel, and each worker splits chunks with the regex into its own dictionary; the dictionaries are summed at the end.
/// </summary>
/// <remarks>Memory is bounded by the channel (a few chunks) plus the distinct pre-tokens, not by the corpus size.</remarks>
internal static class PreTokenCounter
{
    /// <summary>Counts pre-tokens over every file.</summary>
    public static async Task<Dictionary<string, long>> CountFilesAsync(IReadOnlyList<string> files, Regex split, bool replaceInvalid, int threads,
                                                                       IProgress<BpeTrainingProgress>? progress, CancellationToken ct,
                                                                       int chunkChars = TrainingInput.ChunkChars)
    {
        long totalBytes = files.Sum(f => new FileInfo(f).Length);
        long doneChars = 0;
        var channel = Channel.CreateBounded<string>(new BoundedChannelOptions(Math.Max(2, threads * 2)) { SingleWriter = true });
        var workers = Enumerable.Range(0, Math.Max(1, threads)).Select(_ => Task.Run(async () =>
        {
            var counts = new Dictionary<string, long>(StringComparer.Ordinal);
            await foreach (var chunk in channel.Reader.ReadAllAsync(ct).ConfigureAwait(false)) CountInto(counts, chunk, split);
            return counts;
        }, ct)).ToArray();

        try
        {
            await Task.Run(async () =>
            {
                foreach (var file in files)
                {
                    foreach (var chunk in TrainingInput.ReadChunks(file, replaceInvalid, ct, chunkChars))
                    {
                        await channel.Writer.WriteAsync(chunk, ct).ConfigureAwait(false);
                        doneChars += chunk.Length;
                        progress?.Report(new BpeTrainingProgress(BpeTrainingPhase.Counting, doneChars, totalBytes));
                    }
                }
            }, ct).ConfigureAwait(false);
        }
        finally { channel.Writer.TryComplete(); }

        var results = await Task.WhenAll(workers).ConfigureAwait(false);
        return Sum(results);
    }

    /// <summary>Counts pre-tokens over in-memory texts (each one document), sequentially.</summary>
    public static Dictionary<string, long> CountTexts(IEnumerable<string> texts, Regex split)
    {
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var text in texts) CountInto(counts, text, split);
        return counts;
    }

    private static void CountInto(Dictionary<string, long> counts, string chunk, Regex split)
    {
        // the alternate lookup finds existing pre-tokens by span, so only new ones allocate a string
        var lookup = counts.GetAlternateLookup<ReadOnlySpan<char>>();
        foreach (var m in split.EnumerateMatches(chunk))
        {
            if (m.Length == 0) continue;
            ref var count = ref CollectionsMarshal.GetValueRefOrAddDefault(lookup, chunk.AsSpan(m.Index, m.Length), out _);
            count++;
        }
    }

    private static Dictionary<string, long> Sum(Dictionary<string, long>[] parts)
    {
        var total = parts.OrderByDescending(p => p.Count).First();
        foreach (var part in parts)
        {
            if (ReferenceEquals(part, total)) continue;
            foreach (var (key, value) in part)
            {
                ref var count = ref CollectionsMarshal.GetValueRefOrAddDefault(total, key, out _);
                count += value;
            }
        }
        return total;
    }
}
