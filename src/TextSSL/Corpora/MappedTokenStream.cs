using System.IO.MemoryMappedFiles;

namespace TextSSL.Corpora;

/// <summary>
/// A split read straight from its memory-mapped shards (little-endian uint16 or uint32 ids): pages are loaded by the
/// operating system on demand, so random windows and sequential passes cost no more memory than the pages touched.
/// Thread-safe for concurrent reads.
/// </summary>
public sealed unsafe class MappedTokenStream : ITokenStream, IDisposable
{
    private readonly MemoryMappedFile[] _files;
    private readonly MemoryMappedViewAccessor[] _views;
    private readonly byte*[] _pointers;
    private readonly long[] _starts; // first token of each shard; one extra entry holds Count
    private readonly int _tokenBytes;
    private readonly int _vocabSize; // ids at or above it cannot come from the manifest's tokenizer
    private readonly string[] _names = [];
    private bool _disposed;

    internal MappedTokenStream(string directory, SplitManifest split, int tokenBytes, int endOfText, int vocabSize = int.MaxValue)
    {
        _tokenBytes = tokenBytes;
        EndOfTextId = endOfText;
        _vocabSize = vocabSize;
        var shards = split.Shards.Where(s => s.Tokens > 0).ToArray();
        _names = shards.Select(s => Path.Combine(directory, s.File)).ToArray();
        _files = new MemoryMappedFile[shards.Length];
        _views = new MemoryMappedViewAccessor[shards.Length];
        _pointers = new byte*[shards.Length];
        _starts = new long[shards.Length + 1];
        try
        {
            for (var i = 0; i < shards.Length; i++)
            {
                _files[i] = MemoryMappedFile.CreateFromFile(Path.Combine(directory, shards[i].File), FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
                _views[i] = _files[i].CreateViewAccessor(0, shards[i].Bytes, MemoryMappedFileAccess.Read);
                byte* p = null;
                _views[i].SafeMemoryMappedViewHandle.AcquirePointer(ref p);
                _pointers[i] = p + _views[i].PointerOffset;
                _starts[i + 1] = _starts[i] + shards[i].Tokens;
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <inheritdoc/>
    public long Count => _starts[^1];

    /// <summary>The id that ends every document.</summary>
    public int EndOfTextId { get; }

    /// <inheritdoc/>
    public void CopyTo(long start, Span<int> destination)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentOutOfRangeException.ThrowIfNegative(start);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(start + destination.Length, Count);
        if (destination.IsEmpty) return;
        var shard = Array.BinarySearch(_starts, start);
        if (shard < 0) shard = ~shard - 1;
        while (!destination.IsEmpty)
        {
            while (start >= _starts[shard + 1]) shard++;
            var offset = start - _starts[shard];
            var n = (int)Math.Min(destination.Length, _starts[shard + 1] - start);
            var src = _pointers[shard] + offset * _tokenBytes;
            uint max = 0;
            if (_tokenBytes == 2)
            {
                var ids = new ReadOnlySpan<ushort>(src, n);
                for (var i = 0; i < n; i++)
                {
                    var id = BitConverter.IsLittleEndian ? ids[i] : System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(ids[i]);
                    destination[i] = id;
                    max = Math.Max(max, id);
                }
            }
            else
            {
                var ids = new ReadOnlySpan<uint>(src, n);
                for (var i = 0; i < n; i++)
                {
                    var id = BitConverter.IsLittleEndian ? ids[i] : System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(ids[i]);
                    destination[i] = (int)id;
                    max = Math.Max(max, id);
                }
            }
            if (max >= (uint)_vocabSize)
                throw new TextSslException($"shard '{_names[shard]}' holds token id {max}, outside the vocabulary of {_vocabSize} its manifest records: " +
                                           "the shard was changed or written with another tokenizer. Prepare the corpus again.");
            destination = destination[n..];
            start += n;
        }
    }

    /// <summary>
    /// The documents of the split in order, as (start, length) ranges that exclude their end-of-text token,
    /// found by one sequential scan of the stream.
    /// </summary>
    public IEnumerable<(long Start, int Length)> Documents()
    {
        var buffer = new int[1 << 16];
        long docStart = 0;
        for (long pos = 0; pos < Count; pos += buffer.Length)
        {
            var n = (int)Math.Min(buffer.Length, Count - pos);
            CopyTo(pos, buffer.AsSpan(0, n));
            for (var i = 0; i < n; i++)
            {
                if (buffer[i] != EndOfTextId) continue;
                yield return (docStart, checked((int)(pos + i - docStart)));
                docStart = pos + i + 1;
            }
        }
        if (docStart < Count) yield return (docStart, checked((int)(Count - docStart)));
    }

    /// <summary>Reads the tokens of the range <paramref name="start"/>..+<paramref name="length"/> into a new array.</summary>
    public int[] Read(long start, int length)
    {
        var ids = new int[length];
        CopyTo(start, ids);
        return ids;
    }

    /// <summary>Unmaps the shards.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        for (var i = 0; i < _views.Length; i++)
        {
            if (_views[i] is { } v)
            {
                if (_pointers[i] != null) v.SafeMemoryMappedViewHandle.ReleasePointer();
                v.Dispose();
            }
            _files[i]?.Dispose();
        }
    }
}
