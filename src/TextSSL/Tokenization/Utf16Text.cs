using System.Text;

namespace TextSSL.Tokenization;

/// <summary>How TextSSL treats malformed UTF-16 in strings handed to a tokenizer.</summary>
internal static class Utf16Text
{
    /// <summary>
    /// Returns <paramref name="text"/> with every lone (unpaired) surrogate replaced by U+FFFD; the same instance when there is none.
    /// </summary>
    /// <remarks>UTF-8 cannot express a lone surrogate, so byte-level tokenizers encode it as the replacement character.</remarks>
    public static string ReplaceLoneSurrogates(string text)
    {
        var span = text.AsSpan();
        var first = span.IndexOfAnyInRange('\uD800', '\uDFFF');
        if (first < 0) return text;
        // well-formed pairs are common (emoji); only rebuild when one is actually lone
        for (var i = first; i < span.Length; i++)
        {
            var c = span[i];
            if (!char.IsSurrogate(c)) continue;
            if (char.IsHighSurrogate(c) && i + 1 < span.Length && char.IsLowSurrogate(span[i + 1])) { i++; continue; }
            return Rebuild(text);
        }
        return text;
    }

    private static string Rebuild(string text)
    {
        var sb = new StringBuilder(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])) { sb.Append(c).Append(text[++i]); }
            else sb.Append(char.IsSurrogate(c) ? '\uFFFD' : c);
        }
        return sb.ToString();
    }
}
