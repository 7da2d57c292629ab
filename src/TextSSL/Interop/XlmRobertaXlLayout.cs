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

    /// <summary>
    /// Copies XLM-RoBERTa-XL tensors into <paramref name="model"/> (the inverse of <see cref="Export"/>): query/key/value are
    /// concatenated into the fused projection, positions are read from row <c>pad_token_id + 1</c> on, and token type 0
    /// (what transformers adds when no token_type_ids are given) is folded into every position.
    /// </summary>
    /// <param name="model">A freshly built encoder whose config matches the file's.</param>
    /// <param name="shape">The config.json as read.</param>
    /// <param name="weights">Name → fp32 tensor, as read from the directory.</param>
    /// <param name="source">The directory, for messages.</param>
    /// <param name="notes">Receives tensors that were present but not used.</param>
    /// <exception cref="TextSslException">A tensor is missing, has the wrong shape, or is not part of an XLMRobertaXLForMaskedLM.</exception>
    public static void Import(Transformer model, XlmRobertaXlShape shape, IReadOnlyDictionary<string, Tensor> weights, string source, List<string> notes)
    {
        var c = model.Config;
        long d = c.Dim;
        var parameters = model.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        // A state dict of XLMRobertaXLModel (no MLM head) has no "roberta." prefix; the MLM head is required either way.
        var prefix = weights.Keys.Any(k => k.StartsWith(R, StringComparison.Ordinal)) ? R : "";
        var used = new HashSet<string>();
        Tensor Take(string name, params long[] expected)
        {
            if (!weights.TryGetValue(name, out var t))
                throw new TextSslException($"'{source}': the weights lack '{name}', which an XLMRobertaXLForMaskedLM with this config.json has.");
            if (!t.shape.SequenceEqual(expected))
                throw new TextSslException($"'{source}': tensor '{name}' has shape [{string.Join(", ", t.shape)}]; config.json implies [{string.Join(", ", expected)}].");
            used.Add(name);
            return t;
        }
        void Set(string textSsl, Tensor value) => parameters[textSsl].copy_(value);

        using var _ = no_grad();
        // embeddings: a tied file may store the shared matrix under either name
        var wordName = prefix + "embeddings.word_embeddings.weight";
        if (c.TiedEmbeddings && !weights.ContainsKey(wordName) && weights.ContainsKey("lm_head.decoder.weight")) wordName = "lm_head.decoder.weight";
        Set("wte.weight", Take(wordName, c.VocabSize, d));
        var positions = Take(prefix + "embeddings.position_embeddings.weight", c.BlockSize + shape.PadId + 1, d);
        var types = Take(prefix + "embeddings.token_type_embeddings.weight", shape.TypeVocabSize, d);
        if (shape.TypeVocabSize > 1)
        {
            using var rest = types.narrow(0, 1, shape.TypeVocabSize - 1);
            if (rest.count_nonzero().item<long>() > 0)
                throw new TextSslException($"'{source}': config.json \"type_vocab_size\" is {shape.TypeVocabSize} and token types 1.. are trained (non-zero); TextSSL's encoder has no segment ids, so only type 0 is representable.");
        }
        using (var folded = positions.narrow(0, shape.PadId + 1, c.BlockSize) + types.narrow(0, 0, 1)) Set("wpe.weight", folded);

        for (var i = 0; i < c.Layers; i++)
        {
            var h = $"h.{i}.";
            var l = $"{prefix}encoder.layer.{i}.";
            Set(h + "ln_1.weight", Take(l + "attention.self_attn_layer_norm.weight", d));
            Set(h + "ln_1.bias", Take(l + "attention.self_attn_layer_norm.bias", d));
            string[] parts = ["query", "key", "value"];
            using (var qkv = cat(parts.Select(p => Take(l + $"attention.self.{p}.weight", d, d)).ToArray(), 0)) Set(h + "attn.c_attn.weight", qkv);
            using (var qkvBias = cat(parts.Select(p => Take(l + $"attention.self.{p}.bias", d)).ToArray(), 0)) Set(h + "attn.c_attn.bias", qkvBias);
            Set(h + "attn.c_proj.weight", Take(l + "attention.output.dense.weight", d, d));
            Set(h + "attn.c_proj.bias", Take(l + "attention.output.dense.bias", d));
            Set(h + "ln_2.weight", Take(l + "LayerNorm.weight", d));
            Set(h + "ln_2.bias", Take(l + "LayerNorm.bias", d));
            Set(h + "mlp.c_fc.weight", Take(l + "intermediate.dense.weight", 4 * d, d));
            Set(h + "mlp.c_fc.bias", Take(l + "intermediate.dense.bias", 4 * d));
            Set(h + "mlp.c_proj.weight", Take(l + "output.dense.weight", d, 4 * d));
            Set(h + "mlp.c_proj.bias", Take(l + "output.dense.bias", d));
        }
        Set("ln_f.weight", Take(prefix + "encoder.LayerNorm.weight", d));
        Set("ln_f.bias", Take(prefix + "encoder.LayerNorm.bias", d));
        Set("mlm_dense.weight", Take("lm_head.dense.weight", d, d));
        Set("mlm_dense.bias", Take("lm_head.dense.bias", d));
        Set("mlm_ln.weight", Take("lm_head.layer_norm.weight", d));
        Set("mlm_ln.bias", Take("lm_head.layer_norm.bias", d));
        Set("mlm_bias", Take("lm_head.bias", c.VocabSize));
        if (!c.TiedEmbeddings) Set("lm_head.weight", Take("lm_head.decoder.weight", c.VocabSize, d));

        // Rebuilt or unused: position/type id buffers, the decoder's copy of lm_head.bias, a tied decoder, the pooler.
        bool Ignorable(string k) => k.EndsWith("embeddings.position_ids", StringComparison.Ordinal) || k.EndsWith("embeddings.token_type_ids", StringComparison.Ordinal)
            || k == "lm_head.decoder.bias" || (c.TiedEmbeddings && k == "lm_head.decoder.weight") || k.StartsWith(prefix + "pooler.", StringComparison.Ordinal);
        var extra = weights.Keys.Where(k => !used.Contains(k) && !Ignorable(k)).Order(StringComparer.Ordinal).FirstOrDefault();
        if (extra is not null)
            throw new TextSslException($"'{source}': tensor '{extra}' is not part of an XLMRobertaXLForMaskedLM with this config.json (a different architecture or an option TextSSL lacks).");
        if (weights.Keys.Any(k => k.StartsWith(prefix + "pooler.", StringComparison.Ordinal)))
            notes.Add("the pooler (pooler.dense) was not imported: TextSSL's encoder pools its own way (see Pooling).");
    }
}
