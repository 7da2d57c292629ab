
namespace TextSSL.Tokenization.Pretrained;

/// <summary>
/// A pretrained tiktoken encoding: one of the named ones shipped in Microsoft.ML.Tokenizers.Data.* (<c>gpt2</c>,
/// <c>r50k</c>, <c>cl100k</c>, <c>o200k</c>) or a rank file from another toolkit.
/// </summary>
/// <remarks>
/// A named encoding saves as the sidecar alone (its name and special tokens); a rank-file one saves <c>vocab.tiktoken</c> with the sidecar.
/// Encoding runs through Microsoft.ML.Tokenizers' <c>TiktokenTokenizer</c> with the encoding's split pattern;
/// special-token text in the input is encoded as ordinary text.
/// </remarks>
public sealed class TiktokenTextTokenizer : TextTokenizer
{
    private const string RankFile = "vocab.tiktoken";
    private readonly TiktokenCodec _codec;
    private readonly SpecialTokens _specials;
    private readonly byte[] _rankFile;

    private TiktokenTextTokenizer(string? name, byte[] rankFile, string pattern, SpecialTokens specials)
    {
        Name = name;
        Pattern = pattern;
        _specials = specials;
        _rankFile = rankFile;
        RankCount = RankFiles.RankCount(rankFile);
        _codec = new TiktokenCodec(new MemoryStream(rankFile, writable: false), RankCount, SplitPatterns.Resolve(pattern), specials);
        VocabSize = Math.Max(RankCount, specials.All.Count == 0 ? 0 : specials.All.Max(s => s.Id) + 1);
    }

    /// <inheritdoc/>
    public override string Kind => "tiktoken";

    /// <inheritdoc/>
    public override int VocabSize { get; }

    /// <inheritdoc/>
    public override SpecialTokens Specials => _specials;

    /// <summary>The built-in name (<c>gpt2</c>, ...), or null for a rank file.</summary>
    public string? Name { get; }

    /// <summary>The split pattern.</summary>
    public string Pattern { get; }

    /// <summary>Number of ranked (non-special) ids.</summary>
    public int RankCount { get; }

    /// <summary>Opens a named encoding: <c>gpt2</c>, <c>r50k</c>, <c>cl100k</c> or <c>o200k</c>.</summary>
    /// <param name="name">The encoding's name.</param>
    /// <param name="specials">Special tokens; default: the encoding's own.</param>
    /// <exception cref="TextSslException">An unknown name.</exception>
    public static TiktokenTextTokenizer FromName(string name, SpecialTokens? specials = null)
    {
        var encoding = TiktokenEncoding.Find(name) ?? throw new TextSslException($"'{name}' is not a known tiktoken encoding; known: {TiktokenEncoding.Names}.");
        return new TiktokenTextTokenizer(encoding.Name, encoding.ReadRankFile(), encoding.Pattern, specials ?? encoding.SpecialTokens());
    }

    /// <summary>
    /// Returns this tokenizer with special tokens added after its vocabulary, skipping any whose role (other than
    /// <see cref="SpecialTokenRole.Other"/>) or text it already has; e.g. the standard roles, so that GPT-2's
    /// vocabulary can serve masked-LM (<c>[MASK]</c>, <c>[CLS]</c>, <c>[SEP]</c>, <c>[PAD]</c>).
    /// </summary>
    public TiktokenTextTokenizer WithSpecials(IEnumerable<SpecialTokenSpec> extra)
    {
        var list = _specials.All.ToList();
        var next = VocabSize;
        foreach (var s in extra)
        {
            if (s.Role != SpecialTokenRole.Other && list.Any(t => t.Role == s.Role)) continue;
            if (list.Any(t => t.Text == s.Text)) continue;
            list.Add(new SpecialToken(s.Text, next++, s.Role));
        }
        return new TiktokenTextTokenizer(Name, _rankFile, Pattern, new SpecialTokens(list));
    }

    /// <summary>Opens a rank file from another toolkit.</summary>
    /// <param name="path">The <c>.tiktoken</c> file.</param>
    /// <param name="pattern">Split pattern; default: from the file name (o200k, r50k/p50k/gpt2), else GPT-4's.</param>
    /// <param name="specials">Special tokens; default: those of the encoding the file name matches, else none.</param>
    public static TiktokenTextTokenizer FromRankFile(string path, string? pattern = null, SpecialTokens? specials = null)
    {
        if (!File.Exists(path)) throw new TextSslException($"rank file '{path}' does not exist.");
        var stem = Path.GetFileNameWithoutExtension(path).ToLowerInvariant();
        var known = TiktokenEncoding.Find(stem) ?? (stem.StartsWith("p50k", StringComparison.Ordinal) ? TiktokenEncoding.Find("r50k") : null);
        var bytes = File.ReadAllBytes(path);
        _ = RankFiles.Read(path, requireDenseRanks: false); // validates with file and line in the message
        return new TiktokenTextTokenizer(null, bytes,
            SplitPatterns.Expand(pattern ?? known?.Pattern ?? SplitPatterns.Gpt4),
            specials ?? known?.SpecialTokens() ?? SpecialTokens.None);
    }

    /// <inheritdoc/>
    public override int[] Encode(string text) => _codec.Encode(text);

    /// <inheritdoc/>
    public override string Decode(ReadOnlySpan<int> ids) => _codec.Decode(ids);

    /// <inheritdoc/>
    public override bool DecodesPiecewise => true;

    /// <inheritdoc/>
    public override void Save(string directory) => WriteOwnFiles(directory);

    /// <inheritdoc/>
    protected override IReadOnlyList<KeyValuePair<string, byte[]>> SerializeFiles()
    {
        var sidecar = new TokenizerSidecar(Kind, 1, Name is null ? Pattern : null, _specials.All.Select(SpecialTokenEntry.From).ToList())
        {
            Name = Name,
            PatternName = SplitPatterns.NameOf(Pattern),
        };
        return Name is null ? [new(RankFile, _rankFile), new(TokenizerFiles.Sidecar, SidecarBytes(sidecar))] : [new(TokenizerFiles.Sidecar, SidecarBytes(sidecar))];
    }

    /// <summary>The ranked tokens' bytes in rank order (null where a rank is unused).</summary>
    internal IReadOnlyList<byte[]?> RankedTokens()
    {
        var tokens = new byte[]?[RankCount];
        using var reader = new StreamReader(new MemoryStream(_rankFile, writable: false));
        var index = 0;
        while (reader.ReadLine() is { } line)
        {
            if (line.Length == 0 || line.StartsWith("Capacity:", StringComparison.Ordinal)) continue;
            var space = line.IndexOf(' ');
            var rank = space < 0 ? index : int.Parse(line.AsSpan(space + 1), System.Globalization.CultureInfo.InvariantCulture);
            tokens[rank] = Convert.FromBase64String(space < 0 ? line : line[..space]);
            index++;
        }
        return tokens;
    }

    /// <summary>Loads a tokenizer saved by <see cref="Save"/>.</summary>
    internal static TiktokenTextTokenizer Load(string directory, TokenizerSidecar sidecar)
    {
        if (sidecar.Name is { } name) return FromName(name, new SpecialTokens(sidecar.Specials.Select(s => s.ToToken())));
        var path = Path.Combine(directory, RankFile);
        if (!File.Exists(path)) throw new TextSslException($"tiktoken tokenizer in '{directory}' is missing {RankFile}.");
        return FromRankFile(path, sidecar.Pattern, new SpecialTokens(sidecar.Specials.Select(s => s.ToToken())));
    }
}
