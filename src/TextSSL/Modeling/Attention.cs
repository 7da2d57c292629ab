using TextSSL.Runtime;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TextSSL.Modeling;

/// <summary>Multi-head self-attention with one fused QKV projection and scaled_dot_product_attention.</summary>
internal sealed class Attention : nn.Module<Tensor, Tensor>
{
    private readonly MixedLinear c_attn;
    private readonly MixedLinear c_proj;
    private readonly nn.Module<Tensor, Tensor> resid_dropout;
    private readonly int _heads;
    private readonly int _dim;
    private readonly bool _causal;
    private readonly double _dropout;
    private readonly Rotary? _rotary;

    public Attention(TransformerConfig config, ComputePrecision precision, Rotary? rotary) : base("attn")
    {
        c_attn = new MixedLinear("c_attn", config.Dim, 3 * config.Dim, config.Bias, precision);
        c_proj = new MixedLinear("c_proj", config.Dim, config.Dim, config.Bias, precision);
        resid_dropout = nn.Dropout(config.Dropout);
        _heads = config.Heads;
        _dim = config.Dim;
        _causal = config.Kind == ModelKind.Decoder;
        _dropout = config.Dropout;
        _rotary = rotary;
        RegisterComponents();
    }

    /// <summary>The residual output projection, scaled at initialisation.</summary>
    public MixedLinear OutputProjection => c_proj;

    public override Tensor forward(Tensor x) => Forward(x, null, null, 0);

    /// <param name="x">Input (B, T, C).</param>
    /// <param name="keyMask">Encoder padding mask (B, T), true for real tokens; null for none.</param>
    /// <param name="cache">Decoder key/value cache; null to attend within <paramref name="x"/> only.</param>
    /// <param name="layer">This block's index in the cache.</param>
    /// <param name="attentionMask">
    /// Boolean mask broadcastable to (B, 1, T, T), true where query i may attend to key j (a block-diagonal mask keeps
    /// packed documents apart; a padding mask is the special case (B, 1, 1, T)). It replaces <paramref name="keyMask"/>
    /// and causality, so a decoder's mask must already be causal (<see cref="Transformer"/> combines them once).
    /// Null for none. Not used with a cache.
    /// </param>
    /// <param name="positions">Per-token positions (B, T) for rotary embeddings; null for 0..T-1 after the cache.</param>
    public Tensor Forward(Tensor x, Tensor? keyMask, KvCache? cache, int layer, Tensor? attentionMask = null, Tensor? positions = null)
    {
        using var scope = NewDisposeScope();
        var (b, t) = (x.shape[0], x.shape[1]);
        var offset = cache?.Length ?? 0;
        var qkv = c_attn.forward(x).view(b, t, 3, _heads, _dim / _heads).permute(2, 0, 3, 1, 4); // (3, B, H, T, D)
        var q = qkv[0];
        var k = qkv[1];
        var v = qkv[2];
        if (_rotary is not null)
        {
            q = positions is null ? _rotary.Apply(q, offset) : _rotary.Apply(q, positions);
            k = positions is null ? _rotary.Apply(k, offset) : _rotary.Apply(k, positions);
        }
        if (cache is not null) (k, v) = cache.Append(layer, k, v);

        Tensor? mask = null;
        var causal = false;
        if (attentionMask is not null)
            mask = attentionMask;                                 // (B, 1, T, T): packed documents see only themselves
        else if (keyMask is not null)
            mask = keyMask.view(b, 1, 1, -1);                     // (B, 1, 1, S): attend to real tokens only
        else if (_causal && t > 1)
        {
            if (offset == 0) causal = true;
            else
            {
                // Chunked prefill after a cached prefix: query i (absolute offset+i) sees keys 0..offset+i.
                var s = k.shape[2];
                mask = ones(t, s, ScalarType.Bool, device: x.device).tril(offset);
            }
        }
        var p = training ? _dropout : 0.0;
        var y = nn.functional.scaled_dot_product_attention(q, k, v, mask, p, causal); // (B, H, T, D)
        y = y.transpose(1, 2).reshape(b, t, _dim);
        return resid_dropout.forward(c_proj.forward(y)).MoveToOuterDisposeScope();
    }
}

/// <summary>The position-wise feed-forward network: Linear → GELU → Linear, 4× wide.</summary>
internal sealed class Mlp : nn.Module<Tensor, Tensor>
{
    private readonly MixedLinear c_fc;
    private readonly nn.Module<Tensor, Tensor> gelu;
    private readonly MixedLinear c_proj;
    private readonly nn.Module<Tensor, Tensor> dropout;

    public Mlp(TransformerConfig config, ComputePrecision precision) : base("mlp")
    {
        c_fc = new MixedLinear("c_fc", config.Dim, 4 * config.Dim, config.Bias, precision);
        gelu = nn.GELU();
        c_proj = new MixedLinear("c_proj", 4 * config.Dim, config.Dim, config.Bias, precision);
        dropout = nn.Dropout(config.Dropout);
        RegisterComponents();
    }

    public MixedLinear OutputProjection => c_proj;

    public override Tensor forward(Tensor x)
    {
        using var h = c_fc.forward(x);
        using var g = gelu.forward(h);
        using var o = c_proj.forward(g);
        return dropout.forward(o);
    }
}

/// <summary>A pre-LayerNorm transformer block: x + attn(ln(x)), then x + mlp(ln(x)).</summary>
internal sealed class Block : nn.Module<Tensor, Tensor>
{
    private readonly Fp32LayerNorm ln_1;
    private readonly Attention attn;
    private readonly Fp32LayerNorm ln_2;
    private readonly Mlp mlp;

    public Block(TransformerConfig config, ComputePrecision precision, Rotary? rotary) : base("block")
    {
        ln_1 = new Fp32LayerNorm("ln_1", config.Dim, config.Bias, precision);
        attn = new Attention(config, precision, rotary);
        ln_2 = new Fp32LayerNorm("ln_2", config.Dim, config.Bias, precision);
        mlp = new Mlp(config, precision);
        RegisterComponents();
    }

    public IEnumerable<MixedLinear> ResidualProjections => [attn.OutputProjection, mlp.OutputProjection];

    public override Tensor forward(Tensor x) => Forward(x, null, null, 0);

    public Tensor Forward(Tensor x, Tensor? keyMask, KvCache? cache, int layer, Tensor? attentionMask = null, Tensor? positions = null)
    {
        using var scope = NewDisposeScope();
        var h = x.Plus(attn.Forward(ln_1.forward(x), keyMask, cache, layer, attentionMask, positions));
        var o = h.Plus(mlp.forward(ln_2.forward(h)));
        return o.MoveToOuterDisposeScope();
    }
}
