namespace TextSSL.Corpora.Internal;

/// <summary>
/// One LSH band's table: 32-bit band key → the first document index with that key, in one open-addressing array
/// of 8-byte slots (about 11 bytes per document at the maximum load), several times smaller than a Dictionary.
/// A key collision only makes an extra candidate, which the similarity check rejects.
/// </summary>
internal sealed class BandTable
{
    private ulong[] _slots = new ulong[1024]; // (key << 32) | (index + 1); 0 = empty
    private int _count;

    /// <summary>The first index stored under <paramref name="key"/>, or -1.</summary>
    public int Find(uint key)
    {
        var mask = _slots.Length - 1;
        for (var i = (int)(Spread(key) & (uint)mask); ; i = (i + 1) & mask)
        {
            var s = _slots[i];
            if (s == 0) return -1;
            if ((uint)(s >> 32) == key) return (int)(uint)s - 1;
        }
    }

    /// <summary>Stores <paramref name="index"/> under <paramref name="key"/> unless the key is already present.</summary>
    public void TryAdd(uint key, int index)
    {
        if (Find(key) >= 0) return;
        if ((_count + 1) * 10L > _slots.Length * 7L) Grow();
        Insert(_slots, ((ulong)key << 32) | (uint)(index + 1));
        _count++;
    }

    private void Grow()
    {
        var bigger = new ulong[_slots.Length * 2];
        foreach (var s in _slots) if (s != 0) Insert(bigger, s);
        _slots = bigger;
    }

    private static void Insert(ulong[] slots, ulong entry)
    {
        var mask = slots.Length - 1;
        var i = (int)(Spread((uint)(entry >> 32)) & (uint)mask);
        while (slots[i] != 0) i = (i + 1) & mask;
        slots[i] = entry;
    }

    private static uint Spread(uint key) => key * 0x9E3779B1u;
}
