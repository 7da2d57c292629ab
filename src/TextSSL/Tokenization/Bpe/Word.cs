namespace TextSSL.Tokenization.Bpe;

/// <summary>A distinct pre-token during training: its current symbols (token ids) and how often it occurs.</summary>
internal sealed class Word(int[] symbols, long count)
{
    private readonly int[] _symbols = symbols;

    /// <summary>How often the pre-token occurs in the corpus; every pair change is weighted by it.</summary>
    public long Count { get; } = count;

    /// <summary>Current number of symbols.</summary>
    public int Length { get; private set; } = symbols.Length;

    /// <summary>The current symbols.</summary>
    public ReadOnlySpan<int> Symbols => _symbols.AsSpan(0, Length);

    /// <summary>
    /// Replaces every occurrence of (<paramref name="left"/>, <paramref name="right"/>), scanning left to right, with
    /// <paramref name="merged"/>, and reports the change of every neighbouring pair to <paramref name="stats"/>.
    /// </summary>
    /// <remarks>
    /// Overlaps resolve as in minbpe: "a a a" with (a, a) becomes "Z a". The left neighbour is read from the output
    /// already written, so two merges in a row ("a a a a" → "Z Z") report (Z, a) added then removed, and (Z, Z) added.
    /// </remarks>
    public void Merge(int left, int right, int merged, PairStats stats, int wordIndex)
    {
        var s = _symbols;
        var n = Length;
        var w = 0;
        var i = 0;
        while (i < n)
        {
            if (i + 1 < n && s[i] == left && s[i + 1] == right)
            {
                if (w > 0)
                {
                    var prev = s[w - 1];
                    stats.Add(PairStats.Key(prev, left), -Count, wordIndex);
                    stats.Add(PairStats.Key(prev, merged), Count, wordIndex);
                }
                stats.Add(PairStats.Key(left, right), -Count, wordIndex);
                if (i + 2 < n)
                {
                    var next = s[i + 2];
                    stats.Add(PairStats.Key(right, next), -Count, wordIndex);
                    stats.Add(PairStats.Key(merged, next), Count, wordIndex);
                }
                s[w++] = merged;
                i += 2;
            }
            else s[w++] = s[i++];
        }
        Length = w;
    }
}
