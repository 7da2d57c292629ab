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
/// Reads a Hugging Face GPT-2-family directory (<c>config.json</c>, <c>model.safetensors</c> or shards with
/// <c>model.safetensors.index.json</c>, fp32/fp16/bf16, and a <c>vocab.json</c> + <c>merges.txt</c> tokenizer) into a TextSSL
/// checkpoint that generation, evaluation and further training load.
/// </summary>
public static class HuggingFaceImport
{
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
        var config = Gpt2Config.Read(Path.Combine(directory, Gpt2Config.FileName), options.AllowApproximateGelu, notes);
        var tokenizer = ReadTokenizer(directory);
        if (tokenizer.VocabSize > config.VocabSize)
            throw new TextSslException($"the tokenizer in '{directory}' has {tokenizer.VocabSize} ids but {Path.Combine(directory, Gpt2Config.FileName)} \"vocab_size\" is {config.VocabSize}.");
        TorchRuntime.EnsureLoaded();
        var weights = HuggingFaceWeights.Read(directory);
        try
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var model = new Transformer(config);
            Gpt2Layout.Import(model, weights, directory);
            model.eval();
            var info = new CheckpointInfo(ModelCheckpoint.FormatVersion, config, "clm", tokenizer.Fingerprint, 0, null);
            ModelCheckpoint.Save(checkpointDirectory, model, tokenizer, info);
        }
        finally { foreach (var t in weights.Values) t.Dispose(); }
        return new HuggingFaceImportResult(Path.GetFullPath(checkpointDirectory), config, tokenizer.Kind, notes);
    }

    private static TextTokenizer ReadTokenizer(string directory)
    {
        // Hugging Face's tokenizer.json first (byte-level BPE or WordPiece); older GPT-2 directories have only vocab.json + merges.txt.
        if (File.Exists(Path.Combine(directory, HuggingFaceTokenizerFormat.TokenizerFile))) return HuggingFaceTokenizerFormat.Read(directory);
        if (File.Exists(Path.Combine(directory, VocabMergesTokenizer.VocabFile)) && File.Exists(Path.Combine(directory, VocabMergesTokenizer.MergesFile)))
            return VocabMergesTokenizer.FromDirectory(directory);
        var missing = string.Join(" and ", new[] { VocabMergesTokenizer.VocabFile, VocabMergesTokenizer.MergesFile }.Where(f => !File.Exists(Path.Combine(directory, f))));
        throw new TextSslException($"'{directory}' is missing {missing}: TextSSL reads a GPT-2 tokenizer from vocab.json + merges.txt.");
    }

    private static void CheckOutputDirectory(string directory)
    {
        if (File.Exists(directory)) throw new TextSslException($"'{directory}' is a file; the import writes a checkpoint directory.");
        if (!Directory.Exists(directory) || !Directory.EnumerateFileSystemEntries(directory).Any()) return;
        if (!File.Exists(Path.Combine(directory, ModelCheckpoint.InfoFile)))
            throw new TextSslException($"'{directory}' is not empty and is not a TextSSL checkpoint ({ModelCheckpoint.InfoFile} is absent); choose an empty or new directory.");
    }
}
