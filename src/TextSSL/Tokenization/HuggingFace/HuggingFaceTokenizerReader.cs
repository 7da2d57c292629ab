using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using TextSSL.Tokenization.Pretrained;

namespace TextSSL.Tokenization.HuggingFace;

/// <summary>Reads a Hugging Face <c>tokenizer.json</c> into a <see cref="VocabMergesTokenizer"/> or <see cref="WordPieceTextTokenizer"/>.</summary>
internal static class HuggingFaceTokenizerReader
{
    public static TextTokenizer Read(string path)
    {
        if (!File.Exists(path)) throw new TextSslException($"'{path}' does not exist; a Hugging Face tokenizer directory holds {HuggingFaceTokenizerFormat.TokenizerFile}.");
        JsonDocument doc;
        try { doc = JsonDocument.Parse(File.ReadAllBytes(path)); }
        catch (JsonException ex) { throw new TextSslException($"{path} is not valid JSON: {ex.Message}", ex); }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("model", out var model) || model.ValueKind != JsonValueKind.Object)
                throw new TextSslException($"{path} is not a Hugging Face tokenizer.json: it has no \"model\" object.");
            var type = TypeOf(model) ?? (model.TryGetProperty("merges", out _) ? "BPE" : model.TryGetProperty("max_input_chars_per_word", out _) ? "WordPiece" : "unknown");
            var specials = AddedSpecials(path, root);
            return type switch
            {
                "BPE" => ReadByteLevelBpe(path, root, model, specials),
                "WordPiece" => ReadWordPiece(path, root, model),
                _ => throw Unsupported(path, "model", type, "BPE (byte-level) or WordPiece"),
            };
        }
    }

    private static TextSslException Unsupported(string path, string stage, string? type, string supported) =>
        new($"{path}: the {stage} type '{type ?? "(none)"}' is not supported; TextSSL reads {supported}.");

    private static string? TypeOf(JsonElement e) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;

    private static bool IsNull(JsonElement root, string name) => !root.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null;

    private static string? StringOrNull(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static bool Bool(JsonElement e, string name, bool fallback) =>
        e.TryGetProperty(name, out var v) && v.ValueKind is JsonValueKind.True or JsonValueKind.False ? v.GetBoolean() : fallback;

    private static TextTokenizer ReadByteLevelBpe(string path, JsonElement root, JsonElement model, List<SpecialToken> specials)
    {
        if (!IsNull(root, "normalizer")) throw Unsupported(path, "normalizer", TypeOf(root.GetProperty("normalizer")), "byte-level BPE without a normalizer");
        var pattern = SplitPattern(path, root.TryGetProperty("pre_tokenizer", out var pre) ? pre : default);
        if (!IsNull(model, "dropout")) throw new TextSslException($"{path}: BPE dropout is not supported (it makes encoding random); set \"dropout\" to null.");
        if (Bool(model, "byte_fallback", false)) throw new TextSslException($"{path}: BPE byte_fallback is not supported with a ByteLevel pre-tokenizer.");
        foreach (var affix in new[] { "continuing_subword_prefix", "end_of_word_suffix" })
            if (!string.IsNullOrEmpty(StringOrNull(model, affix))) throw new TextSslException($"{path}: BPE {affix} is not supported for byte-level BPE.");
        if (!model.TryGetProperty("vocab", out var vocabJson) || vocabJson.ValueKind != JsonValueKind.Object) throw new TextSslException($"{path}: the BPE model has no \"vocab\" object.");
        var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var p in vocabJson.EnumerateObject()) vocab[p.Name] = p.Value.GetInt32();
        var merges = new List<(string, string)>();
        if (model.TryGetProperty("merges", out var mergesJson) && mergesJson.ValueKind == JsonValueKind.Array)
            foreach (var m in mergesJson.EnumerateArray())
            {
                if (m.ValueKind == JsonValueKind.String)
                {
                    var s = m.GetString()!;
                    var space = s.IndexOf(' ');
                    if (space < 0) throw new TextSslException($"{path}: the merge '{s}' has no space between its two tokens.");
                    merges.Add((s[..space], s[(space + 1)..]));
                }
                else if (m.ValueKind == JsonValueKind.Array && m.GetArrayLength() == 2) merges.Add((m[0].GetString()!, m[1].GetString()!));
                else throw new TextSslException($"{path}: a merge is neither \"a b\" nor [\"a\", \"b\"].");
            }
        var roles = Roles(path, specials);
        return VocabMergesTokenizer.Create(path, vocab, merges, pattern, roles, Bool(model, "ignore_merges", false));
    }

    /// <summary>The split pattern of a byte-level pre-tokenizer: ByteLevel with its own (GPT-2) regex, or Split then ByteLevel without one.</summary>
    private static string SplitPattern(string path, JsonElement pre)
    {
        const string supported = "ByteLevel, or a Sequence of Split (regex, Isolated) then ByteLevel (use_regex false), without add_prefix_space";
        var type = TypeOf(pre);
        if (type == "ByteLevel")
        {
            CheckByteLevel(path, pre, supported);
            if (!Bool(pre, "use_regex", true)) throw Unsupported(path, "pre_tokenizer", "ByteLevel without a regex and without Split", supported);
            return SplitPatterns.Gpt2;
        }
        if (type != "Sequence" || !pre.TryGetProperty("pretokenizers", out var list) || list.GetArrayLength() != 2)
            throw Unsupported(path, "pre_tokenizer", type == "Sequence" ? "Sequence of " + string.Join(", ", pre.GetProperty("pretokenizers").EnumerateArray().Select(TypeOf)) : type, supported);
        var split = list[0];
        var byteLevel = list[1];
        if (TypeOf(split) != "Split" || TypeOf(byteLevel) != "ByteLevel")
            throw Unsupported(path, "pre_tokenizer", "Sequence of " + TypeOf(split) + ", " + TypeOf(byteLevel), supported);
        CheckByteLevel(path, byteLevel, supported);
        if (Bool(byteLevel, "use_regex", true)) throw Unsupported(path, "pre_tokenizer", "Split then ByteLevel with its own regex", supported);
        if (StringOrNull(split, "behavior") != "Isolated" || Bool(split, "invert", false))
            throw Unsupported(path, "pre_tokenizer", $"Split with behavior {StringOrNull(split, "behavior")}{(Bool(split, "invert", false) ? " inverted" : "")}", supported);
        if (!split.TryGetProperty("pattern", out var p) || p.ValueKind != JsonValueKind.Object) throw new TextSslException($"{path}: the Split pre-tokenizer has no pattern.");
        var pattern = StringOrNull(p, "Regex") is { } regex ? HfRegex.FromHuggingFace(regex)
            : StringOrNull(p, "String") is { } literal ? Regex.Escape(literal)
            : throw new TextSslException($"{path}: the Split pattern is neither {{\"Regex\": ...}} nor {{\"String\": ...}}.");
        try { _ = SplitPatterns.Resolve(pattern); }
        catch (TextSslException ex) { throw new TextSslException($"{path}: the Split regex does not translate to .NET: {ex.Message}", ex); }
        return pattern;
    }

    private static void CheckByteLevel(string path, JsonElement byteLevel, string supported)
    {
        if (Bool(byteLevel, "add_prefix_space", false)) throw Unsupported(path, "pre_tokenizer", "ByteLevel with add_prefix_space", supported);
    }

    private static TextTokenizer ReadWordPiece(string path, JsonElement root, JsonElement model)
    {
        const string supported = "WordPiece with BertNormalizer (clean_text, handle_chinese_chars) and BertPreTokenizer";
        var normalizer = root.TryGetProperty("normalizer", out var n) ? n : default;
        if (TypeOf(normalizer) != "BertNormalizer") throw Unsupported(path, "normalizer", TypeOf(normalizer), supported);
        var lowerCase = Bool(normalizer, "lowercase", true);
        if (!Bool(normalizer, "clean_text", true) || !Bool(normalizer, "handle_chinese_chars", true))
            throw Unsupported(path, "normalizer", "BertNormalizer without clean_text or handle_chinese_chars", supported);
        if (normalizer.TryGetProperty("strip_accents", out var strip) && strip.ValueKind is JsonValueKind.True or JsonValueKind.False && strip.GetBoolean() != lowerCase)
            throw Unsupported(path, "normalizer", $"BertNormalizer with strip_accents {strip.GetBoolean()} and lowercase {lowerCase}", supported);
        var pre = root.TryGetProperty("pre_tokenizer", out var p) ? p : default;
        if (TypeOf(pre) != "BertPreTokenizer") throw Unsupported(path, "pre_tokenizer", TypeOf(pre), supported);
        if ((StringOrNull(model, "continuing_subword_prefix") ?? "##") != "##")
            throw Unsupported(path, "model", $"WordPiece with continuing_subword_prefix '{StringOrNull(model, "continuing_subword_prefix")}'", supported);
        if (!model.TryGetProperty("vocab", out var vocabJson) || vocabJson.ValueKind != JsonValueKind.Object) throw new TextSslException($"{path}: the WordPiece model has no \"vocab\" object.");
        var byId = new SortedDictionary<int, string>();
        foreach (var e in vocabJson.EnumerateObject())
            if (!byId.TryAdd(e.Value.GetInt32(), e.Name)) throw new TextSslException($"{path}: two WordPiece tokens have id {e.Value.GetInt32()}.");
        var expected = 0;
        foreach (var id in byId.Keys)
            if (id != expected++) throw new TextSslException($"{path}: WordPiece ids must run 0, 1, 2, ... without gaps (id {expected - 1} is missing).");
        var sb = new StringBuilder();
        foreach (var token in byId.Values)
        {
            if (token.Contains('\n') || token.Contains('\r')) throw new TextSslException($"{path}: a WordPiece token contains a line break, which vocab.txt cannot hold.");
            sb.Append(token).Append('\n');
        }
        return WordPieceTextTokenizer.Create(path, new UTF8Encoding(false).GetBytes(sb.ToString()), lowerCase);
    }

    private static List<SpecialToken> AddedSpecials(string path, JsonElement root)
    {
        var list = new List<SpecialToken>();
        if (!root.TryGetProperty("added_tokens", out var added) || added.ValueKind != JsonValueKind.Array) return list;
        foreach (var t in added.EnumerateArray())
        {
            if (!t.TryGetProperty("id", out var id) || StringOrNull(t, "content") is not { } content)
                throw new TextSslException($"{path}: an added token lacks \"id\" or \"content\".");
            list.Add(new SpecialToken(content, id.GetInt32(), SpecialTokenRole.Other));
        }
        return list;
    }

    private static readonly Dictionary<string, SpecialTokenRole> RoleByText = new(StringComparer.Ordinal)
    {
        ["<|endoftext|>"] = SpecialTokenRole.EndOfText, ["</s>"] = SpecialTokenRole.Sep, ["<s>"] = SpecialTokenRole.Cls,
        ["<pad>"] = SpecialTokenRole.Pad, ["<unk>"] = SpecialTokenRole.Unknown, ["<mask>"] = SpecialTokenRole.Mask,
        ["[MASK]"] = SpecialTokenRole.Mask, ["[CLS]"] = SpecialTokenRole.Cls, ["[SEP]"] = SpecialTokenRole.Sep,
        ["[PAD]"] = SpecialTokenRole.Pad, ["[UNK]"] = SpecialTokenRole.Unknown, ["<|startoftext|>"] = SpecialTokenRole.BeginOfText,
    };

    /// <summary>Roles for the added tokens: from special_tokens_map.json beside the file when present, else from their usual texts.</summary>
    private static SpecialTokens Roles(string path, List<SpecialToken> added)
    {
        var byText = new Dictionary<string, SpecialTokenRole>(StringComparer.Ordinal);
        var map = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!, HuggingFaceTokenizerFormat.SpecialTokensMapFile);
        if (File.Exists(map))
        {
            try
            {
                using var doc = JsonDocument.Parse(File.ReadAllBytes(map));
                foreach (var role in Enum.GetValues<SpecialTokenRole>())
                {
                    if (HuggingFaceTokenizerFormat.ConfigKey(role) is not { } key || !doc.RootElement.TryGetProperty(key, out var v)) continue;
                    var text = v.ValueKind == JsonValueKind.String ? v.GetString() : v.ValueKind == JsonValueKind.Object ? StringOrNull(v, "content") : null;
                    if (text is not null) byText.TryAdd(text, role);
                }
            }
            catch (JsonException ex) { throw new TextSslException($"{map} is not valid JSON: {ex.Message}", ex); }
        }
        var used = new HashSet<SpecialTokenRole>();
        var result = new List<SpecialToken>();
        foreach (var t in added.OrderBy(t => t.Id))
        {
            var role = byText.TryGetValue(t.Text, out var r) ? r : RoleByText.GetValueOrDefault(t.Text, SpecialTokenRole.Other);
            if (role != SpecialTokenRole.Other && !used.Add(role)) role = SpecialTokenRole.Other;
            result.Add(t with { Role = role });
        }
        return new SpecialTokens(result);
    }
}
