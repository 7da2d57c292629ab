using System.Text;

namespace TextSSL.Tokenization.HuggingFace;

/// <summary>
/// GPT-2's byte-to-character table, which byte-level BPE files (vocab.json, merges.txt, tokenizer.json) use to write
/// token bytes as printable text: printable Latin-1 bytes stand for themselves, the other 68 bytes map to U+0100
/// onwards in byte order (a space becomes <c>Ġ</c>, a newline <c>Ċ</c>).
/// </summary>
internal static class ByteLevelAlphabet
{
    private static readonly char[] ToChar = Build();

    private static char[] Build()
    {
        var map = new char[256];
        var next = 256;
        for (var b = 0; b < 256; b++)
            map[b] = b is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF ? (char)b : (char)next++;
        return map;
    }

    /// <summary>The printable form of token bytes.</summary>
    public static string Map(ReadOnlySpan<byte> bytes)
    {
        return string.Create(bytes.Length, bytes.ToArray(), static (span, b) =>
        {
            for (var i = 0; i < b.Length; i++) span[i] = ToChar[b[i]];
        });
    }

    /// <summary>The printable form of text's UTF-8 bytes.</summary>
    public static string Map(ReadOnlySpan<char> text)
    {
        var bytes = new byte[Encoding.UTF8.GetByteCount(text)];
        Encoding.UTF8.GetBytes(text, bytes);
        return Map(bytes);
    }
}
