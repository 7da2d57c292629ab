using System.Globalization;
using System.Text;

namespace TextSSL.Tokenization.Bpe;

/// <summary>
/// A byte-level BPE tokenizer trained by <see cref="BpeTrainer"/>: 256 byte tokens, learned tokens, then special tokens.
/// </summary>
/// <remarks>
/// Saved as <c>vocab.tiktoken</c> (one line per token: base64 of its bytes, a space, its rank = id; bytes 0..255 first)
/// and the <c>textssl-tokenizer.json</c> sidecar with the split pattern and special tokens (plus Hugging Face's files beside them). The rank file is the format
/// Microsoft.ML.Tokenizers' <c>TiktokenTokenizer.Create</c> reads, and encoding and decoding run through it. As in
/// tiktoken, encoding merges the adjacent pair whose concatenated bytes have the lowest rank.
/// </remarks>
public sealed class ByteLevelBpeTokenizer : TextTokenizer
{
    /// <summary>The rank file's name inside a saved directory.</summary>
    public const string RankFile = "vocab.tiktoken";

    private readonly byte[][] _tokens;
    private readonly byte[] _rankFile;
    private readonly SpecialTokens _specials;
    private readonly TiktokenCodec _codec;

    private ByteLevelBpeTokenizer(byte[][] tokens, byte[] rankFile, string pattern, SpecialTokens specials)
    {
        _tokens = tokens;
        _rankFile = rankFile;
        Pattern = pattern;
        _specials = specials;
        _codec = new TiktokenCodec(new MemoryStream(rankFile, writable: false), tokens.Length, SplitPatterns.Resolve(pattern), specials);
    }

    /// <inheritdoc/>
    public override string Kind => "bpe";

    /// <inheritdoc/>
    public override int VocabSize => _tokens.Length + _specials.All.Count;

    /// <inheritdoc/>
    public override SpecialTokens Specials => _specials;

    /// <summary>The split pattern (a .NET regex).</summary>
    public string Pattern { get; }

    /// <summary>Number of byte and learned tokens (ids below it are not special).</summary>
    public int LearnedCount => _tokens.Length;

    /// <summary>The bytes of token <paramref name="id"/> (a special token's UTF-8 text).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The id is not in the vocabulary.</exception>
    public ReadOnlySpan<byte> TokenBytes(int id)
    {
        if ((uint)id < (uint)_tokens.Length) return _tokens[id];
        var special = _specials.All.FirstOrDefault(s => s.Id == id) ?? throw new ArgumentOutOfRangeException(nameof(id), id, $"not an id of this tokenizer (vocabulary size {VocabSize})");
        return Encoding.UTF8.GetBytes(special.Text);
    }

    /// <summary>Builds a tokenizer from its tokens in rank order (the first 256 must be the single bytes 0..255).</summary>
    /// <exception cref="TextSslException">The base bytes are missing or out of order, or two tokens have the same bytes.</exception>
    public static ByteLevelBpeTokenizer Create(IReadOnlyList<byte[]> tokens, string pattern, SpecialTokens specials)
    {
        if (tokens.Count < 256) throw new TextSslException($"a byte-level BPE needs the 256 byte tokens first; got {tokens.Count} tokens.");
        for (var b = 0; b < 256; b++)
            if (tokens[b].Length != 1 || tokens[b][0] != b) throw new TextSslException($"token {b} of a byte-level BPE must be the single byte 0x{b:X2}.");
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < tokens.Count; i++)
            if (!seen.Add(Convert.ToBase64String(tokens[i]))) throw new TextSslException($"token {i} repeats the bytes of an earlier token; a rank file needs distinct tokens.");
        for (var i = 0; i < specials.All.Count; i++)
            if (specials.All[i].Id != tokens.Count + i) throw new TextSslException($"special token '{specials.All[i].Text}' has id {specials.All[i].Id}; expected {tokens.Count + i} (specials follow the learned tokens).");
        var sb = new StringBuilder(tokens.Count * 12);
        for (var i = 0; i < tokens.Count; i++) sb.Append(Convert.ToBase64String(tokens[i])).Append(' ').Append(i.ToString(CultureInfo.InvariantCulture)).Append('\n');
        return new ByteLevelBpeTokenizer(tokens.ToArray(), Encoding.ASCII.GetBytes(sb.ToString()), pattern, specials);
    }

    /// <inheritdoc/>
    public override int[] Encode(string text) => _codec.Encode(text);

    /// <inheritdoc/>
    public override string Decode(ReadOnlySpan<int> ids) => _codec.Decode(ids);

    /// <inheritdoc/>
    public override bool DecodesPiecewise => true;

    /// <inheritdoc/>
    /// <remarks>Also writes the Hugging Face files (<see cref="HuggingFace.HuggingFaceTokenizerFormat.Write"/>) beside TextSSL's own.</remarks>
    public override void Save(string directory)
    {
        WriteOwnFiles(directory);
        HuggingFace.HuggingFaceTokenizerFormat.Write(this, directory);
    }

    /// <inheritdoc/>
    protected override IReadOnlyList<KeyValuePair<string, byte[]>> SerializeFiles()
    {
        var sidecar = new TokenizerSidecar(Kind, 1, Pattern, _specials.All.Select(SpecialTokenEntry.From).ToList()) { PatternName = SplitPatterns.NameOf(Pattern) };
        return [new(RankFile, _rankFile), new(TokenizerFiles.Sidecar, SidecarBytes(sidecar))];
    }

    /// <summary>The byte and learned tokens in rank (= id) order.</summary>
    internal IReadOnlyList<byte[]> RankedTokens => _tokens;

    /// <summary>Loads a tokenizer saved by <see cref="Save"/>.</summary>
    /// <exception cref="TextSslException">The rank file is missing or malformed.</exception>
    internal static ByteLevelBpeTokenizer Load(string directory, TokenizerSidecar sidecar)
    {
        var path = Path.Combine(directory, RankFile);
        if (!File.Exists(path)) throw new TextSslException($"BPE tokenizer in '{directory}' is missing {RankFile}. Restore the file or train the tokenizer again.");
        if (string.IsNullOrEmpty(sidecar.Pattern)) throw new TextSslException($"{Path.Combine(directory, TokenizerFiles.Sidecar)} has no split pattern.");
        var tokens = RankFiles.Read(path, requireDenseRanks: true);
        return Create(tokens, sidecar.Pattern, new SpecialTokens(sidecar.Specials.Select(s => s.ToToken())));
    }
}
