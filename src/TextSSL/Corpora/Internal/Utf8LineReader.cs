using System.Text;

namespace TextSSL.Corpora.Internal;

/// <summary>
/// Reads a stream line by line as raw bytes, so that invalid UTF-8 can be reported with its line number and
/// the line skipped without losing the reader's place (a StreamReader cannot recover after a decoding error).
/// </summary>
/// <remarks>
/// A line longer than <c>maxLineBytes</c> is not buffered: the reader drops it while scanning for its end and
/// reports it with <see cref="TooLong"/> and an empty <see cref="Line"/>.
/// </remarks>
internal sealed class Utf8LineReader(Stream stream, int maxLineBytes = Utf8LineReader.DefaultMaxLineBytes)
{
    /// <summary>Strict UTF-8: invalid bytes throw instead of silently turning into U+FFFD.</summary>
    public static readonly UTF8Encoding Strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>The default longest line (256 MiB).</summary>
    public const int DefaultMaxLineBytes = 256 << 20;

    /// <summary>A reader whose lines may hold a record of up to <paramref name="maxRecordChars"/> characters (4 UTF-8 bytes each, at most 1 GiB).</summary>
    public static Utf8LineReader ForRecords(Stream stream, int maxRecordChars) => new(stream, (int)Math.Min(1L << 30, 4L * maxRecordChars));

    private byte[] _buffer = new byte[Math.Min(1 << 16, Math.Max(16, maxLineBytes))];
    private int _start, _end;
    private bool _eof, _first = true;

    /// <summary>The current line, without its line break (<c>\n</c>, <c>\r\n</c> or a lone <c>\r</c>); empty when <see cref="TooLong"/>.</summary>
    public ReadOnlyMemory<byte> Line { get; private set; }

    /// <summary>Whether the current line was longer than the limit (and dropped).</summary>
    public bool TooLong { get; private set; }

    /// <summary>The longest line kept, in bytes.</summary>
    public int MaxLineBytes => maxLineBytes;

    /// <summary>The 1-based number of the current line.</summary>
    public long LineNumber { get; private set; }

    /// <summary>Moves to the next line; false at the end of the stream.</summary>
    public async ValueTask<bool> ReadLineAsync(CancellationToken ct)
    {
        TooLong = false;
        var scanFrom = _start;
        while (true)
        {
            // a line ends at \n, \r\n or a lone \r (old Mac text); a \r as the last byte read waits for the next byte
            var found = _buffer.AsSpan(scanFrom, _end - scanFrom).IndexOfAny((byte)'\n', (byte)'\r');
            var pendingCr = false;
            if (found >= 0)
            {
                var nl = scanFrom + found;
                if (_buffer[nl] == (byte)'\n' || nl + 1 < _end || _eof)
                {
                    SetLine(_start, nl);
                    _start = nl + (_buffer[nl] == (byte)'\r' && nl + 1 < _end && _buffer[nl + 1] == (byte)'\n' ? 2 : 1);
                    return true;
                }
                pendingCr = true;
                scanFrom = nl;
            }
            if (_eof)
            {
                if (_start == _end && !TooLong) return false;
                SetLine(_start, _end);
                _start = _end;
                return true;
            }
            if (!pendingCr) scanFrom = _end;
            // make room: compact first, grow only when one line fills the whole buffer, drop a line over the limit
            if (_start > 0)
            {
                Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
                scanFrom -= _start;
                _end -= _start;
                _start = 0;
            }
            if (_end == _buffer.Length)
            {
                if (_buffer.Length >= maxLineBytes) (TooLong, _end, scanFrom) = (true, 0, 0);
                else Array.Resize(ref _buffer, (int)Math.Min(_buffer.Length * 2L, maxLineBytes));
            }
            var n = await stream.ReadAsync(_buffer.AsMemory(_end), ct).ConfigureAwait(false);
            if (n == 0) _eof = true;
            _end += n;
        }
    }

    private void SetLine(int from, int to)
    {
        LineNumber++;
        if (TooLong)
        {
            _first = false;
            Line = ReadOnlyMemory<byte>.Empty;
            return;
        }
        if (to > from && _buffer[to - 1] == (byte)'\r') to--;
        if (_first)
        {
            _first = false;
            if (to - from >= 3 && _buffer[from] == 0xEF && _buffer[from + 1] == 0xBB && _buffer[from + 2] == 0xBF) from += 3;
        }
        Line = _buffer.AsMemory(from, to - from);
    }

    /// <summary>Decodes the current line, or returns null with the byte offset of the first invalid byte.</summary>
    public string? TryDecode(out int badOffset)
    {
        badOffset = -1;
        try { return Strict.GetString(Line.Span); }
        catch (DecoderFallbackException ex)
        {
            badOffset = ex.Index;
            return null;
        }
    }
}
