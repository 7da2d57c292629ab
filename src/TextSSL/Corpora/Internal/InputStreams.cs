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
        if (path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase)) return new GZipStream(raw, CompressionMode.Decompress);
        if (path.EndsWith(".zst", StringComparison.OrdinalIgnoreCase)) return new ZstdSharp.DecompressionStream(raw, leaveOpen: false);
        return raw;
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
