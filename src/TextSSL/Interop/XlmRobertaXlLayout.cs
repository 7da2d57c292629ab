using System.Text.Json.Nodes;
using TextSSL.Modeling;
using static TorchSharp.torch;

namespace TextSSL.Interop;

/// <summary>
/// TextSSL's encoder as Hugging Face's <c>XLMRobertaXLForMaskedLM</c>, the architecture that computes the same function:
/// no LayerNorm on the embeddings, pre-LayerNorm blocks (<c>attention.self_attn_layer_norm</c>, then the block's
/// <c>LayerNorm</c> before the MLP), a final <c>encoder.LayerNorm</c>, and the MLM head dense → GELU → LayerNorm → decoder + bias.
/// (RoBERTa-PreLayerNorm is not exact: it normalises the embeddings.)
/// </summary>
/// <remarks>
/// Differences bridged here: the fused QKV projection becomes separate <c>query</c>/<c>key</c>/<c>value</c> Linears (the
/// same [out, in] layout, no transposition); RoBERTa numbers positions from <c>pad_token_id + 1</c>, so TextSSL's position
/// table is written at that offset (the rows before it are zeros and never read for real tokens); the single token type
/// embedding is zero. Names follow the long-standing <c>XLMRobertaXL</c> checkpoints (<c>roberta.encoder.layer.N.…</c>).
/// </remarks>
internal static class XlmRobertaXlLayout
{
    private const string R = "roberta.";

    /// <summary>Why this model cannot be written as XLM-RoBERTa-XL, or null.</summary>
    public static string? Blocker(int? padId) => padId is null
        ? "the tokenizer has no padding token: XLM-RoBERTa-XL numbers positions from pad_token_id + 1, so the export needs one (train the tokenizer with the Pad role)."
        : null;

    public static JsonObject Config(TransformerConfig c, int padId, int? bosId, int? eosId, int? maskId) => new()
    {
        ["architectures"] = new JsonArray("XLMRobertaXLForMaskedLM"),
        ["model_type"] = "xlm-roberta-xl",
        ["vocab_size"] = c.VocabSize,
        ["hidden_size"] = c.Dim,
        ["num_hidden_layers"] = c.Layers,
        ["num_attention_heads"] = c.Heads,
        ["intermediate_size"] = 4 * c.Dim,
        ["hidden_act"] = "gelu",
        ["hidden_dropout_prob"] = c.Dropout,
        ["attention_probs_dropout_prob"] = c.Dropout,
        ["max_position_embeddings"] = c.BlockSize + padId + 1,
        ["type_vocab_size"] = 1,
        ["layer_norm_eps"] = Gpt2Config.LayerNormEpsilon,
        ["initializer_range"] = 0.02,
        ["position_embedding_type"] = "absolute",
        ["pad_token_id"] = padId,
        ["bos_token_id"] = bosId,
        ["eos_token_id"] = eosId,
        ["mask_token_id"] = maskId,
        ["is_decoder"] = false,
        ["tie_word_embeddings"] = c.TiedEmbeddings,
        ["torch_dtype"] = "float32",
    };

    /// <summary>The encoder's parameters as XLM-RoBERTa-XL tensors (fp32 CPU copies).</summary>
    public static List<(string Name, Tensor Tensor)> Export(Transformer model, int padId)
    {
        var c = model.Config;
        var p = model.named_parameters().ToDictionary(x => x.name, x => (Tensor)x.parameter);
        var result = new List<(string, Tensor)>();
        using var _ = no_grad();
        Tensor Copy(string name) => p[name].detach().to(ScalarType.Float32).cpu().clone();
        Tensor BiasOf(string name, long size) => p.TryGetValue(name, out var b) ? b.detach().to(ScalarType.Float32).cpu().clone() : zeros(size, ScalarType.Float32);
        long d = c.Dim;

        result.Add((R + "embeddings.word_embeddings.weight", Copy("wte.weight")));
        var positions = zeros([c.BlockSize + padId + 1, d], ScalarType.Float32);
        positions.narrow(0, padId + 1, c.BlockSize).copy_(p["wpe.weight"].detach().cpu());
        result.Add((R + "embeddings.position_embeddings.weight", positions));
        result.Add((R + "embeddings.token_type_embeddings.weight", zeros([1, d], ScalarType.Float32)));
        for (var i = 0; i < c.Layers; i++)
        {
            var h = $"h.{i}.";
            var l = $"{R}encoder.layer.{i}.";
            result.Add((l + "attention.self_attn_layer_norm.weight", Copy(h + "ln_1.weight")));
            result.Add((l + "attention.self_attn_layer_norm.bias", BiasOf(h + "ln_1.bias", d)));
            using var qkv = p[h + "attn.c_attn.weight"].detach().cpu();
            using var qkvBias = BiasOf(h + "attn.c_attn.bias", 3 * d);
            var parts = new[] { "query", "key", "value" };
            for (var j = 0; j < 3; j++)
            {
                result.Add((l + $"attention.self.{parts[j]}.weight", qkv.narrow(0, j * d, d).clone()));
                result.Add((l + $"attention.self.{parts[j]}.bias", qkvBias.narrow(0, j * d, d).clone()));
            }
            result.Add((l + "attention.output.dense.weight", Copy(h + "attn.c_proj.weight")));
            result.Add((l + "attention.output.dense.bias", BiasOf(h + "attn.c_proj.bias", d)));
            result.Add((l + "LayerNorm.weight", Copy(h + "ln_2.weight")));
            result.Add((l + "LayerNorm.bias", BiasOf(h + "ln_2.bias", d)));
            result.Add((l + "intermediate.dense.weight", Copy(h + "mlp.c_fc.weight")));
            result.Add((l + "intermediate.dense.bias", BiasOf(h + "mlp.c_fc.bias", 4 * d)));
            result.Add((l + "output.dense.weight", Copy(h + "mlp.c_proj.weight")));
            result.Add((l + "output.dense.bias", BiasOf(h + "mlp.c_proj.bias", d)));
        }
        result.Add((R + "encoder.LayerNorm.weight", Copy("ln_f.weight")));
        result.Add((R + "encoder.LayerNorm.bias", BiasOf("ln_f.bias", d)));
        result.Add(("lm_head.dense.weight", Copy("mlm_dense.weight")));
        result.Add(("lm_head.dense.bias", Copy("mlm_dense.bias")));
        result.Add(("lm_head.layer_norm.weight", Copy("mlm_ln.weight")));
        result.Add(("lm_head.layer_norm.bias", Copy("mlm_ln.bias")));
        result.Add(("lm_head.bias", Copy("mlm_bias")));
        if (!c.TiedEmbeddings) result.Add(("lm_head.decoder.weight", Copy("lm_head.weight")));
        return result;
    }
}
