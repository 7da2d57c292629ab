using System.Runtime.InteropServices;

namespace TextSSL.Tokenization.Bpe;

/// <summary>
/// Weighted counts of adjacent symbol pairs over all words, and for each pair the words it may occur in.
/// </summary>
/// <remarks>
/// A pair is a <see cref="long"/>: left id in the high 32 bits, right id in the low ones, so comparing keys
/// compares (left, right). Word lists may hold words the pair has since left (they are skipped when merged), and
/// hold a word once per time it gained the pair, consecutive repeats removed.
/// </remarks>
internal sealed class PairStats
{
    private readonly Dictionary<long, long> _counts = new();
    private readonly Dictionary<long, List<int>> _where = new();
    private readonly HashSet<long> _increased = new();

    /// <summary>The key of a pair.</summary>
    public static long Key(int left, int right) => ((long)left << 32) | (uint)right;

    /// <summary>The left id of a key.</summary>
    public static int Left(long key) => (int)(key >> 32);

    /// <summary>The right id of a key.</summary>
    public static int Right(long key) => (int)(key & 0xFFFFFFFF);

    /// <summary>Pairs whose count went up since <see cref="ClearIncreased"/> was last called.</summary>
    public IReadOnlyCollection<long> Increased => _increased;

    /// <summary>Number of pairs with a count.</summary>
    public int Count => _counts.Count;

    /// <summary>Adds <paramref name="delta"/> to a pair's count; a positive delta records the word.</summary>
    public void Add(long pair, long delta, int wordIndex)
    {
        ref var count = ref CollectionsMarshal.GetValueRefOrAddDefault(_counts, pair, out _);
        count += delta;
        if (delta <= 0) return;
        _increased.Add(pair);
        ref var list = ref CollectionsMarshal.GetValueRefOrAddDefault(_where, pair, out var exists);
        if (!exists) list = new List<int>(4);
        if (list!.Count == 0 || list[^1] != wordIndex) list.Add(wordIndex);
    }

    /// <summary>The current count of a pair (0 when absent).</summary>
    public long CountOf(long pair) => _counts.GetValueOrDefault(pair);

    /// <summary>Removes a pair that was just merged and returns the words it may occur in.</summary>
    public List<int> TakeWords(long pair)
    {
        _counts.Remove(pair);
        return _where.Remove(pair, out var list) ? list : [];
    }

    /// <summary>Forgets the pairs whose count has gone to zero or below, keeping memory proportional to live pairs.</summary>
    public void Forget(long pair)
    {
        if (_counts.TryGetValue(pair, out var c) && c <= 0)
        {
            _counts.Remove(pair);
            _where.Remove(pair);
        }
    }

    /// <summary>Clears the increased set after its pairs were queued.</summary>
    public void ClearIncreased() => _increased.Clear();

    /// <summary>All pairs with a positive count.</summary>
    public IEnumerable<KeyValuePair<long, long>> Positive => _counts.Where(kv => kv.Value > 0);
}
