using TextSSL.Modeling;
using TextSSL.Runtime;
using TextSSL.Tokenization;
using TextSSL.Tokenization.HuggingFace;
using TextSSL.Tokenization.Pretrained;

namespace TextSSL.Interop;

/// <summary>How a Hugging Face model directory is imported.</summary>
public sealed record HuggingFaceImportOptions
{
    /// <summary>
    /// Gets whether a model whose <c>activation_function</c> is GELU's tanh approximation (<c>gelu_new</c>, as in OpenAI's
    /// GPT-2 weights) is imported anyway, running the exact GELU. Default false: such a model is refused.
    /// </summary>
    public bool AllowApproximateGelu { get; init; }
}

/// <summary>What an import wrote.</summary>
/// <param name="Checkpoint">The TextSSL checkpoint directory.</param>
/// <param name="Model">The model's shape.</param>
/// <param name="Tokenizer">The tokenizer's kind.</param>
/// <param name="Notes">Approximations or choices the user should know about.</param>
public sealed record HuggingFaceImportResult(string Checkpoint, TransformerConfig Model, string Tokenizer, IReadOnlyList<string> Notes);

/// <summary>
/// Reads a Hugging Face model directory into a TextSSL checkpoint that generation, evaluation, probing and further training
/// load: GPT-2 (<c>model_type</c> gpt2, <c>GPT2LMHeadModel</c>) as a decoder, and XLM-RoBERTa-XL (<c>xlm-roberta-xl</c>,
/// <c>XLMRobertaXLForMaskedLM</c>, the pre-LayerNorm encoder family TextSSL's export writes) as an encoder. Weights come
/// from <c>model.safetensors</c> or shards with <c>model.safetensors.index.json</c> (fp32, fp16 or bf16); the tokenizer from
/// Hugging Face's <c>tokenizer.json</c> (byte-level BPE or WordPiece), else <c>vocab.json</c> + <c>merges.txt</c>, else the
/// <c>textssl-tokenizer/</c> copy an export writes.
/// </summary>
public static class HuggingFaceImport
{
    /// <summary>The model types TextSSL imports.</summary>
    public static IReadOnlyList<string> ModelTypes { get; } = ["gpt2", XlmRobertaXlConfig.ModelType];

    /// <summary>
    /// Whether <paramref name="directory"/> looks like a Hugging Face model directory: <c>config.json</c> with
    /// <c>model.safetensors</c> or <c>model.safetensors.index.json</c> (or <c>pytorch_model.bin</c>), and no TextSSL <c>model.json</c>.
    /// </summary>
    public static bool IsModelDirectory(string directory) =>
        Directory.Exists(directory) && File.Exists(Path.Combine(directory, Gpt2Config.FileName))
        && !File.Exists(Path.Combine(directory, ModelCheckpoint.InfoFile))
        && new[] { HuggingFaceWeights.SingleFile, HuggingFaceWeights.IndexFile, "pytorch_model.bin" }.Any(f => File.Exists(Path.Combine(directory, f)));

    /// <summary>Imports <paramref name="directory"/> into the checkpoint directory <paramref name="checkpointDirectory"/>.</summary>
    /// <param name="directory">The Hugging Face model directory.</param>
    /// <param name="checkpointDirectory">The checkpoint to write: new, empty, or an existing TextSSL checkpoint (replaced).</param>
    /// <param name="options">Import options; null for the defaults.</param>
    /// <param name="cancellationToken">Stops before writing.</param>
    /// <exception cref="TextSslException">A file is missing or malformed, or the architecture or an option is one TextSSL cannot compute.</exception>
    public static HuggingFaceImportResult Import(string directory, string checkpointDirectory, HuggingFaceImportOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new HuggingFaceImportOptions();
        if (!Directory.Exists(directory)) throw new TextSslException($"'{directory}' does not exist (expected a Hugging Face model directory).");
        CheckOutputDirectory(checkpointDirectory);
        var notes = new List<string>();
        var json = ConfigJson.Read(Path.Combine(directory, Gpt2Config.FileName));
        var modelType = json.ModelType;
        XlmRobertaXlShape? encoder = null;
        TransformerConfig config;
        if (modelType == "gpt2") config = Gpt2Config.Read(json, options.AllowApproximateGelu, notes);
        else if (modelType == XlmRobertaXlConfig.ModelType) config = (encoder = XlmRobertaXlConfig.Read(json, options.AllowApproximateGelu, notes)).Model;
        else
        {
            var why = modelType is null ? null : XlmRobertaXlConfig.Refusal(modelType);
            throw new TextSslException($"{json.Field("model_type")} is '{modelType ?? "(missing)"}' (architectures: {json.Architectures}); " +
                                       (why is not null ? $"that is {why}." : $"TextSSL imports {string.Join(" and ", ModelTypes)} only."));
        }
        var tokenizer = ReadTokenizer(directory, notes);
        if (tokenizer.VocabSize > config.VocabSize)
            throw new TextSslException($"the tokenizer in '{directory}' has {tokenizer.VocabSize} ids but {json.Field("vocab_size")} is {config.VocabSize}.");
        TorchRuntime.EnsureLoaded();
        var weights = HuggingFaceWeights.Read(directory);
        try
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var model = new Transformer(config);
            if (encoder is null) Gpt2Layout.Import(model, weights, directory);
            else XlmRobertaXlLayout.Import(model, encoder, weights, directory, notes);
            model.eval();
            var info = new CheckpointInfo(ModelCheckpoint.FormatVersion, config, encoder is null ? "clm" : "mlm", tokenizer.Fingerprint, 0, null);
            ModelCheckpoint.Save(checkpointDirectory, model, tokenizer, info);
        }
        finally { foreach (var t in weights.Values) t.Dispose(); }
        return new HuggingFaceImportResult(Path.GetFullPath(checkpointDirectory), config, tokenizer.Kind, notes);
    }

    private static TextTokenizer ReadTokenizer(string directory, List<string> notes)
    {
        // Hugging Face's tokenizer.json first (byte-level BPE or WordPiece); older GPT-2 directories have only vocab.json + merges.txt;
        // an exported directory whose tokenizer has no Hugging Face form TextSSL reads (a character tokenizer) carries TextSSL's own copy.
        var copy = Path.Combine(directory, HuggingFaceExport.TokenizerCopy);
        if (File.Exists(Path.Combine(directory, HuggingFaceTokenizerFormat.TokenizerFile)))
        {
            try { return HuggingFaceTokenizerFormat.Read(directory); }
            catch (TextSslException ex) when (Directory.Exists(copy))
            {
                notes.Add($"the tokenizer comes from {HuggingFaceExport.TokenizerCopy}/ (TextSSL reads its tokenizer.json only partly: {ex.Message.TrimEnd('.')}).");
                return TokenizerStore.Load(copy);
            }
        }
        if (File.Exists(Path.Combine(directory, VocabMergesTokenizer.VocabFile)) && File.Exists(Path.Combine(directory, VocabMergesTokenizer.MergesFile)))
            return VocabMergesTokenizer.FromDirectory(directory);
        if (Directory.Exists(copy)) return TokenizerStore.Load(copy);
        var missing = string.Join(" and ", new[] { VocabMergesTokenizer.VocabFile, VocabMergesTokenizer.MergesFile }.Where(f => !File.Exists(Path.Combine(directory, f))));
        throw new TextSslException($"'{directory}' is missing {HuggingFaceTokenizerFormat.TokenizerFile} and {missing}: TextSSL reads a tokenizer from tokenizer.json (byte-level BPE or WordPiece) or from vocab.json + merges.txt.");
    }

    private static void CheckOutputDirectory(string directory)
    {
        if (File.Exists(directory)) throw new TextSslException($"'{directory}' is a file; the import writes a checkpoint directory.");
        if (!Directory.Exists(directory) || !Directory.EnumerateFileSystemEntries(directory).Any()) return;
        if (!File.Exists(Path.Combine(directory, ModelCheckpoint.InfoFile)))
            throw new TextSslException($"'{directory}' is not empty and is not a TextSSL checkpoint ({ModelCheckpoint.InfoFile} is absent); choose an empty or new directory.");
    }
}
