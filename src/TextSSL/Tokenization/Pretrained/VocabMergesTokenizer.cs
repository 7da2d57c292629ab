using System.Text.Json;
using Microsoft.ML.Tokenizers;

namespace TextSSL.Tokenization.Pretrained;

/// <summary>
/// A GPT-2/RoBERTa-style byte-level BPE from another toolkit: <c>vocab.json</c> (token → id, tokens written in the
/// GPT-2 byte-to-unicode convention, e.g. <c>Ġ</c> for a space) and <c>merges.txt</c> (one merge per line, ranked by line).
/// </summary>
/// <remarks>
/// Encoding runs through Microsoft.ML.Tokenizers' <see cref="BpeTokenizer"/> with byte-level handling and the GPT-2
/// split pattern. Entries such as <c>&lt;|endoftext|&gt;</c>, <c>&lt;s&gt;</c>, <c>&lt;/s&gt;</c>, <c>&lt;pad&gt;</c>,
/// <c>&lt;unk&gt;</c>, <c>&lt;mask&gt;</c> in the vocabulary become special tokens with their usual roles;
/// their text in the input is encoded as ordinary text.
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

    private static readonly (string Text, SpecialTokenRole Role)[] KnownSpecials =
    [
        ("<|endoftext|>", SpecialTokenRole.EndOfText), ("<s>", SpecialTokenRole.Cls), ("</s>", SpecialTokenRole.Sep),
        ("<pad>", SpecialTokenRole.Pad), ("<unk>", SpecialTokenRole.Unknown), ("<mask>", SpecialTokenRole.Mask),
    ];

    private VocabMergesTokenizer(string source, byte[] vocab, byte[] merges)
    {
        _vocab = vocab;
        _merges = merges;
        Dictionary<string, int> map;
        try { map = JsonSerializer.Deserialize<Dictionary<string, int>>(vocab) ?? throw new JsonException("null"); }
        catch (JsonException ex) { throw new TextSslException($"{Path.Combine(source, VocabFile)} is not a JSON object of token → id: {ex.Message}", ex); }
        if (map.Count == 0) throw new TextSslException($"{Path.Combine(source, VocabFile)} is empty.");
        VocabSize = map.Values.Max() + 1;
        _specials = new SpecialTokens(KnownSpecials.Where(k => map.ContainsKey(k.Text)).Select(k => new SpecialToken(k.Text, map[k.Text], k.Role)));
        try
        {
            _bpe = BpeTokenizer.Create(new BpeOptions(map)
            {
                Merges = ReadMerges(merges),
                ByteLevel = true,
                PreTokenizer = new RegexPreTokenizer(SplitPatterns.Resolve("gpt2"), null),
            });
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or FormatException)
        {
            throw new TextSslException($"the vocab.json/merges.txt pair in '{source}' does not load: {ex.Message}", ex);
        }
    }

    /// <inheritdoc/>
    public override string Kind => "vocab-merges";

    /// <inheritdoc/>
    public override int VocabSize { get; }

    /// <inheritdoc/>
    public override SpecialTokens Specials => _specials;

    /// <summary>Opens <c>vocab.json</c> + <c>merges.txt</c> in <paramref name="directory"/>.</summary>
    /// <exception cref="TextSslException">A file is missing or malformed.</exception>
    public static VocabMergesTokenizer FromDirectory(string directory)
    {
        foreach (var f in new[] { VocabFile, MergesFile })
            if (!File.Exists(Path.Combine(directory, f))) throw new TextSslException($"'{directory}' is missing {f} (a GPT-2-style BPE needs {VocabFile} and {MergesFile}).");
        return new VocabMergesTokenizer(directory, File.ReadAllBytes(Path.Combine(directory, VocabFile)), File.ReadAllBytes(Path.Combine(directory, MergesFile)));
    }

    private static List<string> ReadMerges(byte[] merges)
    {
        var lines = new List<string>();
        using var reader = new StreamReader(new MemoryStream(merges), System.Text.Encoding.UTF8);
        while (reader.ReadLine() is { } line)
        {
            // the first line of Hugging Face files is "#version: 0.2"
            if (line.Length == 0 || line.StartsWith("#version", StringComparison.Ordinal)) continue;
            lines.Add(line);
        }
        return lines;
    }

    /// <inheritdoc/>
    public override int[] Encode(string text) =>
        _bpe.EncodeToIds(Utf16Text.ReplaceLoneSurrogates(text), considerPreTokenization: true, considerNormalization: false).ToArray();

    /// <inheritdoc/>
    public override string Decode(ReadOnlySpan<int> ids)
    {
        foreach (var id in ids)
            if ((uint)id >= (uint)VocabSize) throw new TextSslException($"token id {id} is outside this tokenizer's vocabulary (size {VocabSize}).");
        return _bpe.Decode(ids.ToArray());
    }

    /// <inheritdoc/>
    public override void Save(string directory)
    {
        Directory.CreateDirectory(directory);
        AtomicFile.Write(Path.Combine(directory, VocabFile), s => s.Write(_vocab));
        AtomicFile.Write(Path.Combine(directory, MergesFile), s => s.Write(_merges));
        var sidecar = new TokenizerSidecar(Kind, 1, SplitPatterns.Gpt2, _specials.All.Select(SpecialTokenEntry.From).ToList()) { PatternName = "gpt2" };
        AtomicFile.WriteAllText(Path.Combine(directory, TokenizerFiles.Sidecar), JsonSerializer.Serialize(sidecar, TokenizerSidecar.Json));
    }

    /// <summary>Loads a tokenizer saved by <see cref="Save"/>.</summary>
    public static VocabMergesTokenizer Load(string directory, TokenizerSidecar sidecar) => FromDirectory(directory);
}
