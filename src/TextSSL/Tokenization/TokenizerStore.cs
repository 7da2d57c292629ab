using System.Text.Json;
using TextSSL.Tokenization.Bpe;
using TextSSL.Tokenization.HuggingFace;
using TextSSL.Tokenization.Pretrained;

namespace TextSSL.Tokenization;

/// <summary>Saves tokenizers with a recorded fingerprint and loads them by directory or name.</summary>
public static class TokenizerStore
{
    /// <summary>
    /// Saves <paramref name="tokenizer"/> into <paramref name="directory"/> atomically: files are written to a
    /// temporary sibling directory, fingerprinted, then moved into place.
    /// </summary>
    public static void Save(TextTokenizer tokenizer, string directory) =>
        AtomicDirectory.Write(directory, temp =>
        {
            tokenizer.Save(temp);
            File.WriteAllText(Path.Combine(temp, TokenizerFiles.FingerprintFile), TextTokenizer.FingerprintOf(temp) + "\n");
        });

    /// <summary>
    /// Opens a tokenizer by directory or name: a directory saved by <see cref="Save"/> (or by an earlier version, whose
    /// sidecar was named <c>tokenizer.json</c>); a Hugging Face directory or <c>tokenizer.json</c> file (byte-level BPE
    /// or WordPiece); a directory of another toolkit's files (<c>vocab.json</c> + <c>merges.txt</c>, BERT <c>vocab.txt</c>,
    /// or one <c>*.tiktoken</c> rank file); a <c>.tiktoken</c> file; or a built-in name (<c>gpt2</c>, <c>r50k</c>,
    /// <c>cl100k</c>, <c>o200k</c>), optionally with <c>+specials</c> (<c>gpt2+specials</c>) to add the standard roles it
    /// lacks (<c>[MASK]</c>, <c>[CLS]</c>, <c>[SEP]</c>, <c>[PAD]</c>) after its vocabulary.
    /// </summary>
    /// <exception cref="TextSslException">Neither a tokenizer directory nor a known name, or files TextSSL cannot read.</exception>
    public static TextTokenizer Open(string directoryOrName)
    {
        if (Directory.Exists(directoryOrName))
        {
            if (TokenizerFiles.FindSidecar(directoryOrName) is not null) return Load(directoryOrName);
            return OpenForeign(directoryOrName);
        }
        if (File.Exists(directoryOrName) && directoryOrName.EndsWith(".tiktoken", StringComparison.OrdinalIgnoreCase))
            return TiktokenTextTokenizer.FromRankFile(directoryOrName);
        if (File.Exists(directoryOrName) && directoryOrName.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
            return HuggingFaceTokenizerFormat.Read(directoryOrName);
        if (TiktokenEncoding.Find(directoryOrName) is not null) return TiktokenTextTokenizer.FromName(directoryOrName);
        const string withSpecials = "+specials";
        if (directoryOrName.EndsWith(withSpecials, StringComparison.OrdinalIgnoreCase) && TiktokenEncoding.Find(directoryOrName[..^withSpecials.Length]) is not null)
            return TiktokenTextTokenizer.FromName(directoryOrName[..^withSpecials.Length]).WithSpecials(SpecialTokenSpec.Standard);
        throw new TextSslException($"tokenizer '{directoryOrName}' is neither a directory nor a known tokenizer name ({TiktokenEncoding.Names}).");
    }

    private static TextTokenizer OpenForeign(string directory)
    {
        if (File.Exists(Path.Combine(directory, HuggingFaceTokenizerFormat.TokenizerFile))) return HuggingFaceTokenizerFormat.Read(directory);
        if (File.Exists(Path.Combine(directory, VocabMergesTokenizer.VocabFile)) && File.Exists(Path.Combine(directory, VocabMergesTokenizer.MergesFile)))
            return VocabMergesTokenizer.FromDirectory(directory);
        if (File.Exists(Path.Combine(directory, WordPieceTextTokenizer.VocabFile))) return WordPieceTextTokenizer.FromDirectory(directory);
        var rankFiles = Directory.GetFiles(directory, "*.tiktoken");
        if (rankFiles.Length == 1) return TiktokenTextTokenizer.FromRankFile(rankFiles[0]);
        if (rankFiles.Length > 1)
            throw new TextSslException($"'{directory}' holds {rankFiles.Length} .tiktoken files; open one of them by its path.");
        throw new TextSslException($"'{directory}' holds no tokenizer: expected a TextSSL {TokenizerFiles.Sidecar}, a Hugging Face tokenizer.json, vocab.json + merges.txt, vocab.txt, or a .tiktoken file.");
    }

    /// <summary>
    /// Loads a tokenizer from a directory saved by <see cref="Save"/>, checking its recorded fingerprint.
    /// </summary>
    /// <exception cref="TextSslException">The directory is missing, incomplete, of an unknown kind, or its files were changed.</exception>
    public static TextTokenizer Load(string directory)
    {
        if (!Directory.Exists(directory)) throw new TextSslException($"tokenizer directory '{directory}' does not exist.");
        var sidecarPath = TokenizerFiles.FindSidecar(directory) ?? Path.Combine(directory, TokenizerFiles.Sidecar);
        if (!File.Exists(sidecarPath)) throw new TextSslException($"'{directory}' is not a TextSSL tokenizer: {TokenizerFiles.Sidecar} is missing.");
        var recordedPath = Path.Combine(directory, TokenizerFiles.FingerprintFile);
        if (File.Exists(recordedPath))
        {
            var recorded = File.ReadAllText(recordedPath).Trim();
            var actual = TextTokenizer.FingerprintOf(directory);
            if (recorded != actual)
                throw new TextSslException($"tokenizer files in '{directory}' do not match their recorded fingerprint ({recorded}, found {actual}): " +
                                           "a file was changed or is missing. Restore the directory or train/save the tokenizer again.");
        }
        TokenizerSidecar sidecar;
        try { sidecar = JsonSerializer.Deserialize<TokenizerSidecar>(File.ReadAllText(sidecarPath), TokenizerSidecar.Json)!; }
        catch (JsonException ex) { throw new TextSslException($"{sidecarPath} is not valid JSON: {ex.Message}", ex); }
        if (sidecar?.Kind is null) throw new TextSslException($"{sidecarPath} is not a TextSSL tokenizer sidecar (it has no \"kind\"). Open the directory with TokenizerStore.Open to read another toolkit's files.");
        return sidecar.Kind switch
        {
            "char" => CharTokenizer.Load(directory, sidecar),
            "bpe" => ByteLevelBpeTokenizer.Load(directory, sidecar),
            "tiktoken" => TiktokenTextTokenizer.Load(directory, sidecar),
            "vocab-merges" => VocabMergesTokenizer.Load(directory, sidecar),
            "wordpiece" => WordPieceTextTokenizer.Load(directory, sidecar),
            _ => throw new TextSslException($"{sidecarPath}: unknown tokenizer kind '{sidecar.Kind}'."),
        };
    }
}
