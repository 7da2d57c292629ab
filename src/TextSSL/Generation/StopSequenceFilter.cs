namespace TextSSL.Generation;

/// <summary>
/// Follows one completion's text as tokens arrive: finds stop strings (wherever token boundaries fall) and
/// releases only text that can no longer become part of a stop string, so a streamed completion never shows
/// the beginning of a stop string that the final text cuts away.
/// </summary>
internal sealed class StopSequenceFilter(IReadOnlyList<string> stops)
{
    private int _released;

    /// <summary>The completion's text: everything so far, or up to the stop string once one was found.</summary>
    public string Text { get; private set; } = "";

    /// <summary>The stop string that ended the completion, or null.</summary>
    public string? StoppedBy { get; private set; }

    /// <summary>
    /// Takes the completion's whole decoded text so far; returns the newly released text and whether a stop string was found.
    /// </summary>
    public (string Released, bool Stopped) Update(string text)
    {
        var cut = -1;
        foreach (var stop in stops)
        {
            var at = text.IndexOf(stop, StringComparison.Ordinal);
            if (at >= 0 && (cut < 0 || at < cut)) { cut = at; StoppedBy = stop; }
        }
        if (cut >= 0)
        {
            Text = text[..cut];
            return (Release(Text.Length), true);
        }
        Text = text;
        return (Release(text.Length - HeldBack(text)), false);
    }

    /// <summary>Releases whatever is still held back (the completion ended without a stop string).</summary>
    public string Flush() => Release(Text.Length);

    private string Release(int end)
    {
        if (end <= _released) return "";
        var piece = Text[_released..end];
        _released = end;
        return piece;
    }

    /// <summary>How many trailing characters to hold: a partial stop string, or an incomplete multi-byte character.</summary>
    private int HeldBack(string text)
    {
        var hold = 0;
        foreach (var stop in stops)
            for (var n = Math.Min(stop.Length - 1, text.Length); n > hold; n--)
                if (text.AsSpan(text.Length - n).SequenceEqual(stop.AsSpan(0, n))) { hold = n; break; }
        // Byte-level tokenizers decode a character split across tokens as U+FFFD until its last byte arrives.
        var replacement = 0;
        while (replacement < text.Length && text[text.Length - 1 - replacement] == '\uFFFD') replacement++;
        return Math.Max(hold, replacement);
    }
}
