using TextSSL.Generation;
using TextSSL.Probing;
using TextSSL.Tokenization;
using static TorchSharp.torch;

namespace TextSSL.Modeling;

/// <summary>
/// A trained model, ready to use: the transformer, the tokenizer it was trained with and its checkpoint's metadata,
/// loaded and checked once (<see cref="Load"/>), then used for generation, fill-mask, features or evaluation.
/// </summary>
/// <remarks>
/// Loading checks that the tokenizer is the one the model was trained with (its fingerprint) and that the weights
/// file is the one that was saved (its size and SHA-256, when recorded). The model is in eval mode on
/// <see cref="Device"/>. Dispose the handle to free the model's tensors.
/// <code>
/// using var model = PretrainedModel.Load("runs/moby");               // best/, else last/
/// var text = model.Generate("Call me", GenerationOptions.Greedy with { MaxNewTokens = 40 }).Completions[0].Text;
/// </code>
/// Evaluation on data is <c>model.Evaluate(dataPath, options)</c> in <c>TextSSL.Training</c>.
/// </remarks>
public sealed class PretrainedModel : IDisposable
{
    private string? _weightsSha256;

    private PretrainedModel(Transformer model, TextTokenizer tokenizer, CheckpointInfo info, string directory, string? weightsSha256)
    {
        Model = model;
        Tokenizer = tokenizer;
        Info = info;
        Directory = directory;
        Device = model.parameters().First().device;
        _weightsSha256 = weightsSha256;
    }

    /// <summary>Loads a checkpoint onto <paramref name="device"/> (the CPU when null), in eval mode.</summary>
    /// <param name="runOrCheckpointDirectory">A checkpoint directory (holding <c>model.json</c>), or a training run's output directory, whose <c>best/</c>, else <c>last/</c>, is used.</param>
    /// <param name="device">Where the model goes; null for the CPU.</param>
    /// <exception cref="TextSslException">Nothing is there, or a file is missing, corrupt or does not belong to the others.</exception>
    public static PretrainedModel Load(string runOrCheckpointDirectory, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(runOrCheckpointDirectory);
        var dir = ModelCheckpoint.Resolve(runOrCheckpointDirectory);
        var (model, tokenizer, info, sha) = ModelCheckpoint.Read(dir, device ?? CPU);
        return new PretrainedModel(model, tokenizer, info, dir, sha);
    }

    /// <summary>The transformer, in eval mode on <see cref="Device"/>.</summary>
    public Transformer Model { get; }

    /// <summary>The tokenizer the model was trained with.</summary>
    public TextTokenizer Tokenizer { get; }

    /// <summary>The checkpoint's metadata (shape, task, step, validation loss).</summary>
    public CheckpointInfo Info { get; }

    /// <summary>The checkpoint directory that was read (a run directory resolves to its <c>best/</c> or <c>last/</c>).</summary>
    public string Directory { get; }

    /// <summary>Where the model's weights are.</summary>
    public Device Device { get; }

    /// <summary>The model's shape.</summary>
    public TransformerConfig Config => Model.Config;

    /// <summary>The pretext task the model was trained with (<c>clm</c>, <c>mlm</c>, ...).</summary>
    public string Task => Info.Task;

    /// <summary>SHA-256 (lower-case hex) of the weights file as loaded; identifies the weights (feature caches key on it).</summary>
    public string WeightsSha256 => _weightsSha256 ??= ModelCheckpoint.HashFile(Path.Combine(Directory, ModelCheckpoint.WeightsFile)).Sha256;

    /// <summary>A generator over this decoder (cheap: it shares the model).</summary>
    /// <exception cref="TextSslException">The model is an encoder.</exception>
    public TextGenerator CreateGenerator()
    {
        if (Config.Kind != ModelKind.Decoder)
            throw new TextSslException($"checkpoint '{Directory}' holds an encoder (task '{Task}'); text generation needs a decoder trained with next-token prediction (task clm). " +
                                       "For this model use fill-mask (PretrainedModel.FillMask).");
        return new TextGenerator(Model, Tokenizer);
    }

    /// <summary>Generates completions of one prompt (greedy or sampled, see <see cref="GenerationOptions"/>).</summary>
    /// <param name="prompt">The text to continue; empty starts from the end-of-text token.</param>
    /// <param name="options">Sampling settings; null for the defaults.</param>
    /// <param name="cancellationToken">Checked before every step.</param>
    /// <exception cref="TextSslException">The model is an encoder, or the prompt cannot be encoded.</exception>
    /// <exception cref="OptionException">An option is out of range.</exception>
    public GenerationResult Generate(string prompt, GenerationOptions? options = null, CancellationToken cancellationToken = default) =>
        CreateGenerator().Generate(prompt, options ?? new GenerationOptions(), cancellationToken);

    /// <summary>Generates completions of several prompts; <paramref name="onToken"/> sees each token as it is produced.</summary>
    /// <exception cref="TextSslException">The model is an encoder, or a prompt cannot be encoded.</exception>
    /// <exception cref="OptionException">An option is out of range.</exception>
    public Task<GenerationResult> GenerateAsync(IReadOnlyList<string> prompts, GenerationOptions? options = null,
        Action<TokenGenerated>? onToken = null, CancellationToken cancellationToken = default) =>
        CreateGenerator().GenerateAsync(prompts, options ?? new GenerationOptions(), onToken, cancellationToken);

    /// <summary>A mask filler over this encoder (cheap: it shares the model).</summary>
    /// <exception cref="TextSslException">The model is a decoder, or its tokenizer has no mask token.</exception>
    public MaskFiller CreateMaskFiller()
    {
        if (Config.Kind != ModelKind.Encoder)
            throw new TextSslException($"checkpoint '{Directory}' holds a decoder (task '{Task}'); fill-mask needs an encoder trained with masked-LM (task mlm). " +
                                       "For this model generate text instead (PretrainedModel.Generate).");
        return new MaskFiller(Model, Tokenizer);
    }

    /// <summary>The most probable tokens for every mask in <paramref name="text"/>.</summary>
    /// <param name="text">Text holding the tokenizer's mask string (e.g. <c>[MASK]</c>) at least once.</param>
    /// <param name="topK">Candidates per mask (at least 1).</param>
    /// <param name="replaceUnknownWith">Replacement for characters the tokenizer cannot encode; null to fail naming them.</param>
    /// <exception cref="TextSslException">The model is a decoder, the text has no mask, or it is too long.</exception>
    /// <exception cref="OptionException"><paramref name="topK"/> is below 1.</exception>
    public IReadOnlyList<MaskPrediction> FillMask(string text, int topK = 5, string? replaceUnknownWith = null) =>
        CreateMaskFiller().Predict(text, topK, replaceUnknownWith);

    /// <summary>
    /// Frozen features: one pooled hidden-state vector per text (the representation the probes read), as an
    /// (N, <see cref="TransformerConfig.Dim"/>) fp32 tensor on the CPU, in the order of <paramref name="texts"/>.
    /// </summary>
    /// <param name="texts">The texts; each is encoded as in training and read in up to <see cref="FeatureOptions.MaxWindows"/> windows of
    /// <see cref="FeatureOptions.MaxTokens"/> (default: the block size) tokens.</param>
    /// <param name="options">Pooling, layer, batch size, windows; null for mean pooling of the last hidden state.</param>
    /// <param name="progress">Receives (texts done, total) after each batch.</param>
    /// <param name="cancellationToken">Checked between batches.</param>
    /// <param name="coverage">When given, counts the texts, windows, and texts windowed or cut.</param>
    /// <exception cref="OptionException">An option is out of range for this model.</exception>
    public Tensor Features(IReadOnlyList<string> texts, FeatureOptions? options = null, IProgress<(int Done, int Total)>? progress = null,
        CancellationToken cancellationToken = default, TextCoverage? coverage = null)
    {
        ArgumentNullException.ThrowIfNull(texts);
        options = (options ?? new FeatureOptions()).Validate();
        var encoded = EncodedTexts.Encode(Tokenizer, Config, texts, options.MaxTokens, options.MaxWindows, cancellationToken);
        coverage?.Add(encoded);
        return FeatureExtractor.Extract(Model, encoded, options, Device, progress, cancellationToken);
    }

    /// <summary>
    /// Embeddings of a stream of texts: one vector of <see cref="TransformerConfig.Dim"/> floats per text, in input
    /// order, read as <see cref="Features"/> reads them (same pooling, layer, length limit and, with
    /// <see cref="FeatureOptions.Normalize"/>, unit L2 norm). The input is consumed <see cref="FeatureOptions.BatchSize"/>
    /// texts at a time and each chunk's vectors are yielded before the next chunk is read, so a large input never sits
    /// in memory whole. A text that encodes to no tokens gets a zero vector.
    /// </summary>
    /// <param name="texts">The texts, read lazily.</param>
    /// <param name="options">Pooling, layer, batch size, normalisation; null for mean pooling of the last hidden state.</param>
    /// <param name="progress">Receives the number of texts embedded so far after each chunk.</param>
    /// <param name="cancellationToken">Checked between chunks and batches.</param>
    /// <param name="coverage">When given, counts the texts, windows, and texts windowed or cut, as the input is read.</param>
    /// <exception cref="OptionException">An option is out of range for this model (checked before any text is read).</exception>
    public IEnumerable<float[]> Embed(IEnumerable<string> texts, FeatureOptions? options = null, IProgress<long>? progress = null,
        CancellationToken cancellationToken = default, TextCoverage? coverage = null)
    {
        ArgumentNullException.ThrowIfNull(texts);
        options = CheckEmbedOptions(options);
        return EmbedChunks(texts, options, progress, coverage, cancellationToken);
    }

    private IEnumerable<float[]> EmbedChunks(IEnumerable<string> texts, FeatureOptions options, IProgress<long>? progress, TextCoverage? coverage, CancellationToken ct)
    {
        var chunk = new List<string>(options.BatchSize);
        long done = 0;
        foreach (var text in texts)
        {
            chunk.Add(text);
            if (chunk.Count < options.BatchSize) continue;
            foreach (var v in EmbedChunk(chunk, options, coverage, ct)) yield return v;
            progress?.Report(done += chunk.Count);
            chunk.Clear();
        }
        if (chunk.Count == 0) yield break;
        foreach (var v in EmbedChunk(chunk, options, coverage, ct)) yield return v;
        progress?.Report(done + chunk.Count);
    }

    /// <summary>The asynchronous form of <see cref="Embed(IEnumerable{string}, FeatureOptions?, IProgress{long}?, CancellationToken, TextCoverage?)"/>.</summary>
    /// <param name="texts">The texts, read lazily.</param>
    /// <param name="options">Pooling, layer, batch size, normalisation; null for mean pooling of the last hidden state.</param>
    /// <param name="progress">Receives the number of texts embedded so far after each chunk.</param>
    /// <param name="cancellationToken">Checked between chunks and batches.</param>
    /// <param name="coverage">When given, counts the texts, windows, and texts windowed or cut, as the input is read.</param>
    /// <exception cref="OptionException">An option is out of range for this model (checked when enumeration starts).</exception>
    public async IAsyncEnumerable<float[]> EmbedAsync(IAsyncEnumerable<string> texts, FeatureOptions? options = null, IProgress<long>? progress = null,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default, TextCoverage? coverage = null)
    {
        ArgumentNullException.ThrowIfNull(texts);
        options = CheckEmbedOptions(options);
        var chunk = new List<string>(options.BatchSize);
        long done = 0;
        await foreach (var text in texts.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            chunk.Add(text);
            if (chunk.Count < options.BatchSize) continue;
            foreach (var v in EmbedChunk(chunk, options, coverage, cancellationToken)) yield return v;
            progress?.Report(done += chunk.Count);
            chunk.Clear();
        }
        if (chunk.Count == 0) yield break;
        foreach (var v in EmbedChunk(chunk, options, coverage, cancellationToken)) yield return v;
        progress?.Report(done + chunk.Count);
    }

    private FeatureOptions CheckEmbedOptions(FeatureOptions? options)
    {
        options = (options ?? new FeatureOptions()).Validate();
        options.EffectiveLayer.Resolve(Config.Layers + 1); // a layer this model lacks fails before any input is read
        return options;
    }

    private float[][] EmbedChunk(List<string> texts, FeatureOptions options, TextCoverage? coverage, CancellationToken ct)
    {
        using var features = Features(texts, options, null, ct, coverage);
        var dim = (int)features.shape[1];
        var flat = features.data<float>().ToArray();
        var rows = new float[texts.Count][];
        for (var i = 0; i < rows.Length; i++) rows[i] = flat.AsSpan(i * dim, dim).ToArray();
        return rows;
    }

    /// <summary>
    /// A new transformer of the same shape holding a copy of these weights, on the CPU in train mode, owned by the
    /// caller (for fine-tuning: the handle's own model stays as loaded). Building it draws from torch's global random
    /// generator exactly as <c>new Transformer(Config)</c> does, so seeded code that used to build a fresh trunk and
    /// load the weights file into it sees the same random stream afterwards.
    /// </summary>
    public Transformer CopyTransformer()
    {
        var copy = new Transformer(Config);
        try
        {
            using var _ = no_grad();
            var source = Model.state_dict();
            foreach (var (name, target) in copy.state_dict())
                target.copy_(source[name]);
        }
        catch
        {
            copy.Dispose();
            throw;
        }
        copy.train();
        return copy;
    }

    /// <inheritdoc/>
    public void Dispose() => Model.Dispose();
}
