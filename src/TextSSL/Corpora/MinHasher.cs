using System.Numerics;
using System.Runtime.InteropServices;

namespace TextSSL.Corpora;

/// <summary>
/// MinHash signatures over word shingles: <see cref="Permutations"/> hash functions, each keeping the minimum over
/// a document's shingles; the fraction of equal entries of two signatures estimates the shingles' Jaccard similarity.
/// Entries keep the top 16 bits of each minimum (b-bit MinHash), so a signature costs 256 bytes. Thread-safe.
/// </summary>
internal sealed class MinHasher
{
    /// <summary>Hash functions per signature.</summary>
    public const int Permutations = 128;

    // per permutation p: v = (A[p] * lo + B[p]) ^ (C[p] * hi) over 32-bit lanes, where lo/hi are the halves of the
    // shingle's 64-bit hash; 32-bit lanes keep the inner loop in native SIMD multiplies
    private readonly uint[] _a = new uint[Permutations];
    private readonly uint[] _b = new uint[Permutations];
    private readonly uint[] _c = new uint[Permutations];

    /// <summary>Creates the hasher; the same <paramref name="shingleWords"/> and seed always give the same signatures.</summary>
    public MinHasher(int shingleWords = 5, ulong seed = 0x5EED_CAFE_F00D_0001)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(shingleWords, 1);
        ShingleWords = shingleWords;
        var state = seed;
        for (var i = 0; i < Permutations; i++)
        {
            _a[i] = (uint)SplitMix(ref state) | 1;
            _b[i] = (uint)SplitMix(ref state);
            _c[i] = (uint)SplitMix(ref state) | 1;
        }
    }

    /// <summary>Words per shingle.</summary>
    public int ShingleWords { get; }

    /// <summary>
    /// The signature of <paramref name="text"/>: words are runs of letters and digits, compared case-insensitively.
    /// Null when the text has fewer words than one shingle: such short texts ("Sir." and "Sir?") are too small for
    /// near-duplicate detection to mean anything, and are only compared exactly.
    /// </summary>
    public ushort[]? Signature(string text)
    {
        Span<uint> min = stackalloc uint[Permutations];
        min.Fill(uint.MaxValue);
        Span<ulong> window = stackalloc ulong[ShingleWords];
        var words = 0;
        var i = 0;
        while (NextWord(text, ref i, out var word))
        {
            window[words % ShingleWords] = word;
            words++;
            if (words >= ShingleWords) Add(ShingleHash(window, words), min);
        }
        if (words < ShingleWords) return null;
        var sig = new ushort[Permutations];
        for (var p = 0; p < Permutations; p++) sig[p] = (ushort)(min[p] >> 16);
        return sig;
    }

    /// <summary>The estimated Jaccard similarity of two signatures (fraction of equal entries).</summary>
    public static double Similarity(ReadOnlySpan<ushort> a, ReadOnlySpan<ushort> b)
    {
        var equal = 0;
        for (var i = 0; i < a.Length; i++) if (a[i] == b[i]) equal++;
        return (double)equal / a.Length;
    }

    private void Add(ulong shingle, Span<uint> min)
    {
        var lo = new Vector<uint>((uint)shingle);
        var hi = new Vector<uint>((uint)(shingle >> 32));
        var a = MemoryMarshal.Cast<uint, Vector<uint>>(_a);
        var b = MemoryMarshal.Cast<uint, Vector<uint>>(_b);
        var c = MemoryMarshal.Cast<uint, Vector<uint>>(_c);
        var m = MemoryMarshal.Cast<uint, Vector<uint>>(min);
        for (var k = 0; k < m.Length; k++) m[k] = Vector.Min(m[k], (a[k] * lo + b[k]) ^ (c[k] * hi));
    }

    private static ulong ShingleHash(ReadOnlySpan<ulong> window, int words)
    {
        // combine in reading order: the ring buffer's oldest entry is at words % n
        var n = window.Length;
        var h = 0xCBF29CE484222325UL;
        for (var k = 0; k < n; k++)
        {
            h ^= window[(words + k) % n];
            h *= 0x100000001B3UL;
            h = ulong.RotateLeft(h, 29);
        }
        return Mix(h);
    }

    private static bool NextWord(string s, ref int i, out ulong hash)
    {
        while (i < s.Length && !IsWordChar(s[i])) i++;
        hash = 0xCBF29CE484222325UL;
        if (i >= s.Length) return false;
        while (i < s.Length && IsWordChar(s[i]))
        {
            var c = s[i];
            c = c < 128 ? (c is >= 'A' and <= 'Z' ? (char)(c | 0x20) : c) : char.ToLowerInvariant(c);
            hash ^= c;
            hash *= 0x100000001B3UL;
            i++;
        }
        return true;
    }

    private static bool IsWordChar(char c) => c < 128 ? char.IsAsciiLetterOrDigit(c) : char.IsLetterOrDigit(c);

    internal static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    private static ulong SplitMix(ref ulong state) => Mix(state += 0x9E3779B97F4A7C15UL);
}
