using TextSSL.Runtime;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TextSSL.Modeling;

/// <summary>
/// One transformer for both directions: a causal decoder with an LM head (GPT-style) or a bidirectional
/// encoder with an MLM head (BERT/RoBERTa-style). Pre-LayerNorm blocks, fused QKV, scaled_dot_product_attention,
/// GELU MLP, tied embeddings by default, learned or rotary positions, GPT-2 initialisation.
/// </summary>
public sealed class Transformer : nn.Module<Tensor, Tensor>
{
    private readonly nn.Module<Tensor, Tensor> wte;
    private readonly nn.Module<Tensor, Tensor>? wpe;
    private readonly nn.Module<Tensor, Tensor> drop;
    private readonly ModuleList<Block> h;
    private readonly Fp32LayerNorm ln_f;
    // Encoder only: BERT's MLM transform (dense → GELU → LayerNorm) before the vocabulary projection.
    private readonly MixedLinear? mlm_dense;
    private readonly Fp32LayerNorm? mlm_ln;
    private readonly Parameter? mlm_bias;
    private readonly MixedLinear? lm_head;
    private readonly Rotary? rotary;

    /// <summary>Builds and initialises a model of the given shape (weights on the CPU, fp32).</summary>
    public Transformer(TransformerConfig config) : base("transformer")
    {
        Config = config.Validate();
        Precision = new ComputePrecision();
        rotary = config.Positions == PositionKind.Rotary ? new Rotary(config.HeadDim, config.BlockSize) : null;
        wte = nn.Embedding(config.VocabSize, config.Dim);
        wpe = config.Positions == PositionKind.Learned ? nn.Embedding(config.BlockSize, config.Dim) : null;
        drop = nn.Dropout(config.Dropout);
        h = new ModuleList<Block>(Enumerable.Range(0, config.Layers).Select(_ => new Block(config, Precision, rotary)).ToArray());
        ln_f = new Fp32LayerNorm("ln_f", config.Dim, config.Bias, Precision);
        if (config.Kind == ModelKind.Encoder)
        {
            mlm_dense = new MixedLinear("mlm_dense", config.Dim, config.Dim, true, Precision);
            mlm_ln = new Fp32LayerNorm("mlm_ln", config.Dim, true, Precision);
            mlm_bias = new Parameter(zeros(config.VocabSize));
        }
        if (!config.TiedEmbeddings) lm_head = new MixedLinear("lm_head", config.Dim, config.VocabSize, false, Precision);
        RegisterComponents();
        Initialise();
    }

    /// <summary>The model's shape.</summary>
    public TransformerConfig Config { get; }

    /// <summary>The compute dtype of matrix products (fp32 master weights stay fp32).</summary>
    public ComputePrecision Precision { get; }

    /// <summary>Number of parameters (tied embeddings counted once).</summary>
    public long ParameterCount => parameters().Sum(p => p.numel());

    private void Initialise()
    {
        using var _ = no_grad();
        var residualStd = 0.02 / Math.Sqrt(2.0 * Config.Layers);
        foreach (var (name, p) in named_parameters())
        {
            if (p.dim() < 2)
            {
                // LayerNorm weights start at one, biases at zero.
                if (name.EndsWith("weight", StringComparison.Ordinal)) p.fill_(1.0); else p.zero_();
                continue;
            }
            nn.init.normal_(p, 0.0, 0.02);
        }
        // GPT-2: residual projections scaled by 1/sqrt(2·layers) so the residual stream's variance stays flat with depth.
        foreach (var block in h)
            foreach (var proj in block.ResidualProjections)
                nn.init.normal_(proj.weight, 0.0, residualStd);
    }

    /// <summary>Logits (B, T, V) for token ids (B, T); no padding mask, no cache.</summary>
    public override Tensor forward(Tensor ids) => Forward(ids);

    /// <summary>
    /// Logits (B, T, V) in fp32. <paramref name="paddingMask"/> (B, T), true for real tokens, applies to encoders;
    /// <paramref name="cache"/> lets a decoder process only new positions. For sequences that pack several documents,
    /// <paramref name="attentionMask"/> (bool, broadcastable to (B, 1, T, T), true where query i may attend to key j;
    /// see <see cref="DocumentMask"/>) keeps them apart — a decoder combines it with causality — and
    /// <paramref name="positions"/> (int64 (B, T), each below the block size) restarts positions in each document.
    /// An encoder given both masks lets a token attend where both allow it (every query must keep at least one key,
    /// or its output is NaN: give padding a document id of its own rather than combining the two).
    /// </summary>
    /// <exception cref="ArgumentException">A padding mask on a decoder, or a mask or positions with a cache.</exception>
    public Tensor Forward(Tensor ids, Tensor? paddingMask = null, KvCache? cache = null, Tensor? attentionMask = null, Tensor? positions = null)
    {
        using var scope = NewDisposeScope();
        var x = Trunk(ids, paddingMask, cache, null, attentionMask, positions);
        return Head(x).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Hidden states for feature extraction: entry 0 is the embedding output, entry i the output of block i,
    /// and the last entry is passed through the final LayerNorm. All (B, T, C), fp32. The masks and positions are
    /// those of <see cref="Forward"/>.
    /// </summary>
    public IReadOnlyList<Tensor> HiddenStates(Tensor ids, Tensor? paddingMask = null, Tensor? attentionMask = null, Tensor? positions = null)
    {
        var states = new List<Tensor>();
        using (var scope = NewDisposeScope())
        {
            Trunk(ids, paddingMask, null, states, attentionMask, positions);
            foreach (var s in states) s.MoveToOuterDisposeScope();
        }
        return states;
    }

    /// <summary>
    /// The block-diagonal attention mask (B, 1, T, T), bool, of sequences that pack several documents: token i may
    /// attend to token j when both carry the same document id in <paramref name="documentIds"/> (B, T). Give padding
    /// an id of its own; a padding mask is the special case of one document id for the text and another for the padding.
    /// </summary>
    public static Tensor DocumentMask(Tensor documentIds) =>
        documentIds.unsqueeze(2).eq(documentIds.unsqueeze(1)).unsqueeze(1);

    private Tensor Trunk(Tensor ids, Tensor? paddingMask, KvCache? cache, List<Tensor>? states, Tensor? attentionMask, Tensor? positions)
    {
        var t = ids.shape[1];
        var offset = cache?.Length ?? 0;
        if (offset + t > Config.BlockSize)
            throw new TextSslException($"sequence of {offset + t} positions exceeds the model's block size {Config.BlockSize}.");
        if (paddingMask is not null && Config.Kind == ModelKind.Decoder)
            throw new ArgumentException("padding masks apply to encoders; a decoder is causal and reads left to right.", nameof(paddingMask));
        if (cache is not null && (attentionMask is not null || positions is not null))
            throw new ArgumentException("an attention mask or per-token positions apply to whole sequences, not to cached decoding.", nameof(cache));
        using var mask = attentionMask is null ? null
            : Config.Kind == ModelKind.Decoder
                ? attentionMask.logical_and(ones(t, t, ScalarType.Bool, device: ids.device).tril())  // a decoder also sees only the past
                : paddingMask is null ? attentionMask.alias() : attentionMask.logical_and(paddingMask.view(paddingMask.shape[0], 1, 1, -1));
        var x = wte.forward(ids);
        if (wpe is not null)
        {
            using var pos = positions is null ? arange(offset, offset + t, dtype: ScalarType.Int64, device: ids.device) : positions.alias();
            x = x.Plus(wpe.forward(pos));
        }
        x = drop.forward(x);
        states?.Add(x.to(ScalarType.Float32));
        for (var i = 0; i < h.Count; i++)
        {
            x = h[i].Forward(x, paddingMask, cache, i, mask, positions);
            if (states is not null) states.Add(i == h.Count - 1 ? ln_f.forward(x).to(ScalarType.Float32) : x.to(ScalarType.Float32));
        }
        cache?.Advance((int)t);
        return ln_f.forward(x);
    }

    private Tensor Head(Tensor x)
    {
        if (Config.Kind == ModelKind.Encoder)
            x = mlm_ln!.forward(nn.functional.gelu(mlm_dense!.forward(x)));
        Tensor logits;
        if (lm_head is not null) logits = lm_head.forward(x);
        else
        {
            var weight = ((Embedding)wte).weight!;
            logits = Precision.IsMixed
                ? nn.functional.linear(x.to(Precision.Dtype), weight.to(Precision.Dtype))
                : OneDnnLinear.Forward(x, weight, null);
        }
        if (mlm_bias is not null) logits = logits.Plus(mlm_bias);
        // The loss and softmax read fp32 logits, whatever dtype the products ran in.
        return logits.dtype == ScalarType.Float32 ? logits : logits.to(ScalarType.Float32);
    }
}
