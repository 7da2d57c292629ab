using System.Text;

namespace TextSSL.Cli.Commands;

/// <summary>
/// A deterministic large corpus made from a small one: copies of its paragraphs in shuffled order, each copy after
/// the first changing some words (suffixes, case, vowel shifts) so the large corpus has many more distinct words.
/// </summary>
internal static class SyntheticCorpus
{
    private static readonly string[] Suffixes = ["ness", "ly", "ing", "ed", "er", "ish", "ward", "less"];

    /// <summary>Writes at least <paramref name="targetBytes"/> UTF-8 bytes to <paramref name="path"/>.</summary>
    public static void Write(string source, string path, long targetBytes)
    {
        var paragraphs = source.Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
        AtomicFile.Write(path, stream =>
        {
            using var writer = new StreamWriter(stream, new UTF8Encoding(false), 1 << 16, leaveOpen: true);
            long written = 0;
            for (var copy = 0; written < targetBytes; copy++)
            {
                var rng = new Random(copy); // seeded: the same corpus every run
                var order = Enumerable.Range(0, paragraphs.Length).ToArray();
                if (copy > 0) rng.Shuffle(order);
                foreach (var i in order)
                {
                    var p = copy == 0 ? paragraphs[i] : Vary(paragraphs[i], copy, rng);
                    writer.Write(p);
                    writer.Write("\n\n");
                    written += Encoding.UTF8.GetByteCount(p) + 2;
                    if (written >= targetBytes) break;
                }
            }
        });
    }

    private static string Vary(string paragraph, int copy, Random rng)
    {
        var sb = new StringBuilder(paragraph.Length + 32);
        var i = 0;
        while (i < paragraph.Length)
        {
            if (!char.IsLetter(paragraph[i])) { sb.Append(paragraph[i++]); continue; }
            var start = i;
            while (i < paragraph.Length && char.IsLetter(paragraph[i])) i++;
            var word = paragraph.AsSpan(start, i - start);
            var roll = rng.Next(10);
            if (roll == 0) sb.Append(word).Append(Suffixes[(copy + word.Length) % Suffixes.Length]);
            else if (roll == 1) sb.Append(word.ToString().ToUpperInvariant());
            else if (roll == 2) foreach (var c in word) sb.Append(Shift(c, copy));
            else sb.Append(word);
        }
        return sb.ToString();
    }

    private static char Shift(char c, int copy)
    {
        const string vowels = "aeiou";
        var k = vowels.IndexOf(c);
        return k < 0 ? c : vowels[(k + copy) % vowels.Length];
    }
}
