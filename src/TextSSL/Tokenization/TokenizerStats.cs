using System.Diagnostics;
using System.Text;

namespace TextSSL.Tokenization;

/// <summary>How a tokenizer does on a text: compression, unknown tokens, speed, round trip.</summary>
/// <param name="Tokens">Tokens produced.</param>
/// <param name="Bytes">UTF-8 bytes of the text.</param>
/// <param name="Chars">UTF-16 chars of the text.</param>
/// <param name="UnknownTokens">Tokens that are the unknown token.</param>
/// <param name="EncodeSeconds">Time to encode (one pass, after a warm-up on a prefix).</param>
/// <param name="DecodeSeconds">Time to decode.</param>
/// <param name="RoundTrips">Whether decoding the ids gives the text back exactly.</param>
internal sealed record TokenizerStats(long Tokens, long Bytes, long Chars, long UnknownTokens, double EncodeSeconds, double DecodeSeconds, bool RoundTrips)
{
    /// <summary>UTF-8 bytes per token.</summary>
    public double BytesPerToken => Tokens == 0 ? 0 : (double)Bytes / Tokens;

    /// <summary>Fraction of tokens that are the unknown token.</summary>
    public double UnknownRate => Tokens == 0 ? 0 : (double)UnknownTokens / Tokens;

    /// <summary>Encoding speed in MB (10^6 bytes) per second.</summary>
    public double EncodeMBps => EncodeSeconds <= 0 ? 0 : Bytes / 1e6 / EncodeSeconds;

    /// <summary>Measures <paramref name="tokenizer"/> on <paramref name="text"/>.</summary>
    public static TokenizerStats Measure(TextTokenizer tokenizer, string text)
    {
        tokenizer.Encode(text[..Math.Min(text.Length, 50_000)]); // JIT and caches
        var sw = Stopwatch.StartNew();
        var ids = tokenizer.Encode(text);
        var encode = sw.Elapsed.TotalSeconds;
        sw.Restart();
        var back = tokenizer.Decode(ids);
        var decode = sw.Elapsed.TotalSeconds;
        var unk = tokenizer.Specials.IdOf(SpecialTokenRole.Unknown);
        long unknown = unk is { } u ? ids.LongCount(i => i == u) : 0;
        return new TokenizerStats(ids.Length, Encoding.UTF8.GetByteCount(text), text.Length, unknown, encode, decode, back == text);
    }
}
