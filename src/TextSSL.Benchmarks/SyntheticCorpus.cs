using System.Text;

namespace TextSSL.Benchmarks;

/// <summary>
/// Writes a deterministic synthetic text corpus of a given size for memory and throughput benchmarks: documents of
/// 4–60 KB (mean about 32 KB) separated by blank lines, words drawn from a Zipf-like vocabulary of 20,000 made-up
/// words, so every document is distinct (no duplicates to drop) and the alphabet is <see cref="Alphabet"/>.
/// </summary>
public static class SyntheticCorpus
{
    /// <summary>Every character the corpus can contain.</summary>
    public const string Alphabet = "abcdefghijklmnopqrstuvwxyz ,.\n";

    /// <summary>Writes about <paramref name="bytes"/> bytes to <paramref name="path"/> (atomically); the same seed gives the same file.</summary>
    public static void Write(string path, long bytes, int seed = 1, CancellationToken ct = default)
    {
        var rng = new Random(seed);
        var vocab = Enumerable.Range(0, 20_000).Select(_ =>
        {
            var len = 2 + rng.Next(9);
            var w = new char[len];
            for (var i = 0; i < len; i++) w[i] = (char)('a' + rng.Next(26));
            return new string(w);
        }).ToArray();
        AtomicFile.Write(path, stream =>
        {
            using var writer = new StreamWriter(stream, new UTF8Encoding(false), 1 << 20, leaveOpen: true);
            var sb = new StringBuilder(64 << 10);
            long written = 0;
            while (written < bytes)
            {
                ct.ThrowIfCancellationRequested();
                sb.Clear();
                var target = 4096 + rng.Next(56 << 10);
                var sentence = 0;
                while (sb.Length < target)
                {
                    // Zipf-like: squaring a uniform draw favours low ranks
                    var u = rng.NextDouble();
                    sb.Append(vocab[(int)(u * u * vocab.Length)]);
                    sb.Append(++sentence % 12 == 0 ? ". " : rng.Next(8) == 0 ? ", " : " ");
                }
                sb.Append("\n\n");
                writer.Write(sb);
                written += sb.Length;
            }
        });
    }

    /// <summary>The peak resident memory of this process (VmHWM on Linux), or null where it is not available.</summary>
    public static long? PeakResidentBytes()
    {
        const string status = "/proc/self/status";
        if (!File.Exists(status)) return null;
        foreach (var line in File.ReadLines(status))
            if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) * 1024;
        return null;
    }
}
