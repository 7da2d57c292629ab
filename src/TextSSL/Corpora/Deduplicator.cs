using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using TextSSL.Corpora.Internal;

namespace TextSSL.Corpora;

/// <summary>What <see cref="Deduplicator.Check"/> decided.</summary>
internal enum DuplicateKind
{
    /// <summary>Not a duplicate of any earlier document: keep it.</summary>
    Unique,
    /// <summary>Same cleaned text as an earlier document.</summary>
    Exact,
    /// <summary>Shingle overlap with an earlier document at or above the threshold.</summary>
    Near,
}

/// <summary>
/// Decides, document by document in a fixed order, whether each is a duplicate of an earlier kept one: exact
/// (SHA-256 of the cleaned text) and near (MinHash signatures, LSH with 16 bands of 8 rows, candidates verified
/// against the threshold). The first occurrence is kept. Memory grows by about 500 bytes per kept document
/// (256 for the signature, about 180 for the band tables, the rest for the exact-hash table).
/// Not thread-safe: compute <see cref="Key"/> and signatures in parallel, call <see cref="Check"/> in order.
/// </summary>
internal sealed class Deduplicator
{
    private const int Bands = 16, Rows = 8;
    private readonly DedupOptions _options;
    private readonly Dictionary<UInt128, int> _exact = [];
    private readonly BandTable[] _bands;
    private readonly List<ushort[]> _signatureBlocks = []; // kept signatures, packed 4096 to a block
    private readonly List<int> _slotToKept = [];
    private int _signatureCount;
    private readonly List<(string Source, long Record)> _kept = [];
    private readonly List<DuplicateExample> _examples = [];
    private int _exampleExact, _exampleNear;

    /// <summary>Creates an empty deduplicator.</summary>
    public Deduplicator(DedupOptions options)
    {
        if (options.Threshold is <= 0 or > 1) throw new TextSslException($"the near-duplicate threshold must be in (0, 1] (got {options.Threshold}).");
        _options = options;
        _bands = Enumerable.Range(0, Bands).Select(_ => new BandTable()).ToArray();
        Hasher = new MinHasher(options.ShingleWords);
    }

    /// <summary>The MinHash hasher whose signatures <see cref="Check"/> expects.</summary>
    public MinHasher Hasher { get; }

    /// <summary>Exact duplicates found so far.</summary>
    public long ExactDuplicates { get; private set; }

    /// <summary>Near-duplicates found so far.</summary>
    public long NearDuplicates { get; private set; }

    /// <summary>The first few duplicates of each kind.</summary>
    public IReadOnlyList<DuplicateExample> Examples => _examples;

    /// <summary>The 128-bit key of a cleaned text (SHA-256 of its UTF-8 bytes), used for exact duplicates and for split assignment.</summary>
    public static UInt128 Key(string text)
    {
        Span<byte> hash = stackalloc byte[32];
        var bytes = Encoding.UTF8.GetBytes(text);
        SHA256.HashData(bytes, hash);
        return new UInt128(BinaryPrimitives.ReadUInt64LittleEndian(hash), BinaryPrimitives.ReadUInt64LittleEndian(hash[8..]));
    }

    /// <summary>Decides whether a document is a duplicate; unique documents are remembered.</summary>
    /// <param name="key">Its <see cref="Key"/>.</param>
    /// <param name="signature">Its MinHash signature from <see cref="Hasher"/>, or null when near-duplicate detection is off.</param>
    /// <param name="doc">The document (for examples).</param>
    /// <param name="text">Its cleaned text (for examples).</param>
    public DuplicateKind Check(UInt128 key, ushort[]? signature, RawDocument doc, string text)
    {
        if (_options.Exact && _exact.TryGetValue(key, out var first))
        {
            ExactDuplicates++;
            if (_exampleExact++ < _options.Examples) AddExample("exact", doc, first, 1, text);
            return DuplicateKind.Exact;
        }
        Span<uint> bandKeys = stackalloc uint[Bands];
        if (_options.Near && signature is not null)
        {
            for (var b = 0; b < Bands; b++)
            {
                bandKeys[b] = BandKey(signature, b);
                var candidate = _bands[b].Find(bandKeys[b]);
                if (candidate < 0) continue;
                var sim = MinHasher.Similarity(signature, StoredSignature(candidate));
                if (sim < _options.Threshold) continue;
                NearDuplicates++;
                if (_exampleNear++ < _options.Examples) AddExample("near", doc, _slotToKept[candidate], sim, text);
                return DuplicateKind.Near;
            }
        }
        var index = _kept.Count;
        _kept.Add((doc.Source, doc.Record));
        if (_options.Exact) _exact[key] = index;
        if (_options.Near && signature is not null)
        {
            var slot = Store(signature);
            for (var b = 0; b < Bands; b++) _bands[b].TryAdd(bandKeys[b], slot);
        }
        return DuplicateKind.Unique;
    }

    private void AddExample(string kind, RawDocument doc, int original, double sim, string text)
    {
        var (source, record) = _kept[original];
        var snippet = text.Length <= 80 ? text : text[..80] + "…";
        _examples.Add(new DuplicateExample(kind, doc.Source, doc.Record, source, record, Math.Round(sim, 3), snippet.Replace('\n', ' ')));
    }

    private const int BlockSignatures = 4096;

    private int Store(ushort[] signature)
    {
        var slot = _signatureCount++;
        if (slot % BlockSignatures == 0) _signatureBlocks.Add(new ushort[BlockSignatures * MinHasher.Permutations]);
        signature.CopyTo(_signatureBlocks[^1].AsSpan(slot % BlockSignatures * MinHasher.Permutations));
        _slotToKept.Add(_kept.Count - 1);
        return slot;
    }

    private ReadOnlySpan<ushort> StoredSignature(int slot) =>
        _signatureBlocks[slot / BlockSignatures].AsSpan(slot % BlockSignatures * MinHasher.Permutations, MinHasher.Permutations);

    private static uint BandKey(ushort[] signature, int band)
    {
        var rows = MemoryMarshal.Cast<ushort, ulong>(signature.AsSpan(band * Rows, Rows));
        return (uint)MinHasher.Mix(rows[0] ^ MinHasher.Mix(rows[1] ^ (ulong)band));
    }
}
