using System.Text.Json.Nodes;
using TextSSL.Modeling;

namespace TextSSL.Interop;

/// <summary>Reads and writes GPT-2's <c>config.json</c> (the fields of transformers' <c>GPT2Config</c>).</summary>
internal static class Gpt2Config
{
    public const string FileName = "config.json";

    /// <summary>GPT-2's default LayerNorm epsilon, which TextSSL's LayerNorm uses too.</summary>
    public const double LayerNormEpsilon = 1e-5;

    /// <summary>The config of a GPT-2 that computes what <paramref name="c"/> computes.</summary>
    public static JsonObject Write(TransformerConfig c, int? bosId, int? eosId) => new()
    {
        ["architectures"] = new JsonArray("GPT2LMHeadModel"),
        ["model_type"] = "gpt2",
        ["vocab_size"] = c.VocabSize,
        ["n_positions"] = c.BlockSize,
        ["n_ctx"] = c.BlockSize,
        ["n_embd"] = c.Dim,
        ["n_layer"] = c.Layers,
        ["n_head"] = c.Heads,
        ["n_inner"] = null,
        // TextSSL's MLP uses the exact (erf) GELU; "gelu_new" would be the tanh approximation.
        ["activation_function"] = "gelu",
        ["resid_pdrop"] = c.Dropout,
        ["embd_pdrop"] = c.Dropout,
        ["attn_pdrop"] = c.Dropout,
        ["layer_norm_epsilon"] = LayerNormEpsilon,
        ["initializer_range"] = 0.02,
        ["scale_attn_weights"] = true,
        ["scale_attn_by_inverse_layer_idx"] = false,
        ["reorder_and_upcast_attn"] = false,
        ["use_cache"] = true,
        ["tie_word_embeddings"] = c.TiedEmbeddings,
        ["bos_token_id"] = bosId,
        ["eos_token_id"] = eosId,
        ["torch_dtype"] = "float32",
    };

    /// <summary>
    /// Reads a GPT-2-family <c>config.json</c> (<c>model_type</c> gpt2, checked by the caller) into a TextSSL decoder shape.
    /// </summary>
    /// <param name="o">The config file.</param>
    /// <param name="allowApproximateGelu">Accept <c>gelu_new</c> (tanh approximation) and run it as exact GELU.</param>
    /// <param name="notes">Receives what was approximated.</param>
    /// <exception cref="TextSslException">An option TextSSL cannot compute; the message names the file and the field.</exception>
    public static TransformerConfig Read(ConfigJson o, bool allowApproximateGelu, List<string> notes)
    {
        // Defaults are GPT2Config's.
        var dim = o.Int("n_embd", 768);
        var layers = o.Int("n_layer", 12);
        var heads = o.Int("n_head", 12);
        var positions = o.Int("n_positions", 1024);
        var vocab = o.Int("vocab_size", 50257);
        var inner = o.Int("n_inner", 4 * dim);
        if (inner != 4 * dim) throw new TextSslException($"{o.Field("n_inner")} is {inner}; TextSSL's MLP is 4 × n_embd = {4 * dim} wide.");
        o.CheckGelu("activation_function", "gelu_new", allowApproximateGelu, notes);
        var eps = o.Num("layer_norm_epsilon", LayerNormEpsilon);
        if (Math.Abs(eps - LayerNormEpsilon) > 1e-12) throw new TextSslException($"{o.Field("layer_norm_epsilon")} is {eps}; TextSSL's LayerNorm uses {LayerNormEpsilon}.");
        if (!o.Flag("scale_attn_weights", true)) throw new TextSslException($"{o.Field("scale_attn_weights")} is false; TextSSL always scales attention by 1/√head-width.");
        if (o.Flag("scale_attn_by_inverse_layer_idx", false)) throw new TextSslException($"{o.Field("scale_attn_by_inverse_layer_idx")} is true; TextSSL has no per-layer attention scaling.");
        if (o.Flag("add_cross_attention", false)) throw new TextSslException($"{o.Field("add_cross_attention")} is true; TextSSL's decoder has no cross-attention.");
        var dropout = o.Num("resid_pdrop", 0.1);
        if (dropout is < 0 or >= 1) throw new TextSslException($"{o.Field("resid_pdrop")} must be in [0, 1) (got {dropout}).");
        var tied = o.Flag("tie_word_embeddings", true);
        if (dim % heads != 0) throw new TextSslException($"{o.Field("n_embd")} {dim} is not divisible by n_head {heads}.");
        return new TransformerConfig(ModelKind.Decoder, vocab, positions, layers, heads, dim, dropout, Bias: true, PositionKind.Learned, tied).Validate();
    }
}
