using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.ML.Tokenizers;
using TextSSL.Tokenization.HuggingFace;

namespace TextSSL.Tokenization.Pretrained;

/// <summary>
/// A GPT-2/RoBERTa-style byte-level BPE from another toolkit: <c>vocab.json</c> (token → id, tokens written in the
/// GPT-2 byte-to-unicode convention, e.g. <c>Ġ</c> for a space) and <c>merges.txt</c> (one merge per line, ranked by line),
/// or the same vocabulary and merges read from a Hugging Face <c>tokenizer.json</c>.
/// </summary>
/// <remarks>
/// Encoding runs through Microsoft.ML.Tokenizers' <see cref="BpeTokenizer"/> with byte-level handling and the split
/// pattern (GPT-2's for a bare vocab.json/merges.txt pair; the one in <c>tokenizer.json</c> otherwise). Entries such as
/// <c>&lt;|endoftext|&gt;</c>, <c>&lt;s&gt;</c>, <c>&lt;/s&gt;</c>, <c>&lt;pad&gt;</c>, <c>&lt;unk&gt;</c>,
/// <c>&lt;mask&gt;</c> in the vocabulary become special tokens with their usual roles (a <c>tokenizer.json</c> lists
/// its own); their text in the input is encoded as ordinary text.
/// </remarks>
public sealed class VocabMergesTokenizer : TextTokenizer
{
    /// <summary>The vocabulary file name.</summary>
    public const string VocabFile = "vocab.json";

    /// <summary>The merges file name.</summary>
    public const string MergesFile = "merges.txt";

    private readonly byte[] _vocab;
    private readonly byte[] _merges;
    private readonly BpeTokenizer _bpe;
    private readonly SpecialTokens _specials;
    private readonly Dictionary<string, int> _map;
    private readonly Dictionary<int, string> _specialText;
    private readonly Regex _split;

    private static readonly (string Text, SpecialTokenRole Role)[] KnownSpecials =
    [
        ("<|endoftext|>", SpecialTokenRole.EndOfText), ("<s>", SpecialTokenRole.Cls), ("</s>", SpecialTokenRole.Sep),
        ("<pad>", SpecialTokenRole.Pad), ("<unk>", SpecialTokenRole.Unknown), ("<mask>", SpecialTokenRole.Mask),
    ];

    private VocabMergesTokenizer(string source, byte[] vocab, byte[] merges, string pattern, SpecialTokens? specials, bool ignoreMerges)
    {
        _vocab = vocab;
        _merges = merges;
        Pattern = pattern;
        IgnoreMerges = ignoreMerges;
        try { _map = JsonSerializer.Deserialize<Dictionary<string, int>>(vocab) ?? throw new JsonException("null"); }
        catch (JsonException ex) { throw new TextSslException($"{Path.Combine(source, VocabFile)} is not a JSON object of token → id: {ex.Message}", ex); }
        if (_map.Count == 0) throw new TextSslException($"{Path.Combine(source, VocabFile)} is empty.");
        _specials = specials ?? new SpecialTokens(KnownSpecials.Where(k => _map.ContainsKey(k.Text)).Select(k => new SpecialToken(k.Text, _map[k.Text], k.Role)));
        _specialText = _specials.All.ToDictionary(s => s.Id, s => s.Text);
        VocabSize = Math.Max(_map.Values.Max(), _specials.All.Count == 0 ? 0 : _specials.All.Max(s => s.Id)) + 1;
        _split = SplitPatterns.Resolve(pattern);
        try
        {
            _bpe = BpeTokenizer.Create(new BpeOptions(_map)
            {
                Merges = ReadMerges(merges),
                ByteLevel = true,
                PreTokenizer = new RegexPreTokenizer(_split, null),
            });
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or FormatException)
        {
            throw new TextSslException($"the vocabulary and merges in '{source}' do not load: {ex.Message}", ex);
        }
    }

    /// <inheritdoc/>
    public override string Kind => "vocab-merges";

    /// <inheritdoc/>
    public override int VocabSize { get; }

    /// <inheritdoc/>
    public override SpecialTokens Specials => _specials;

    /// <summary>The split pattern (a .NET regex).</summary>
    public string Pattern { get; }

    /// <summary>Whether a pre-token found whole in the vocabulary becomes that token without applying merges (Hugging Face's <c>ignore_merges</c>).</summary>
    public bool IgnoreMerges { get; }

    /// <summary>Opens <c>vocab.json</c> + <c>merges.txt</c> in <paramref name="directory"/>.</summary>
    /// <exception cref="TextSslException">A file is missing or malformed.</exception>
    public static VocabMergesTokenizer FromDirectory(string directory)
    {
        foreach (var f in new[] { VocabFile, MergesFile })
            if (!File.Exists(Path.Combine(directory, f))) throw new TextSslException($"'{directory}' is missing {f} (a GPT-2-style BPE needs {VocabFile} and {MergesFile}).");
        return new VocabMergesTokenizer(directory, File.ReadAllBytes(Path.Combine(directory, VocabFile)), File.ReadAllBytes(Path.Combine(directory, MergesFile)), SplitPatterns.Gpt2, null, false);
    }

    /// <summary>Builds the tokenizer from a vocabulary (token → id, byte-level token strings) and merges in rank order.</summary>
    internal static VocabMergesTokenizer Create(string source, IReadOnlyDictionary<string, int> vocab, IReadOnlyList<(string Left, string Right)> merges,
                                                string pattern, SpecialTokens specials, bool ignoreMerges)
    {
        var vocabJson = JsonSerializer.SerializeToUtf8Bytes(vocab.OrderBy(kv => kv.Value).ToDictionary(kv => kv.Key, kv => kv.Value),
            new JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        var sb = new StringBuilder("#version: 0.2\n");
        foreach (var (left, right) in merges)
        {
            if (left.Contains(' ') || right.Contains(' ') || left.Contains('\n') || right.Contains('\n'))
                throw new TextSslException($"{source}: the merge ('{left}', '{right}') has a space or newline inside a token, which a byte-level BPE never has.");
            sb.Append(left).Append(' ').Append(right).Append('\n');
        }
        return new VocabMergesTokenizer(source, vocabJson, new UTF8Encoding(false).GetBytes(sb.ToString()), pattern, specials, ignoreMerges);
    }

    private static List<string> ReadMerges(byte[] merges)
    {
        var lines = new List<string>();
        using var reader = new StreamReader(new MemoryStream(merges), Encoding.UTF8);
        while (reader.ReadLine() is { } line)
        {
            // the first line of Hugging Face files is "#version: 0.2"
            if (line.Length == 0 || line.StartsWith("#version", StringComparison.Ordinal)) continue;
            lines.Add(line);
        }
        return lines;
    }

    /// <inheritdoc/>
    public override int[] Encode(string text)
    {
        text = Utf16Text.ReplaceLoneSurrogates(text);
        if (!IgnoreMerges) return _bpe.EncodeToIds(text, considerPreTokenization: true, considerNormalization: false).ToArray();
        var ids = new List<int>();
        foreach (var match in _split.EnumerateMatches(text))
        {
            var piece = text.AsSpan(match.Index, match.Length);
            if (_map.TryGetValue(ByteLevelAlphabet.Map(piece), out var whole)) ids.Add(whole);
            else ids.AddRange(_bpe.EncodeToIds(piece, considerPreTokenization: false, considerNormalization: false));
        }
        return ids.ToArray();
    }

    /// <inheritdoc/>
    public override bool DecodesPiecewise => true;

    /// <inheritdoc/>
    public override string Decode(ReadOnlySpan<int> ids)
    {
        var hasSpecial = false;
        foreach (var id in ids)
        {
            if ((uint)id >= (uint)VocabSize) throw new TextSslException($"token id {id} is outside this tokenizer's vocabulary (size {VocabSize}).");
            hasSpecial |= _specialText.ContainsKey(id);
        }
        if (!hasSpecial) return _bpe.Decode(ids.ToArray());
        var sb = new StringBuilder();
        var start = 0;
        for (var i = 0; i <= ids.Length; i++)
        {
            if (i < ids.Length && !_specialText.ContainsKey(ids[i])) continue;
            if (i > start) sb.Append(_bpe.Decode(ids[start..i].ToArray()));
            if (i < ids.Length) sb.Append(_specialText[ids[i]]);
            start = i + 1;
        }
        return sb.ToString();
    }

    /// <inheritdoc/>
    public override void Save(string directory) => WriteOwnFiles(directory);

    /// <inheritdoc/>
    protected override IReadOnlyList<KeyValuePair<string, byte[]>> SerializeFiles()
    {
        var sidecar = new TokenizerSidecar(Kind, 1, Pattern, _specials.All.Select(SpecialTokenEntry.From).ToList())
        {
            PatternName = SplitPatterns.NameOf(Pattern),
            IgnoreMerges = IgnoreMerges ? true : null,
        };
        return [new(VocabFile, _vocab), new(MergesFile, _merges), new(TokenizerFiles.Sidecar, SidecarBytes(sidecar))];
    }

    /// <summary>The vocabulary (token → id, byte-level token strings).</summary>
    internal IReadOnlyDictionary<string, int> Vocabulary => _map;

    /// <summary>The merges in rank order.</summary>
    internal IEnumerable<string> MergeLines => ReadMerges(_merges);

    /// <summary>Loads a tokenizer saved by <see cref="Save"/>.</summary>
    internal static VocabMergesTokenizer Load(string directory, TokenizerSidecar sidecar)
    {
        foreach (var f in new[] { VocabFile, MergesFile })
            if (!File.Exists(Path.Combine(directory, f))) throw new TextSslException($"'{directory}' is missing {f} (a GPT-2-style BPE needs {VocabFile} and {MergesFile}).");
        return new VocabMergesTokenizer(directory, File.ReadAllBytes(Path.Combine(directory, VocabFile)), File.ReadAllBytes(Path.Combine(directory, MergesFile)),
            sidecar.Pattern ?? SplitPatterns.Gpt2, new SpecialTokens(sidecar.Specials.Select(s => s.ToToken())), sidecar.IgnoreMerges ?? false);
    }
}
