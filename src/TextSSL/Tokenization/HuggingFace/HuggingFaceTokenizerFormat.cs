using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using TextSSL.Tokenization.Bpe;
using TextSSL.Tokenization.Pretrained;

namespace TextSSL.Tokenization.HuggingFace;

/// <summary>
/// Writes and reads tokenizers in Hugging Face's formats: <c>tokenizer.json</c> (the tokenizers library's schema),
/// <c>vocab.json</c> + <c>merges.txt</c>, <c>tokenizer_config.json</c> and <c>special_tokens_map.json</c>.
/// </summary>
/// <remarks>
/// Written: byte-level BPE (TextSSL-trained, tiktoken rank files and encodings, vocab.json/merges.txt) as a
/// <c>Split</c> pre-tokenizer with the split pattern (isolated), <c>ByteLevel</c> without its own regex, a BPE model with
/// <c>ignore_merges</c> (tiktoken's rule that a pre-token found whole in the vocabulary is one token), the
/// <c>ByteLevel</c> decoder and the special tokens as added tokens with their ids. Hugging Face splits special-token
/// text in the input out as special tokens, while TextSSL encodes it as ordinary text; every other text gets the same ids.
/// Read: byte-level BPE (<c>ByteLevel</c> alone, or <c>Split</c> then <c>ByteLevel</c>) and WordPiece
/// (<c>BertNormalizer</c> + <c>BertPreTokenizer</c>); anything else fails naming the file and the unsupported type.
/// Post-processors are not read: TextSSL's stages add their own special tokens.
/// </remarks>
internal static class HuggingFaceTokenizerFormat
{
    /// <summary>Hugging Face's tokenizer file.</summary>
    public const string TokenizerFile = "tokenizer.json";

    /// <summary>The transformers tokenizer configuration.</summary>
    public const string ConfigFile = "tokenizer_config.json";

    /// <summary>The transformers special-token map.</summary>
    public const string SpecialTokensMapFile = "special_tokens_map.json";

    private static readonly JsonWriterOptions WriterOptions = new() { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Whether <see cref="Write"/> supports this tokenizer.</summary>
    public static bool CanWrite(TextTokenizer tokenizer) =>
        tokenizer is ByteLevelBpeTokenizer or TiktokenTextTokenizer or VocabMergesTokenizer or CharTokenizer or WordPieceTextTokenizer { HuggingFaceRules: true };

    /// <summary>
    /// Writes <c>tokenizer.json</c>, <c>vocab.json</c>, <c>merges.txt</c>, <c>tokenizer_config.json</c> and
    /// <c>special_tokens_map.json</c> for <paramref name="tokenizer"/> into <paramref name="directory"/> (created if
    /// needed; each file written atomically), so that <c>AutoTokenizer.from_pretrained(directory)</c> and
    /// <c>Tokenizer.from_file</c> load it with the ids TextSSL gives.
    /// </summary>
    /// <param name="tokenizer">A byte-level BPE, character, or Hugging Face WordPiece tokenizer (see <see cref="CanWrite"/>); only byte-level BPE gets vocab.json/merges.txt.</param>
    /// <param name="directory">The target directory.</param>
    /// <param name="modelMaxLength">The model's context length, recorded as <c>model_max_length</c>; null leaves it out.</param>
    /// <returns>The names of the files written.</returns>
    /// <exception cref="TextSslException">The tokenizer has no Hugging Face form with the same ids (a WordPiece opened from a bare vocab.txt).</exception>
    public static IReadOnlyList<string> Write(TextTokenizer tokenizer, string directory, int? modelMaxLength = null)
    {
        var files = new List<(string, byte[])>();
        if (tokenizer is CharTokenizer chars) files.Add((TokenizerFile, CharTokenizerJson(chars)));
        else if (tokenizer is WordPieceTextTokenizer wordPiece) files.Add((TokenizerFile, WordPieceJson(wordPiece)));
        else
        {
            var bpe = ByteLevelSource.From(tokenizer);
            files.Add((TokenizerFile, TokenizerJson(bpe)));
            files.Add((VocabMergesTokenizer.VocabFile, Json(w => WriteVocab(w, bpe.Vocab))));
            files.Add((VocabMergesTokenizer.MergesFile, MergesTxt(bpe.Merges)));
        }
        files.Add((ConfigFile, Json(w => WriteConfig(w, tokenizer.Specials, modelMaxLength))));
        files.Add((SpecialTokensMapFile, Json(w => WriteSpecialTokensMap(w, tokenizer.Specials))));
        Directory.CreateDirectory(directory);
        foreach (var (name, bytes) in files) AtomicFile.Write(Path.Combine(directory, name), s => s.Write(bytes));
        return files.Select(f => f.Item1).ToList();
    }

    /// <summary>The bytes of the Hugging Face <c>tokenizer.json</c> for <paramref name="tokenizer"/>.</summary>
    /// <exception cref="TextSslException">The tokenizer has no Hugging Face form.</exception>
    public static byte[] TokenizerJson(TextTokenizer tokenizer) =>
        tokenizer is CharTokenizer chars ? CharTokenizerJson(chars)
        : tokenizer is WordPieceTextTokenizer wordPiece ? WordPieceJson(wordPiece)
        : TokenizerJson(ByteLevelSource.From(tokenizer));

    /// <summary>
    /// Reads a Hugging Face <c>tokenizer.json</c> (the file, or a directory holding it): byte-level BPE or WordPiece.
    /// <c>special_tokens_map.json</c> beside it, when present, gives special tokens their roles.
    /// </summary>
    /// <exception cref="TextSslException">The file is missing, not JSON, or uses a type TextSSL does not read (named in the message).</exception>
    public static TextTokenizer Read(string path) => HuggingFaceTokenizerReader.Read(Directory.Exists(path) ? Path.Combine(path, TokenizerFile) : path);

    private static byte[] Json(Action<Utf8JsonWriter> write)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, WriterOptions)) write(w);
        buffer.WriteByte((byte)'\n');
        return buffer.ToArray();
    }

    private static byte[] TokenizerJson(ByteLevelSource bpe) => Json(w =>
    {
        WriteOpening(w, bpe.Specials);
        w.WriteNull("normalizer");
        w.WriteStartObject("pre_tokenizer");
        w.WriteString("type", "Sequence");
        w.WriteStartArray("pretokenizers");
        w.WriteStartObject();
        w.WriteString("type", "Split");
        w.WriteStartObject("pattern");
        w.WriteString("Regex", HfRegex.ToHuggingFace(bpe.Pattern));
        w.WriteEndObject();
        w.WriteString("behavior", "Isolated");
        w.WriteBoolean("invert", false);
        w.WriteEndObject();
        WriteByteLevel(w, trimOffsets: true);
        w.WriteEndArray();
        w.WriteEndObject();
        w.WritePropertyName("post_processor");
        WriteByteLevel(w, trimOffsets: false);
        w.WritePropertyName("decoder");
        WriteByteLevel(w, trimOffsets: true);
        w.WriteStartObject("model");
        w.WriteString("type", "BPE");
        w.WriteNull("dropout");
        w.WriteNull("unk_token");
        w.WriteNull("continuing_subword_prefix");
        w.WriteNull("end_of_word_suffix");
        w.WriteBoolean("fuse_unk", false);
        w.WriteBoolean("byte_fallback", false);
        w.WriteBoolean("ignore_merges", bpe.IgnoreMerges);
        w.WritePropertyName("vocab");
        WriteVocab(w, bpe.Vocab);
        w.WriteStartArray("merges");
        foreach (var (left, right) in bpe.Merges) w.WriteStringValue(left + " " + right);
        w.WriteEndArray();
        w.WriteEndObject();
        w.WriteEndObject();
    });

    /// <summary>
    /// A character tokenizer as Hugging Face expresses it: every code point its own pre-token (<c>Split</c> on
    /// <c>[\s\S]</c>), a <c>WordLevel</c> model over the characters and special tokens, the <c>Fuse</c> decoder (no spaces
    /// between tokens). An unseen character fails in both unless the tokenizer has an unknown token.
    /// </summary>
    private static byte[] CharTokenizerJson(CharTokenizer chars) => Json(w =>
    {
        WriteOpening(w, chars.Specials);
        w.WriteNull("normalizer");
        w.WriteStartObject("pre_tokenizer");
        w.WriteString("type", "Split");
        w.WriteStartObject("pattern");
        w.WriteString("Regex", @"[\s\S]");
        w.WriteEndObject();
        w.WriteString("behavior", "Isolated");
        w.WriteBoolean("invert", false);
        w.WriteEndObject();
        w.WriteNull("post_processor");
        w.WriteStartObject("decoder");
        w.WriteString("type", "Fuse");
        w.WriteEndObject();
        w.WriteStartObject("model");
        w.WriteString("type", "WordLevel");
        w.WriteStartObject("vocab");
        for (var i = 0; i < chars.Characters.Count; i++) w.WriteNumber(chars.Characters[i], i);
        foreach (var s in chars.Specials.All) w.WriteNumber(s.Text, s.Id);
        w.WriteEndObject();
        w.WriteString("unk_token", chars.Specials[SpecialTokenRole.Unknown]?.Text ?? "[UNK]");
        w.WriteEndObject();
        w.WriteEndObject();
    });

    /// <summary>A WordPiece tokenizer read from Hugging Face's files, written back in BERT's form (no post-processor: TextSSL adds no [CLS]/[SEP] in Encode).</summary>
    private static byte[] WordPieceJson(WordPieceTextTokenizer wordPiece)
    {
        if (!wordPiece.HuggingFaceRules)
            throw new TextSslException("this wordpiece tokenizer was opened from a vocab.txt and encodes by Microsoft.ML.Tokenizers' BERT rules, " +
                                       "which differ from Hugging Face's (line breaks, tabs, accents); it has no Hugging Face form with the same ids. " +
                                       "Open the model's Hugging Face tokenizer.json instead.");
        var tokens = wordPiece.Tokens();
        return Json(w =>
        {
            WriteOpening(w, wordPiece.Specials);
            w.WriteStartObject("normalizer");
            w.WriteString("type", "BertNormalizer");
            w.WriteBoolean("clean_text", true);
            w.WriteBoolean("handle_chinese_chars", true);
            w.WriteNull("strip_accents");
            w.WriteBoolean("lowercase", wordPiece.LowerCase);
            w.WriteEndObject();
            w.WriteStartObject("pre_tokenizer");
            w.WriteString("type", "BertPreTokenizer");
            w.WriteEndObject();
            w.WriteNull("post_processor");
            w.WriteStartObject("decoder");
            w.WriteString("type", "WordPiece");
            w.WriteString("prefix", "##");
            w.WriteBoolean("cleanup", true);
            w.WriteEndObject();
            w.WriteStartObject("model");
            w.WriteString("type", "WordPiece");
            w.WriteString("unk_token", wordPiece.Specials[SpecialTokenRole.Unknown]?.Text ?? "[UNK]");
            w.WriteString("continuing_subword_prefix", "##");
            w.WriteNumber("max_input_chars_per_word", 100);
            w.WriteStartObject("vocab");
            for (var i = 0; i < tokens.Count; i++) w.WriteNumber(tokens[i], i);
            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteEndObject();
        });
    }

    /// <summary>Opens a tokenizer.json: format version, no truncation or padding, the special tokens as added tokens.</summary>
    private static void WriteOpening(Utf8JsonWriter w, SpecialTokens specials)
    {
        w.WriteStartObject();
        w.WriteString("version", "1.0");
        w.WriteNull("truncation");
        w.WriteNull("padding");
        WriteAddedTokens(w, specials);
    }

    private static void WriteAddedTokens(Utf8JsonWriter w, SpecialTokens specials)
    {
        w.WriteStartArray("added_tokens");
        foreach (var s in specials.All.OrderBy(s => s.Id))
        {
            w.WriteStartObject();
            w.WriteNumber("id", s.Id);
            w.WriteString("content", s.Text);
            w.WriteBoolean("single_word", false);
            w.WriteBoolean("lstrip", false);
            w.WriteBoolean("rstrip", false);
            w.WriteBoolean("normalized", false);
            w.WriteBoolean("special", true);
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    private static void WriteByteLevel(Utf8JsonWriter w, bool trimOffsets)
    {
        w.WriteStartObject();
        w.WriteString("type", "ByteLevel");
        w.WriteBoolean("add_prefix_space", false);
        w.WriteBoolean("trim_offsets", trimOffsets);
        w.WriteBoolean("use_regex", false);
        w.WriteEndObject();
    }

    private static void WriteVocab(Utf8JsonWriter w, IReadOnlyList<KeyValuePair<string, int>> vocab)
    {
        w.WriteStartObject();
        foreach (var (token, id) in vocab) w.WriteNumber(token, id);
        w.WriteEndObject();
    }

    private static byte[] MergesTxt(IReadOnlyList<(string Left, string Right)> merges)
    {
        var sb = new StringBuilder("#version: 0.2\n");
        foreach (var (left, right) in merges) sb.Append(left).Append(' ').Append(right).Append('\n');
        return new UTF8Encoding(false).GetBytes(sb.ToString());
    }

    /// <summary>The transformers name of a role's token attribute (<c>eos_token</c>, ...), or null for <see cref="SpecialTokenRole.Other"/>.</summary>
    internal static string? ConfigKey(SpecialTokenRole role) => role switch
    {
        SpecialTokenRole.EndOfText => "eos_token",
        SpecialTokenRole.BeginOfText => "bos_token",
        SpecialTokenRole.Mask => "mask_token",
        SpecialTokenRole.Cls => "cls_token",
        SpecialTokenRole.Sep => "sep_token",
        SpecialTokenRole.Pad => "pad_token",
        SpecialTokenRole.Unknown => "unk_token",
        _ => null,
    };

    private static void WriteRoles(Utf8JsonWriter w, SpecialTokens specials)
    {
        foreach (var s in specials.All)
            if (ConfigKey(s.Role) is { } key) w.WriteString(key, s.Text);
        var others = specials.All.Where(s => s.Role == SpecialTokenRole.Other).ToList();
        if (others.Count == 0) return;
        w.WriteStartArray("additional_special_tokens");
        foreach (var s in others) w.WriteStringValue(s.Text);
        w.WriteEndArray();
    }

    private static void WriteConfig(Utf8JsonWriter w, SpecialTokens specials, int? modelMaxLength)
    {
        w.WriteStartObject();
        w.WriteString("tokenizer_class", "PreTrainedTokenizerFast");
        w.WriteBoolean("add_prefix_space", false);
        w.WriteBoolean("clean_up_tokenization_spaces", false);
        if (modelMaxLength is { } max) w.WriteNumber("model_max_length", max);
        WriteRoles(w, specials);
        w.WriteStartObject("added_tokens_decoder");
        foreach (var s in specials.All.OrderBy(s => s.Id))
        {
            w.WriteStartObject(s.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
            w.WriteString("content", s.Text);
            w.WriteBoolean("lstrip", false);
            w.WriteBoolean("normalized", false);
            w.WriteBoolean("rstrip", false);
            w.WriteBoolean("single_word", false);
            w.WriteBoolean("special", true);
            w.WriteEndObject();
        }
        w.WriteEndObject();
        w.WriteEndObject();
    }

    private static void WriteSpecialTokensMap(Utf8JsonWriter w, SpecialTokens specials)
    {
        w.WriteStartObject();
        WriteRoles(w, specials);
        w.WriteEndObject();
    }

    /// <summary>A byte-level BPE in the terms Hugging Face's files use.</summary>
    private sealed record ByteLevelSource(IReadOnlyList<KeyValuePair<string, int>> Vocab, IReadOnlyList<(string Left, string Right)> Merges,
                                          string Pattern, SpecialTokens Specials, bool IgnoreMerges)
    {
        public static ByteLevelSource From(TextTokenizer tokenizer) => tokenizer switch
        {
            ByteLevelBpeTokenizer b => FromRanks(b.RankedTokens.ToArray<byte[]?>(), b.Pattern, b.Specials),
            TiktokenTextTokenizer t => FromRanks(t.RankedTokens(), t.Pattern, t.Specials),
            VocabMergesTokenizer v => new ByteLevelSource(
                WithSpecials(v.Vocabulary.OrderBy(kv => kv.Value).ToList(), v.Specials),
                v.MergeLines.Select(SplitMerge).ToList(), v.Pattern, v.Specials, v.IgnoreMerges),
            _ => throw new TextSslException($"a {tokenizer.Kind} tokenizer has no Hugging Face tokenizer.json form here; TextSSL writes byte-level BPE (bpe, tiktoken, vocab-merges) and char tokenizers."),
        };

        private static ByteLevelSource FromRanks(IReadOnlyList<byte[]?> tokens, string pattern, SpecialTokens specials)
        {
            var vocab = new List<KeyValuePair<string, int>>(tokens.Count + specials.All.Count);
            for (var i = 0; i < tokens.Count; i++)
                if (tokens[i] is { } t) vocab.Add(new(ByteLevelAlphabet.Map(t), i));
            var merges = RankMerges.Derive(tokens).Select(m => (ByteLevelAlphabet.Map(m.Left), ByteLevelAlphabet.Map(m.Right))).ToList();
            return new ByteLevelSource(WithSpecials(vocab, specials), merges, pattern, specials, IgnoreMerges: true);
        }

        // GPT-2's vocab.json lists <|endoftext|> too: a reader of vocab.json alone then knows every id
        private static List<KeyValuePair<string, int>> WithSpecials(List<KeyValuePair<string, int>> vocab, SpecialTokens specials)
        {
            var seen = vocab.Select(kv => kv.Key).ToHashSet(StringComparer.Ordinal);
            var ids = vocab.Select(kv => kv.Value).ToHashSet();
            foreach (var s in specials.All.OrderBy(s => s.Id))
                if (!seen.Contains(s.Text) && !ids.Contains(s.Id)) vocab.Add(new(s.Text, s.Id));
            return vocab;
        }

        private static (string, string) SplitMerge(string line)
        {
            var space = line.IndexOf(' ');
            return space < 0 ? throw new TextSslException($"merge '{line}' has no space between its two tokens.") : (line[..space], line[(space + 1)..]);
        }
    }
}
