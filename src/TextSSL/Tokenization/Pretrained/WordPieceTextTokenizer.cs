using System.Text.Json;
using Microsoft.ML.Tokenizers;

namespace TextSSL.Tokenization.Pretrained;

/// <summary>
/// A BERT WordPiece tokenizer from a <c>vocab.txt</c> (one token per line, id = line number), run by
/// Microsoft.ML.Tokenizers' <see cref="BertTokenizer"/>.
/// </summary>
/// <remarks>
/// WordPiece does not round-trip: basic tokenization drops whitespace (and, for uncased vocabularies, case and
/// accents), and unknown words become <c>[UNK]</c>. Whether to lower-case comes from <c>tokenizer_config.json</c>'s
/// <c>do_lower_case</c> when present, else from the vocabulary (no upper-case letters outside <c>[...]</c> means uncased).
/// <see cref="Encode"/> adds no <c>[CLS]</c>/<c>[SEP]</c>; special-token text in the input is encoded as ordinary text.
/// </remarks>
public sealed class WordPieceTextTokenizer : TextTokenizer
{
    /// <summary>The vocabulary file name.</summary>
    public const string VocabFile = "vocab.txt";

    private readonly byte[] _vocab;
    private readonly BertTokenizer _bert;
    private readonly SpecialTokens _specials;

    private WordPieceTextTokenizer(string source, byte[] vocab, bool lowerCase, bool huggingFaceRules = false)
    {
        _vocab = vocab;
        LowerCase = lowerCase;
        HuggingFaceRules = huggingFaceRules;
        try
        {
            _bert = BertTokenizer.Create(new MemoryStream(vocab, writable: false), new BertOptions
            {
                LowerCaseBeforeTokenization = lowerCase,
                SplitOnSpecialTokens = false,
            });
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or FormatException)
        {
            throw new TextSslException($"{(source.EndsWith(".json", StringComparison.OrdinalIgnoreCase) ? source : Path.Combine(source, VocabFile))} does not load as a BERT vocabulary: {ex.Message}", ex);
        }
        VocabSize = CountLines(vocab);
        _specials = new SpecialTokens(
        [
            new SpecialToken(_bert.UnknownToken, _bert.UnknownTokenId, SpecialTokenRole.Unknown),
            new SpecialToken(_bert.ClassificationToken, _bert.ClassificationTokenId, SpecialTokenRole.Cls),
            new SpecialToken(_bert.SeparatorToken, _bert.SeparatorTokenId, SpecialTokenRole.Sep),
            new SpecialToken(_bert.PaddingToken, _bert.PaddingTokenId, SpecialTokenRole.Pad),
            new SpecialToken(_bert.MaskingToken, _bert.MaskingTokenId, SpecialTokenRole.Mask),
        ]);
        if (huggingFaceRules)
        {
            var map = new Dictionary<string, int>(StringComparer.Ordinal);
            using var reader = new StreamReader(new MemoryStream(vocab, writable: false));
            var id = 0;
            while (reader.ReadLine() is { } line) map.TryAdd(line, id++);
            _huggingFace = new HuggingFace.BertWordPieceEncoder(map, lowerCase, stripAccents: lowerCase, _bert.UnknownTokenId);
        }
    }

    private readonly HuggingFace.BertWordPieceEncoder? _huggingFace;

    /// <summary>Whether text is encoded by Hugging Face's BERT rules (read from a Hugging Face <c>tokenizer.json</c>) rather than Microsoft.ML.Tokenizers' <c>BertTokenizer</c>, whose normalization differs.</summary>
    public bool HuggingFaceRules { get; }

    /// <inheritdoc/>
    public override string Kind => "wordpiece";

    /// <inheritdoc/>
    public override int VocabSize { get; }

    /// <inheritdoc/>
    public override SpecialTokens Specials => _specials;

    /// <summary>Whether text is lower-cased (and accents stripped) before tokenization.</summary>
    public bool LowerCase { get; }

    /// <summary>Opens <c>vocab.txt</c> in <paramref name="directory"/>.</summary>
    /// <param name="directory">The directory.</param>
    /// <param name="lowerCase">Lower-case input; default: detected (see remarks).</param>
    public static WordPieceTextTokenizer FromDirectory(string directory, bool? lowerCase = null)
    {
        var path = Path.Combine(directory, VocabFile);
        if (!File.Exists(path)) throw new TextSslException($"'{directory}' is missing {VocabFile}.");
        var vocab = File.ReadAllBytes(path);
        return new WordPieceTextTokenizer(directory, vocab, lowerCase ?? DetectLowerCase(directory, vocab));
    }

    /// <summary>The vocabulary in id order.</summary>
    internal IReadOnlyList<string> Tokens()
    {
        var tokens = new List<string>();
        using var reader = new StreamReader(new MemoryStream(_vocab, writable: false));
        while (reader.ReadLine() is { } line) tokens.Add(line);
        return tokens;
    }

    /// <summary>Builds the tokenizer from <c>vocab.txt</c> bytes (one token per line, id = line number).</summary>
    internal static WordPieceTextTokenizer Create(string source, byte[] vocab, bool lowerCase) => new(source, vocab, lowerCase, huggingFaceRules: true);

    private static bool DetectLowerCase(string directory, byte[] vocab)
    {
        var config = Path.Combine(directory, "tokenizer_config.json");
        if (File.Exists(config))
        {
            try
            {
                using var doc = JsonDocument.Parse(File.ReadAllBytes(config));
                if (doc.RootElement.TryGetProperty("do_lower_case", out var v) && v.ValueKind is JsonValueKind.True or JsonValueKind.False) return v.GetBoolean();
            }
            catch (JsonException) { /* fall back to the vocabulary */ }
        }
        using var reader = new StreamReader(new MemoryStream(vocab));
        while (reader.ReadLine() is { } line)
            if (!(line.StartsWith('[') && line.EndsWith(']')) && line.Any(char.IsUpper)) return false;
        return true;
    }

    private static int CountLines(byte[] data)
    {
        var n = data.AsSpan().Count((byte)'\n');
        return data.Length > 0 && data[^1] != (byte)'\n' ? n + 1 : n;
    }

    /// <inheritdoc/>
    public override int[] Encode(string text) => _huggingFace is not null ? _huggingFace.Encode(Utf16Text.ReplaceLoneSurrogates(text)) :
        _bert.EncodeToIds(Utf16Text.ReplaceLoneSurrogates(text), addSpecialTokens: false, considerPreTokenization: true, considerNormalization: true).ToArray();

    /// <inheritdoc/>
    public override string Decode(ReadOnlySpan<int> ids)
    {
        foreach (var id in ids)
            if ((uint)id >= (uint)VocabSize) throw new TextSslException($"token id {id} is outside this tokenizer's vocabulary (size {VocabSize}).");
        return _bert.Decode(ids.ToArray(), skipSpecialTokens: false);
    }

    /// <inheritdoc/>
    public override void Save(string directory) => WriteOwnFiles(directory);

    /// <inheritdoc/>
    protected override IReadOnlyList<KeyValuePair<string, byte[]>> SerializeFiles()
    {
        var sidecar = new TokenizerSidecar(Kind, 1, null, _specials.All.Select(SpecialTokenEntry.From).ToList()) { LowerCase = LowerCase, HuggingFaceRules = HuggingFaceRules ? true : null };
        return [new(VocabFile, _vocab), new(TokenizerFiles.Sidecar, SidecarBytes(sidecar))];
    }

    /// <summary>Loads a tokenizer saved by <see cref="Save"/>.</summary>
    internal static WordPieceTextTokenizer Load(string directory, TokenizerSidecar sidecar) => sidecar.HuggingFaceRules == true
        ? new WordPieceTextTokenizer(directory, File.Exists(Path.Combine(directory, VocabFile)) ? File.ReadAllBytes(Path.Combine(directory, VocabFile))
            : throw new TextSslException($"'{directory}' is missing {VocabFile}."), sidecar.LowerCase ?? true, huggingFaceRules: true)
        : FromDirectory(directory, sidecar.LowerCase ?? true);
}
