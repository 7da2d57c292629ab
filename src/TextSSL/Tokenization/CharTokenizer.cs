using System.Globalization;
using System.Text;
using System.Text.Json;

namespace TextSSL.Tokenization;

/// <summary>
/// A character-level tokenizer in the nanoGPT manner: one id per distinct Unicode scalar (text element
/// of one code point) seen in the training text, in ordinal order, followed by the special tokens.
/// </summary>
/// <remarks>
/// Characters never seen in training have no id: <see cref="Encode"/> throws naming them, unless the
/// tokenizer was built with <see cref="SpecialTokenRole.Unknown"/> and <c>ReplaceUnknown</c>.
/// </remarks>
public sealed class CharTokenizer : TextTokenizer
{
    private const string VocabFile = "chars.txt";
    private readonly string[] _chars;
    private readonly Dictionary<int, int> _ids;
    private readonly SpecialTokens _specials;

    private CharTokenizer(string[] chars, SpecialTokens specials, bool replaceUnknown)
    {
        _chars = chars;
        // Keyed by code point, so encoding allocates nothing per character.
        _ids = new Dictionary<int, int>(chars.Length);
        for (var i = 0; i < chars.Length; i++) _ids[char.ConvertToUtf32(chars[i], 0)] = i;
        _specials = specials;
        ReplaceUnknown = replaceUnknown;
    }

    /// <inheritdoc/>
    public override string Kind => "char";

    /// <inheritdoc/>
    public override int VocabSize => _chars.Length + _specials.All.Count;

    /// <inheritdoc/>
    public override SpecialTokens Specials => _specials;

    /// <summary>Whether unseen characters encode to the unknown token instead of throwing.</summary>
    public bool ReplaceUnknown { get; }

    /// <summary>The learned characters, in id order.</summary>
    public IReadOnlyList<string> Characters => _chars;

    /// <summary>Builds the vocabulary from every character of <paramref name="text"/>.</summary>
    /// <param name="text">The training text.</param>
    /// <param name="roles">Special tokens to add after the characters; defaults to end-of-text only.</param>
    /// <param name="replaceUnknown">Map unseen characters to an unknown token (added if missing) instead of throwing.</param>
    public static CharTokenizer Train(string text, IEnumerable<SpecialTokenRole>? roles = null, bool replaceUnknown = false)
    {
        var set = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var rune in text.EnumerateRunes()) set.Add(rune.ToString());
        if (set.Count == 0) throw new TextSslException("cannot build a character tokenizer from empty text.");
        var roleList = (roles ?? [SpecialTokenRole.EndOfText]).Distinct().ToList();
        if (replaceUnknown && !roleList.Contains(SpecialTokenRole.Unknown)) roleList.Add(SpecialTokenRole.Unknown);
        var chars = set.ToArray();
        var specials = new SpecialTokens(roleList.Select((r, i) => new SpecialToken(SpecialTokens.DefaultText(r), chars.Length + i, r)));
        return new CharTokenizer(chars, specials, replaceUnknown);
    }

    /// <inheritdoc/>
    public override int[] Encode(string text)
    {
        var ids = new int[text.Length];
        var n = 0;
        List<string>? unknown = null;
        foreach (var rune in text.EnumerateRunes())
        {
            if (_ids.TryGetValue(rune.Value, out var id)) ids[n++] = id;
            else if (ReplaceUnknown) ids[n++] = _specials.IdOf(SpecialTokenRole.Unknown)!.Value;
            else (unknown ??= []).Add(rune.ToString());
        }
        if (unknown is not null)
        {
            var names = unknown.Distinct().Take(10).Select(Describe);
            throw new TextSslException($"the character tokenizer never saw {unknown.Distinct().Count()} character(s) in this text: {string.Join(", ", names)}. " +
                                       "Use a tokenizer trained on text that contains them, or one built with unknown-character replacement.");
        }
        return n == ids.Length ? ids : ids[..n];
    }

    private static string Describe(string s) =>
        $"'{s}' (U+{char.ConvertToUtf32(s, 0):X4})";

    /// <inheritdoc/>
    public override bool DecodesPiecewise => true;

    /// <inheritdoc/>
    public override string Decode(ReadOnlySpan<int> ids)
    {
        var sb = new StringBuilder(ids.Length);
        foreach (var id in ids)
        {
            if ((uint)id < (uint)_chars.Length) sb.Append(_chars[id]);
            else if (id < VocabSize) sb.Append(_specials.All[id - _chars.Length].Text);
            else throw new TextSslException($"token id {id} is outside this tokenizer's vocabulary (size {VocabSize}).");
        }
        return sb.ToString();
    }

    /// <inheritdoc/>
    public override void Save(string directory) => WriteOwnFiles(directory);

    /// <inheritdoc/>
    protected override IReadOnlyList<KeyValuePair<string, byte[]>> SerializeFiles()
    {
        // One code point per line, escaped as hex so newlines and controls survive any editor.
        var lines = _chars.Select(c => char.ConvertToUtf32(c, 0).ToString("X", CultureInfo.InvariantCulture));
        var sidecar = new TokenizerSidecar("char", 1, null, _specials.All.Select(SpecialTokenEntry.From).ToList(), ReplaceUnknown);
        return [new(VocabFile, new UTF8Encoding(false).GetBytes(string.Join('\n', lines) + "\n")), new(TokenizerFiles.Sidecar, SidecarBytes(sidecar))];
    }

    /// <summary>Loads a tokenizer saved by <see cref="Save"/>.</summary>
    internal static CharTokenizer Load(string directory, TokenizerSidecar sidecar)
    {
        var path = Path.Combine(directory, VocabFile);
        if (!File.Exists(path)) throw new TextSslException($"character tokenizer in '{directory}' is missing {VocabFile}.");
        var chars = File.ReadAllLines(path).Where(l => l.Length > 0)
            .Select(l => char.ConvertFromUtf32(int.Parse(l, NumberStyles.HexNumber, CultureInfo.InvariantCulture))).ToArray();
        var specials = new SpecialTokens(sidecar.Specials.Select(s => s.ToToken()));
        return new CharTokenizer(chars, specials, sidecar.ReplaceUnknown);
    }
}
