using System.IO.Compression;

namespace TextSSL.Corpora.Internal;

/// <summary>Opens inputs: plain, <c>.gz</c> or <c>.zst</c> files and stdin, counting compressed bytes for progress.</summary>
internal static class InputStreams
{
    public static Stream Open(string path, ByteCounter? counter)
    {
        Stream raw;
        if (path == "-") raw = Console.OpenStandardInput();
        else
        {
            try { raw = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan); }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new TextSslException($"cannot read '{path}': {ex.Message}. Check that the file exists and is readable.", ex);
            }
        }
        if (counter is not null) raw = new CountingStream(raw, counter);
        if (path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase)) raw = new CheckedDecompressionStream(new GZipStream(raw, CompressionMode.Decompress), path, gzip: true);
        else if (path.EndsWith(".zst", StringComparison.OrdinalIgnoreCase)) raw = new CheckedDecompressionStream(new ZstdSharp.DecompressionStream(raw, leaveOpen: false), path, gzip: false);
        return new Utf16Guard(raw, path);
    }

    /// <summary>The path without a compression extension (<c>a.jsonl.gz</c> → <c>a.jsonl</c>).</summary>
    public static string WithoutCompression(string path)
    {
        foreach (var ext in (string[])[".gz", ".zst"])
            if (path.EndsWith(ext, StringComparison.OrdinalIgnoreCase)) return path[..^ext.Length];
        return path;
    }
}

internal sealed class CountingStream(Stream inner, ByteCounter counter) : Stream
{
    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => inner.Length;
    public override long Position { get => inner.Position; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override int Read(byte[] buffer, int offset, int count) { var n = inner.Read(buffer, offset, count); counter.Add(n); return n; }
    public override int Read(Span<byte> buffer) { var n = inner.Read(buffer); counter.Add(n); return n; }
    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default)
    {
        var n = await inner.ReadAsync(buffer, ct).ConfigureAwait(false);
        counter.Add(n);
        return n;
    }
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken ct) => ReadAsync(buffer.AsMemory(offset, count), ct).AsTask();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    protected override void Dispose(bool disposing) { if (disposing) inner.Dispose(); base.Dispose(disposing); }
}

/// <summary>
/// A decompressing stream whose failures name the file: a decoder error becomes "truncated or corrupt compressed
/// file", and a gzip file that ends early (which .NET's <see cref="GZipStream"/> reports as a normal end) is caught by
/// comparing the bytes produced with the size its trailer records.
/// </summary>
internal sealed class CheckedDecompressionStream(Stream inner, string path, bool gzip) : Stream
{
    private long _produced;
    private bool _checked;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => _produced; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        int n;
        try { n = inner.Read(buffer); }
        catch (Exception ex) when (ex is InvalidDataException or EndOfStreamException or ZstdSharp.ZstdException)
        {
            throw Corrupt(ex.Message, ex);
        }
        Account(n, buffer.Length);
        return n;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default)
    {
        int n;
        try { n = await inner.ReadAsync(buffer, ct).ConfigureAwait(false); }
        catch (Exception ex) when (ex is InvalidDataException or EndOfStreamException or ZstdSharp.ZstdException)
        {
            throw Corrupt(ex.Message, ex);
        }
        Account(n, buffer.Length);
        return n;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken ct) => ReadAsync(buffer.AsMemory(offset, count), ct).AsTask();

    private void Account(int n, int requested)
    {
        _produced += n;
        if (n > 0 || requested == 0 || _checked || !gzip || path == "-") return;
        _checked = true;
        CheckGzipTrailer();
    }

    private void CheckGzipTrailer()
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        if (file.Length < 18) throw Corrupt("shorter than a gzip header and trailer", null);
        Span<byte> size = stackalloc byte[4];
        file.Seek(-4, SeekOrigin.End);
        file.ReadExactly(size);
        if (System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(size) == (uint)_produced) return;
        // a file of several gzip members records only the last member's size: it cannot be checked this way
        if (HasSecondMember(file)) return;
        throw Corrupt($"it decompresses to {_produced:N0} bytes but its trailer records {System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(size):N0}", null);
    }

    private static bool HasSecondMember(FileStream file)
    {
        file.Seek(1, SeekOrigin.Begin);
        var buffer = new byte[1 << 16];
        int carry = 0, n;
        while ((n = file.Read(buffer, carry, buffer.Length - carry)) > 0)
        {
            var end = carry + n;
            for (var i = 0; i + 2 < end; i++)
                if (buffer[i] == 0x1F && buffer[i + 1] == 0x8B && buffer[i + 2] == 0x08) return true;
            carry = Math.Min(2, end);
            Array.Copy(buffer, end - carry, buffer, 0, carry);
        }
        return false;
    }

    private TextSslException Corrupt(string detail, Exception? inner) =>
        new($"'{path}' is a truncated or corrupt compressed file ({OutputChecks.FirstLine(detail)}). Download or compress it again.", inner!);

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    protected override void Dispose(bool disposing) { if (disposing) inner.Dispose(); base.Dispose(disposing); }
}

/// <summary>
/// Stops at the first read when the text is UTF-16 (a byte-order mark, or a zero byte in every other position), which
/// would otherwise be reported as invalid UTF-8 at byte 0 or read as text full of NULs; says how to convert it.
/// </summary>
internal sealed class Utf16Guard(Stream inner, string path) : Stream
{
    private bool _checked;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => inner.Length;
    public override long Position { get => inner.Position; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var n = inner.Read(buffer);
        Check(buffer[..n]);
        return n;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default)
    {
        var n = await inner.ReadAsync(buffer, ct).ConfigureAwait(false);
        Check(buffer.Span[..n]);
        return n;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken ct) => ReadAsync(buffer.AsMemory(offset, count), ct).AsTask();

    private void Check(ReadOnlySpan<byte> first)
    {
        if (_checked || first.IsEmpty) return;
        _checked = true;
        if (Tokenization.Bpe.TrainingInput.Utf16Order(first) is { } order)
            throw new TextSslException($"'{path}' is UTF-16 ({order}) text, not UTF-8. Convert it first, e.g. `iconv -f UTF-16 -t UTF-8 '{path}' > converted.txt`.");
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    protected override void Dispose(bool disposing) { if (disposing) inner.Dispose(); base.Dispose(disposing); }
}
