using TextSSL.Corpora;

namespace TextSSL.Pretext;

/// <summary>How a task lays training text out in its sequences.</summary>
public enum SequencePacking
{
    /// <summary>
    /// Windows of the token stream, as before packing existed: next-token windows run across document ends, and
    /// masked-LM cuts each window at its first document end and pads the rest (or, without a padding token, runs on).
    /// </summary>
    Stream,

    /// <summary>
    /// Whole documents (each cut into pieces of at most the block size when longer) packed side by side into each
    /// sequence; attention stays inside each document through a block-diagonal mask and positions restart at 0 in
    /// each, so a document gives the same outputs packed as alone. Documents are visited in seeded shuffled epochs.
    /// </summary>
    Documents,
}

/// <summary>
/// The document-packing sampler shared by the token-prediction tasks: it indexes the documents of a stream once
/// (one sequential scan for the end-of-text id), cuts them into pieces that fit a sequence, visits the pieces in a
/// seeded shuffled order per epoch, and fills each sequence best-fit from a small look-ahead window of that order.
/// Its state (epoch, cursor, look-ahead) is a few numbers, so a resumed run packs the very sequences an
/// uninterrupted one would.
/// </summary>
internal sealed class DocumentPacker
{
    /// <summary>How many upcoming pieces a sequence may be filled from (best fit in visiting order).</summary>
    public const int LookAhead = 32;

    private long _seed;
    private readonly int _endOfText;
    private readonly bool _causal;
    private ITokenStream? _indexed;
    private int _indexedWidth;
    private long[] _starts = [];
    private int[] _lengths = [];
    private int[]? _order;
    private readonly List<int> _pending = [];

    /// <summary>Creates a packer.</summary>
    /// <param name="seed">Seed of the visiting order.</param>
    /// <param name="endOfText">The id that ends every document.</param>
    /// <param name="causal">
    /// True for next-token pieces: a piece is a run of (input, target) pairs, a document's first input being the
    /// end-of-text id before it and its last target the end-of-text id after it. False for masked-LM pieces: the
    /// document's text without its end-of-text id.
    /// </param>
    public DocumentPacker(long seed, int endOfText, bool causal)
    {
        _seed = seed;
        _endOfText = endOfText;
        _causal = causal;
    }

    /// <summary>Seed of the visiting order.</summary>
    public long Seed => _seed;

    /// <summary>Epochs completed.</summary>
    public long Epoch { get; private set; }

    /// <summary>Pieces of the current epoch's order already moved to the look-ahead.</summary>
    public long Cursor { get; private set; }

    /// <summary>The look-ahead: pieces taken from the order but not yet packed, in visiting order.</summary>
    public int[] Pending => _pending.ToArray();

    /// <summary>Number of pieces in the indexed stream.</summary>
    public int PieceCount => _starts.Length;

    /// <summary>Restores a state saved from <see cref="Seed"/>, <see cref="Epoch"/>, <see cref="Cursor"/> and <see cref="Pending"/>.</summary>
    public void Restore(long seed, long epoch, long cursor, int[] pending)
    {
        (_seed, Epoch, Cursor) = (seed, epoch, cursor);
        _pending.Clear();
        _pending.AddRange(pending);
        _order = null;
    }

    /// <summary>
    /// The pieces of the next sequence, as (start, length) in the stream, their lengths plus
    /// <paramref name="extra"/> each summing to at most <paramref name="width"/>. A next-token piece starting at -1
    /// begins with the virtual end-of-text id before the stream.
    /// </summary>
    /// <exception cref="TextSslException">The stream holds no text.</exception>
    public List<(long Start, int Length)> NextRow(ITokenStream stream, int width, int extra)
    {
        EnsureIndex(stream, width - extra);
        var row = new List<(long, int)>();
        var room = width;
        while (true)
        {
            Refill();
            var pick = -1;
            for (var i = 0; i < _pending.Count; i++)
                if (_lengths[_pending[i]] + extra <= room) { pick = i; break; }
            if (pick < 0) break;
            var piece = _pending[pick];
            _pending.RemoveAt(pick);
            row.Add((_starts[piece], _lengths[piece]));
            room -= _lengths[piece] + extra;
        }
        return row;
    }

    private void Refill()
    {
        while (_pending.Count < LookAhead)
        {
            if (_order is null) BuildOrder();
            if (Cursor >= _order!.Length)
            {
                Epoch++;
                Cursor = 0;
                BuildOrder();
            }
            _pending.Add(_order![Cursor++]);
        }
    }

    private void BuildOrder()
    {
        _order = new int[_starts.Length];
        for (var i = 0; i < _order.Length; i++) _order[i] = i;
        // The order depends only on (seed, epoch), so the state to save is the epoch, the cursor and the look-ahead.
        new SeededRandom(_seed ^ (0x2545F4914F6CDD1DL * (Epoch + 1))).Shuffle(_order.AsSpan());
    }

    /// <summary>Indexes the pieces of <paramref name="stream"/> (once per stream and piece width).</summary>
    private void EnsureIndex(ITokenStream stream, int maxPiece)
    {
        if (ReferenceEquals(stream, _indexed) && maxPiece == _indexedWidth) return;
        if (maxPiece < 1) throw new TextSslException($"a packed sequence of this block size leaves no room for text (at most {maxPiece} tokens per piece).");
        var starts = new List<long>();
        var lengths = new List<int>();
        foreach (var (start, end) in DocumentRanges(stream, _endOfText))
        {
            if (end == start) continue;                                   // an empty document carries nothing to learn
            // Masked-LM: the text itself. Next-token: inputs from the end-of-text id before the text (virtual at the
            // stream's start) through the last text token, whose target is the end-of-text id after it, if present.
            var first = _causal ? start - 1 : start;
            var count = _causal ? (end < stream.Count ? end - start + 1 : end - start) : end - start;
            for (long k = 0; k < count; k += maxPiece)
            {
                starts.Add(first + k);
                lengths.Add((int)Math.Min(maxPiece, count - k));
            }
        }
        if (starts.Count == 0) throw new TextSslException("document packing found no text: the stream holds only end-of-text tokens.");
        _starts = starts.ToArray();
        _lengths = lengths.ToArray();
        _indexed = stream;
        _indexedWidth = maxPiece;
        // A restored look-ahead refers to this index; an out-of-range entry means the data changed.
        if (_pending.Any(p => p >= _starts.Length))
            throw new TextSslException("the checkpoint's packing state does not fit this data (it names more document pieces than the data has); resume on the same data and block size.");
    }

    /// <summary>Copies a next-token piece starting at <paramref name="start"/>: its inputs and its final target, <paramref name="destination"/>.Length tokens.</summary>
    public void CopyCausal(ITokenStream stream, long start, Span<int> destination)
    {
        if (start >= 0)
        {
            stream.CopyTo(start, destination);
            return;
        }
        destination[0] = _endOfText;
        stream.CopyTo(0, destination[1..]);
    }

    /// <summary>The documents of a stream as [start, end) ranges that exclude their end-of-text ids, by one scan.</summary>
    public static IEnumerable<(long Start, long End)> DocumentRanges(ITokenStream stream, int endOfText)
    {
        var buffer = new int[1 << 16];
        long docStart = 0;
        for (long pos = 0; pos < stream.Count; pos += buffer.Length)
        {
            var n = (int)Math.Min(buffer.Length, stream.Count - pos);
            stream.CopyTo(pos, buffer.AsSpan(0, n));
            for (var i = 0; i < n; i++)
            {
                if (buffer[i] != endOfText) continue;
                yield return (docStart, pos + i);
                docStart = pos + i + 1;
            }
        }
        if (docStart < stream.Count) yield return (docStart, stream.Count);
    }
}
