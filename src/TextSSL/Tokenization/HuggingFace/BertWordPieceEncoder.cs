using System.Globalization;
using System.Text;

namespace TextSSL.Tokenization.HuggingFace;

/// <summary>
/// BERT's encoding as Hugging Face tokenizers runs it: <c>BertNormalizer</c> (clean text, space around CJK
/// ideographs, strip accents, lower-case), <c>BertPreTokenizer</c> (split on whitespace, isolate punctuation), then
/// greedy longest-match WordPiece with the <c>##</c> prefix.
/// </summary>
/// <remarks>
/// Hand-written because Microsoft.ML.Tokenizers' <c>BertTokenizer</c> normalizes differently (it drops <c>\r</c>,
/// <c>\n</c> and <c>\t</c> as control characters where Hugging Face reads them as spaces, and does not strip accents
/// with lower-casing), which gave other ids on most of the oracle's stress texts.
/// </remarks>
internal sealed class BertWordPieceEncoder
{
    private const string Prefix = "##";
    private readonly Dictionary<string, int> _vocab;
    private readonly bool _lowerCase;
    private readonly bool _stripAccents;
    private readonly int _unknownId;
    private readonly int _maxInputChars;

    public BertWordPieceEncoder(Dictionary<string, int> vocab, bool lowerCase, bool stripAccents, int unknownId, int maxInputChars = 100)
    {
        _vocab = vocab;
        _lowerCase = lowerCase;
        _stripAccents = stripAccents;
        _unknownId = unknownId;
        _maxInputChars = maxInputChars;
    }

    public int[] Encode(string text)
    {
        var ids = new List<int>();
        foreach (var word in PreTokenize(Normalize(text))) EncodeWord(word, ids);
        return ids.ToArray();
    }

    private string Normalize(string text)
    {
        var sb = new StringBuilder(text.Length);
        foreach (var rune in text.EnumerateRunes())
        {
            // clean_text: drop NUL, U+FFFD and control, format and private-use characters (unassigned ones stay, as in Hugging Face); whitespace (\t \n \r included) becomes a space
            if (rune.Value is 0 or 0xFFFD) continue;
            if (rune.Value is '\t' or '\n' or '\r' || Rune.IsWhiteSpace(rune)) { sb.Append(' '); continue; }
            if (Rune.GetUnicodeCategory(rune) is UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.PrivateUse or UnicodeCategory.Surrogate) continue;
            // handle_chinese_chars: CJK ideographs become words of their own
            if (IsCjk(rune.Value)) sb.Append(' ').Append(rune.ToString()).Append(' ');
            else sb.Append(rune.ToString());
        }
        var s = sb.ToString();
        if (_stripAccents)
        {
            var nfd = s.Normalize(NormalizationForm.FormD);
            sb.Clear();
            foreach (var rune in nfd.EnumerateRunes())
                if (Rune.GetUnicodeCategory(rune) != UnicodeCategory.NonSpacingMark) sb.Append(rune.ToString());
            s = sb.ToString();
        }
        return _lowerCase ? s.ToLowerInvariant() : s;
    }

    private static bool IsCjk(int cp) =>
        cp is >= 0x4E00 and <= 0x9FFF or >= 0x3400 and <= 0x4DBF or >= 0x20000 and <= 0x2A6DF or >= 0x2A700 and <= 0x2B73F
            or >= 0x2B740 and <= 0x2B81F or >= 0x2B920 and <= 0x2CEAF or >= 0xF900 and <= 0xFAFF or >= 0x2F800 and <= 0x2FA1F;

    private static bool IsPunctuation(Rune r) =>
        r.Value is >= 33 and <= 47 or >= 58 and <= 64 or >= 91 and <= 96 or >= 123 and <= 126
        || Rune.GetUnicodeCategory(r) is UnicodeCategory.ConnectorPunctuation or UnicodeCategory.DashPunctuation or UnicodeCategory.OpenPunctuation
            or UnicodeCategory.ClosePunctuation or UnicodeCategory.InitialQuotePunctuation or UnicodeCategory.FinalQuotePunctuation or UnicodeCategory.OtherPunctuation;

    private static List<string> PreTokenize(string text)
    {
        var words = new List<string>();
        var current = new StringBuilder();
        foreach (var rune in text.EnumerateRunes())
        {
            if (Rune.IsWhiteSpace(rune)) { Flush(); continue; }
            if (IsPunctuation(rune)) { Flush(); words.Add(rune.ToString()); continue; }
            current.Append(rune.ToString());
        }
        Flush();
        return words;

        void Flush()
        {
            if (current.Length == 0) return;
            words.Add(current.ToString());
            current.Clear();
        }
    }

    private void EncodeWord(string word, List<int> ids)
    {
        var runes = word.EnumerateRunes().Select(r => r.ToString()).ToArray();
        if (runes.Length > _maxInputChars) { ids.Add(_unknownId); return; }
        var pieces = new List<int>();
        var start = 0;
        while (start < runes.Length)
        {
            var end = runes.Length;
            var found = -1;
            while (start < end)
            {
                var sub = string.Concat(runes[start..end]);
                if (start > 0) sub = Prefix + sub;
                if (_vocab.TryGetValue(sub, out var id)) { found = id; break; }
                end--;
            }
            if (found < 0) { ids.Add(_unknownId); return; }
            pieces.Add(found);
            start = end;
        }
        ids.AddRange(pieces);
    }
}
