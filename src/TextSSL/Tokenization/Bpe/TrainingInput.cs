using System.Buffers;
using System.Text;
using System.Text.Unicode;

namespace TextSSL.Tokenization.Bpe;

/// <summary>
/// Reads training text from files and directories as a stream of chunks of bounded size, validating UTF-8.
/// </summary>
/// <remarks>
/// Each file is one document: no pre-token spans two files. Inside a file, chunks are cut only before a space or
/// tab that follows a non-whitespace character, where neither the GPT-2 nor the GPT-4 pattern can join the two
/// sides, so splitting a chunk gives the same pre-tokens as splitting the whole file. A leading UTF-8 byte-order
/// mark is dropped.
/// </remarks>
internal static class TrainingInput
{
    private const int ReadBlockBytes = 1 << 20;

    /// <summary>Target chunk size in chars; a chunk grows past it only while no safe cut point appears.</summary>
    internal const int ChunkChars = 1 << 20;

    /// <summary>Hard limit: a run this long without a safe cut point is cut anyway (between code points).</summary>
    private const int MaxChunkChars = 16 << 20;

    /// <summary>
    /// "little-endian"/"big-endian" when <paramref name="head"/> (a file's first bytes) starts with a UTF-16 byte-order
    /// mark, or looks like UTF-16 text without one (a zero byte in every other position of ASCII-range text); else null.
    /// </summary>
    internal static string? Utf16Order(ReadOnlySpan<byte> head)
    {
        if (head.Length >= 2 && head[0] == 0xFF && head[1] == 0xFE) return "little-endian";
        if (head.Length >= 2 && head[0] == 0xFE && head[1] == 0xFF) return "big-endian";
        var n = Math.Min(head.Length, 512) & ~1;
        if (n < 8) return null;
        int zeroOdd = 0, zeroEven = 0;
        for (var i = 0; i < n; i += 2)
        {
            if (head[i] == 0) zeroEven++;
            if (head[i + 1] == 0) zeroOdd++;
        }
        var pairs = n / 2;
        if (zeroOdd * 10 >= pairs * 9 && zeroEven == 0) return "little-endian";
        if (zeroEven * 10 >= pairs * 9 && zeroOdd == 0) return "big-endian";
        return null;
    }

    /// <summary>Expands files and directories (recursively, hidden entries skipped) into an ordinal-sorted file list.</summary>
    /// <exception cref="TextSslException">No inputs, a path that does not exist, or no files found.</exception>
    public static IReadOnlyList<string> ExpandFiles(IEnumerable<string> inputs)
    {
        var files = new List<string>();
        var any = false;
        foreach (var input in inputs)
        {
            any = true;
            if (File.Exists(input)) files.Add(Path.GetFullPath(input));
            else if (Directory.Exists(input))
            {
                var found = Directory.EnumerateFiles(input, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.Hidden | FileAttributes.System })
                    .Where(f => !Path.GetRelativePath(input, f).Split(Path.DirectorySeparatorChar).Any(p => p.StartsWith('.')))
                    .Select(Path.GetFullPath)
                    .Order(StringComparer.Ordinal)
                    .ToList();
                if (found.Count == 0) throw new TextSslException($"input directory '{input}' contains no files (hidden ones are skipped). Give text files or a directory of them.");
                files.AddRange(found);
            }
            else if (Path.Exists(input)) throw new TextSslException($"input '{input}' is neither a regular file nor a directory (a device, socket or pipe). Give text files or directories.");
            else throw new TextSslException($"input '{input}' does not exist. Check the path.");
        }
        if (!any) throw new TextSslException("no training input given. Give one or more files or directories.");
        return files.Distinct(StringComparer.Ordinal).ToList();
    }

    /// <summary>Reads one file as UTF-8 text chunks.</summary>
    /// <param name="path">The file.</param>
    /// <param name="replaceInvalid">Replace invalid UTF-8 sequences with U+FFFD instead of failing.</param>
    /// <param name="cancellationToken">Stops reading.</param>
    /// <param name="chunkChars">Target chunk size (tests use small ones to get many cuts).</param>
    /// <exception cref="TextSslException">The file is not valid UTF-8 (names the file and the byte offset).</exception>
    /// <param name="allowReplaceAdvice">Whether the caller can replace invalid bytes (its error then says so).</param>
    public static IEnumerable<string> ReadChunks(string path, bool replaceInvalid, CancellationToken cancellationToken = default, int chunkChars = ChunkChars, bool allowReplaceAdvice = true)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        var bytes = ArrayPool<byte>.Shared.Rent(ReadBlockBytes);
        var chars = new char[chunkChars + ReadBlockBytes];
        try
        {
            long consumedBytes = 0; // file offset of bytes[0]
            var byteCount = 0;      // undecoded bytes held in `bytes`
            var charCount = 0;      // decoded chars not yet emitted
            var first = true;
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var read = stream.Read(bytes, byteCount, ReadBlockBytes - byteCount);
                byteCount += read;
                var final = read == 0;
                var start = 0;
                if (first)
                {
                    if (byteCount >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF) start = 3;
                    else if (Utf16Order(bytes.AsSpan(0, byteCount)) is { } order)
                        throw new TextSslException($"'{path}' is UTF-16 ({order}) text, not UTF-8. Convert it first, e.g. `iconv -f UTF-16 -t UTF-8 '{path}' > converted.txt`.");
                    first = false;
                }

                if (chars.Length - charCount < byteCount) Array.Resize(ref chars, charCount + byteCount + chunkChars);
                var status = Utf8.ToUtf16(bytes.AsSpan(start, byteCount - start), chars.AsSpan(charCount), out var bytesRead, out var charsWritten,
                                          replaceInvalidSequences: replaceInvalid, isFinalBlock: final);
                if (status == System.Buffers.OperationStatus.InvalidData)
                {
                    var offset = consumedBytes + start + bytesRead;
                    var what = $"'{path}' is not valid UTF-8: invalid byte 0x{bytes[start + bytesRead]:X2} at byte offset {offset}. Convert the file to UTF-8 or remove it from the input";
                    if (!allowReplaceAdvice) throw new TextSslException(what + ".");
                    throw new OptionException(nameof(BpeTrainerOptions.ReplaceInvalidUtf8), what + $", or enable {nameof(BpeTrainerOptions.ReplaceInvalidUtf8)} to replace invalid bytes with U+FFFD.");
                }
                charCount += charsWritten;
                var used = start + bytesRead;
                bytes.AsSpan(used, byteCount - used).CopyTo(bytes);
                consumedBytes += used;
                byteCount -= used;

                if (final)
                {
                    if (charCount > 0) yield return new string(chars, 0, charCount);
                    yield break;
                }
                // emit chunks of about chunkChars, each ending at a safe cut, then move the rest to the front once
                var begin = 0;
                while (charCount - begin >= chunkChars)
                {
                    var cut = SafeCut(chars.AsSpan(begin, charCount - begin), chunkChars);
                    if (cut <= 0)
                    {
                        if (charCount - begin < Math.Max(MaxChunkChars, chunkChars * 16)) break;
                        cut = charCount - begin;
                        if (char.IsHighSurrogate(chars[charCount - 1])) cut--;
                    }
                    yield return new string(chars, begin, cut);
                    begin += cut;
                }
                if (begin > 0)
                {
                    Array.Copy(chars, begin, chars, 0, charCount - begin);
                    charCount -= begin;
                }
            }
        }
        finally { ArrayPool<byte>.Shared.Return(bytes); }
    }

    /// <summary>
    /// A safe cut near <paramref name="target"/>: the last index i &lt;= target where text[i] is a space or tab and
    /// text[i-1] is not whitespace, else the first such index after it; 0 when there is none.
    /// </summary>
    internal static int SafeCut(ReadOnlySpan<char> text, int target)
    {
        for (var i = Math.Min(target, text.Length - 1); i > 0; i--)
            if (IsCut(text, i)) return i;
        for (var i = target + 1; i < text.Length; i++)
            if (IsCut(text, i)) return i;
        return 0;
    }

    private static bool IsCut(ReadOnlySpan<char> text, int i) => text[i] is ' ' or '\t' && !char.IsWhiteSpace(text[i - 1]);

    /// <summary>Strict UTF-8 without a byte-order mark, for files TextSSL writes.</summary>
    public static readonly UTF8Encoding Utf8NoBom = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
}
