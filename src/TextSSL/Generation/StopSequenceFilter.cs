namespace TextSSL.Generation;

/// <summary>
/// Follows one completion's text as tokens arrive: finds stop strings (wherever token boundaries fall) and
/// releases only text that can no longer become part of a stop string, so a streamed completion never shows
/// the beginning of a stop string that the final text cuts away.
/// </summary>
/// <remarks>
/// Each update searches only where a new match can be: text before <see cref="IncrementalDecoder.Unchanged"/> was
/// searched before, so the search starts one stop length short of it. The first match in the whole text is still the
/// one found, since no match lies wholly in text already searched.
/// </remarks>
internal sealed class StopSequenceFilter(IncrementalDecoder decoder, IReadOnlyList<string> stops)
{
    private readonly int _longest = stops.Count == 0 ? 0 : stops.Max(s => s.Length);
    private int _released;
    private int? _cut;

    /// <summary>The completion's text: everything so far, or up to the stop string once one was found.</summary>
    public string Text => decoder.Text[..End].ToString();

    /// <summary>The stop string that ended the completion, or null.</summary>
    public string? StoppedBy { get; private set; }

    private int End => _cut ?? decoder.Length;

    /// <summary>
    /// Takes the decoder's text after its latest token; returns the newly released text and whether a stop string was found.
    /// </summary>
    public (string Released, bool Stopped) Update()
    {
        var text = decoder.Text;
        var from = Math.Max(0, decoder.Unchanged - _longest + 1);
        var cut = -1;
        foreach (var stop in stops)
        {
            var at = text[from..].IndexOf(stop, StringComparison.Ordinal);
            if (at >= 0 && (cut < 0 || from + at < cut)) { cut = from + at; StoppedBy = stop; }
        }
        if (cut >= 0)
        {
            _cut = cut;
            return (Release(cut), true);
        }
        return (Release(text.Length - HeldBack(text)), false);
    }

    /// <summary>Releases whatever is still held back (the completion ended without a stop string).</summary>
    public string Flush() => Release(End);

    private string Release(int end)
    {
        if (end <= _released) return "";
        var piece = decoder.Text[_released..end].ToString();
        _released = end;
        return piece;
    }

    /// <summary>How many trailing characters to hold: a partial stop string, or an incomplete multi-byte character.</summary>
    private int HeldBack(ReadOnlySpan<char> text)
    {
        var hold = 0;
        foreach (var stop in stops)
            for (var n = Math.Min(stop.Length - 1, text.Length); n > hold; n--)
                if (text[^n..].SequenceEqual(stop.AsSpan(0, n))) { hold = n; break; }
        // Byte-level tokenizers decode a character split across tokens as U+FFFD until its last byte arrives.
        var replacement = 0;
        while (replacement < text.Length && text[text.Length - 1 - replacement] == '\uFFFD') replacement++;
        return Math.Max(hold, replacement);
    }
}
