using System.Runtime.InteropServices;
using TextSSL.Tokenization;

namespace TextSSL.Generation;

/// <summary>
/// The text of a completion as its tokens arrive, decoding only the part that can still change: the tokens after
/// the last point where the text ended on a whole character.
/// </summary>
/// <remarks>
/// For a tokenizer whose <see cref="TextTokenizer.DecodesPiecewise"/> holds, decoding a sequence equals decoding a
/// prefix that ends on a whole character (its text does not end in U+FFFD) and then the rest, so once the tail's text
/// ends on a whole character it is final and the next token starts a new tail. Each token then costs the decoding of
/// a few tokens, not of the whole completion, and the text is the very text a whole decode gives. A tail that ends in
/// U+FFFD (a character whose bytes are still arriving) stays open. Other tokenizers (WordPiece joins pieces with
/// spaces) are decoded whole at every token, as before.
/// </remarks>
internal sealed class IncrementalDecoder(TextTokenizer tokenizer)
{
    private readonly bool _piecewise = tokenizer.DecodesPiecewise;
    private readonly List<int> _tokens = [];
    private char[] _chars = new char[64];
    private int _finalTokens;   // tokens whose text is final ...
    private int _finalChars;    // ... and its length

    /// <summary>The completion's text so far.</summary>
    public ReadOnlySpan<char> Text => _chars.AsSpan(0, Length);

    /// <summary>Its length in UTF-16 units.</summary>
    public int Length { get; private set; }

    /// <summary>How many leading characters of <see cref="Text"/> the last <see cref="Add"/> left as they were.</summary>
    public int Unchanged { get; private set; }

    /// <summary>Appends a token and updates <see cref="Text"/>.</summary>
    public void Add(int token)
    {
        _tokens.Add(token);
        var all = CollectionsMarshal.AsSpan(_tokens);
        if (!_piecewise)
        {
            Unchanged = 0;
            Write(0, tokenizer.Decode(all));
            return;
        }
        Unchanged = _finalChars;
        var tail = tokenizer.Decode(all[_finalTokens..]);
        Write(_finalChars, tail);
        if (tail.Length > 0 && tail[^1] != '\uFFFD') (_finalTokens, _finalChars) = (_tokens.Count, Length);
    }

    private void Write(int at, string text)
    {
        var length = at + text.Length;
        if (length > _chars.Length) Array.Resize(ref _chars, Math.Max(length, 2 * _chars.Length));
        text.CopyTo(_chars.AsSpan(at));
        Length = length;
    }
}
