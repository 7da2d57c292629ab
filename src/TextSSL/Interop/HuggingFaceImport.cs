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
        var (tokenizer, tokenizerSource) = ReadTokenizer(directory, notes);
        if (tokenizer.VocabSize > config.VocabSize)
            throw new TextSslException($"the tokenizer in '{directory}' has {tokenizer.VocabSize} ids but {json.Field("vocab_size")} is {config.VocabSize}.");
        CheckSpecialTokenIds(json, tokenizer, tokenizerSource, encoder is not null);
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

    /// <summary>
    /// The special-token ids config.json states against the tokenizer's own, with the pairing the export writes: decoder
    /// eos = end-of-text and bos = begin-of-text (else end-of-text, as GPT-2); encoder pad, bos = [CLS]/&lt;s&gt;,
    /// eos = [SEP]/&lt;/s&gt; and mask. An id either side leaves out is accepted (transformers allows absent ids); two
    /// different ids are refused, since generation, padding or masking would then use the wrong token.
    /// </summary>
    private static void CheckSpecialTokenIds(ConfigJson json, TextTokenizer tokenizer, string tokenizerSource, bool encoder)
    {
        var s = tokenizer.Specials;
        (string Field, int? Id, SpecialTokenRole Role)[] pairs = encoder
            ?
            [
                ("pad_token_id", s.IdOf(SpecialTokenRole.Pad), SpecialTokenRole.Pad),
                ("bos_token_id", s.IdOf(SpecialTokenRole.Cls), SpecialTokenRole.Cls),
                ("eos_token_id", s.IdOf(SpecialTokenRole.Sep), SpecialTokenRole.Sep),
                ("mask_token_id", s.IdOf(SpecialTokenRole.Mask), SpecialTokenRole.Mask),
            ]
            :
            [
                ("pad_token_id", s.IdOf(SpecialTokenRole.Pad), SpecialTokenRole.Pad),
                ("bos_token_id", s.IdOf(SpecialTokenRole.BeginOfText) ?? s.IdOf(SpecialTokenRole.EndOfText),
                    s.IdOf(SpecialTokenRole.BeginOfText) is null ? SpecialTokenRole.EndOfText : SpecialTokenRole.BeginOfText),
                ("eos_token_id", s.IdOf(SpecialTokenRole.EndOfText), SpecialTokenRole.EndOfText),
            ];
        foreach (var (field, id, role) in pairs)
        {
            if (id is not { } tokenizerId || json.TokenIds(field) is not { } configIds || configIds.Contains(tokenizerId)) continue;
            var token = s.All.First(t => t.Id == tokenizerId).Text;
            var stated = configIds.Count == 1 ? $"{configIds[0]}" : $"[{string.Join(", ", configIds)}]";
            throw new TextSslException($"{json.Field(field)} is {stated} but {tokenizerSource} has its {RoleName(role)} token '{token}' at id {tokenizerId}; " +
                                       "the two files must agree (fix config.json or the tokenizer, or remove the field).");
        }
    }

    private static string RoleName(SpecialTokenRole role) => role switch
    {
        SpecialTokenRole.Pad => "padding",
        SpecialTokenRole.Cls => "start ([CLS]/<s>)",
        SpecialTokenRole.Sep => "end ([SEP]/</s>)",
        SpecialTokenRole.Mask => "mask",
        SpecialTokenRole.BeginOfText => "begin-of-text",
        _ => "end-of-text",
    };

    private static (TextTokenizer Tokenizer, string Source) ReadTokenizer(string directory, List<string> notes)
    {
        // Hugging Face's tokenizer.json first (byte-level BPE or WordPiece); older GPT-2 directories have only vocab.json + merges.txt;
        // an exported directory whose tokenizer has no Hugging Face form TextSSL reads (a character tokenizer) carries TextSSL's own copy.
        var copy = Path.Combine(directory, HuggingFaceExport.TokenizerCopy);
        if (File.Exists(Path.Combine(directory, HuggingFaceTokenizerFormat.TokenizerFile)))
        {
            try { return (HuggingFaceTokenizerFormat.Read(directory), Path.Combine(directory, HuggingFaceTokenizerFormat.TokenizerFile)); }
            catch (TextSslException ex) when (Directory.Exists(copy))
            {
                notes.Add($"the tokenizer comes from {HuggingFaceExport.TokenizerCopy}/ (TextSSL reads its tokenizer.json only partly: {ex.Message.TrimEnd('.')}).");
                return (TokenizerStore.Load(copy), copy + Path.DirectorySeparatorChar);
            }
        }
        if (File.Exists(Path.Combine(directory, VocabMergesTokenizer.VocabFile)) && File.Exists(Path.Combine(directory, VocabMergesTokenizer.MergesFile)))
            return (VocabMergesTokenizer.FromDirectory(directory), Path.Combine(directory, VocabMergesTokenizer.VocabFile));
        if (Directory.Exists(copy)) return (TokenizerStore.Load(copy), copy + Path.DirectorySeparatorChar);
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
