using System.Globalization;
using System.Text;

namespace TextSSL.Corpora;

/// <summary>Why a document did not survive cleaning.</summary>
internal enum CleanOutcome
{
    /// <summary>Kept.</summary>
    Kept,
    /// <summary>Nothing left after cleaning.</summary>
    Empty,
    /// <summary>Shorter than <see cref="CleaningOptions.MinChars"/>.</summary>
    TooShort,
    /// <summary>Longer than <see cref="CleaningOptions.MaxChars"/>.</summary>
    TooLong,
}

/// <summary>
/// Cleans one document: lone surrogates replaced by U+FFFD, Unicode normalization, control characters removed
/// (newlines and tabs kept), line breaks unified to <c>\n</c>, whitespace normalized, optional lower-casing, length filters.
/// Stateless and thread-safe.
/// </summary>
internal sealed class TextCleaner(CleaningOptions options)
{
    /// <summary>The options applied.</summary>
    public CleaningOptions Options => options;

    /// <summary>Cleans <paramref name="text"/>; <paramref name="cleaned"/> is null unless the outcome is <see cref="CleanOutcome.Kept"/>.</summary>
    public CleanOutcome Clean(string text, out string? cleaned)
    {
        cleaned = null;
        var s = ReplaceLoneSurrogates(text);
        if (options.Normalization is { } form && !s.IsNormalized(form)) s = s.Normalize(form);
        s = Strip(s, options.NormalizeWhitespace);
        if (options.Lowercase) s = s.ToLowerInvariant();
        if (s.Length == 0) return CleanOutcome.Empty;
        if (s.Length < options.MinChars) return CleanOutcome.TooShort;
        if (s.Length > options.MaxChars) return CleanOutcome.TooLong;
        cleaned = s;
        return CleanOutcome.Kept;
    }

    private static string ReplaceLoneSurrogates(string s)
    {
        StringBuilder? sb = null;
        for (var i = 0; i < s.Length; i++)
        {
            var c = s[i];
            if (!char.IsSurrogate(c)) { sb?.Append(c); continue; }
            if (char.IsHighSurrogate(c) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
            {
                sb?.Append(c).Append(s[i + 1]);
                i++;
                continue;
            }
            sb ??= new StringBuilder(s.Length).Append(s, 0, i);
            sb.Append('\uFFFD');
        }
        return sb?.ToString() ?? s;
    }

    private static string Strip(string s, bool whitespace)
    {
        var buffer = System.Buffers.ArrayPool<char>.Shared.Rent(s.Length);
        try
        {
            var n = 0;
            var pendingSpace = false;
            var newlines = 0; // line breaks seen since the last visible character
            for (var i = 0; i < s.Length; i++)
            {
                var c = s[i];
                if (c == '\r')
                {
                    if (i + 1 < s.Length && s[i + 1] == '\n') continue;
                    c = '\n';
                }
                if (c == '\n' || c == '\u2028' || c == '\u2029' || c == '\u0085')
                {
                    if (!whitespace) { buffer[n++] = '\n'; continue; }
                    newlines++;
                    pendingSpace = false; // trailing spaces of a line are dropped
                    continue;
                }
                bool space, control;
                if (c < 128)
                {
                    space = c is ' ' or '\t';
                    control = c < 32 && c != '\t' || c == 127;
                }
                else
                {
                    var category = char.GetUnicodeCategory(c);
                    control = category == UnicodeCategory.Control;
                    space = category == UnicodeCategory.SpaceSeparator;
                }
                if (control) continue;
                if (whitespace)
                {
                    if (space)
                    {
                        pendingSpace = true;
                        continue;
                    }
                    if (n > 0)
                    {
                        if (newlines > 0)
                        {
                            buffer[n++] = '\n';
                            if (newlines > 1) buffer[n++] = '\n';
                        }
                        else if (pendingSpace) buffer[n++] = ' ';
                    }
                    newlines = 0;
                    pendingSpace = false;
                }
                buffer[n++] = c;
            }
            return n == s.Length && buffer.AsSpan(0, n).SequenceEqual(s) ? s : new string(buffer, 0, n);
        }
        finally { System.Buffers.ArrayPool<char>.Shared.Return(buffer); }
    }
}
