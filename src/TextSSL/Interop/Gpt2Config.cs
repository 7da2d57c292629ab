using System.Text.Json;
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
    /// Reads <c>config.json</c> of a GPT-2-family directory into a TextSSL decoder shape.
    /// </summary>
    /// <param name="path">The config file.</param>
    /// <param name="allowApproximateGelu">Accept <c>gelu_new</c> (tanh approximation) and run it as exact GELU.</param>
    /// <param name="notes">Receives what was approximated.</param>
    /// <exception cref="TextSslException">Missing file, malformed JSON, another architecture, or an option TextSSL cannot compute; the message names the file and the field.</exception>
    public static TransformerConfig Read(string path, bool allowApproximateGelu, List<string> notes)
    {
        if (!File.Exists(path)) throw new TextSslException($"{path} is missing: a Hugging Face model directory needs config.json.");
        JsonObject o;
        try { o = JsonNode.Parse(File.ReadAllText(path)) as JsonObject ?? throw new TextSslException($"{path} is not a JSON object."); }
        catch (JsonException ex) { throw new TextSslException($"{path} is not valid JSON: {ex.Message}", ex); }

        string Field(string name) => $"{path}: \"{name}\"";
        var modelType = o["model_type"]?.GetValueKind() == JsonValueKind.String ? o["model_type"]!.GetValue<string>() : null;
        if (modelType != "gpt2")
        {
            var architectures = o["architectures"] is JsonArray a ? string.Join(", ", a.Select(x => x?.ToString())) : "none";
            throw new TextSslException($"{Field("model_type")} is '{modelType ?? "(missing)"}' (architectures: {architectures}); TextSSL imports GPT-2 (model_type gpt2) only.");
        }
        int Int(string name, int? fallback = null)
        {
            var n = o[name];
            if (n is null || n.GetValueKind() == JsonValueKind.Null)
                return fallback ?? throw new TextSslException($"{Field(name)} is missing.");
            if (n.GetValueKind() != JsonValueKind.Number || !int.TryParse(n.ToJsonString(), out var v) || v < 1)
                throw new TextSslException($"{Field(name)} must be a positive integer (got {n.ToJsonString()}).");
            return v;
        }
        double Num(string name, double fallback)
        {
            var n = o[name];
            if (n is null || n.GetValueKind() == JsonValueKind.Null) return fallback;
            if (n.GetValueKind() != JsonValueKind.Number) throw new TextSslException($"{Field(name)} must be a number (got {n.ToJsonString()}).");
            return n.GetValue<double>();
        }
        bool Flag(string name, bool fallback)
        {
            var n = o[name];
            if (n is null || n.GetValueKind() == JsonValueKind.Null) return fallback;
            return n.GetValueKind() switch
            {
                JsonValueKind.True => true,
                JsonValueKind.False => false,
                _ => throw new TextSslException($"{Field(name)} must be true or false (got {n.ToJsonString()})."),
            };
        }

        // Defaults are GPT2Config's.
        var dim = Int("n_embd", 768);
        var layers = Int("n_layer", 12);
        var heads = Int("n_head", 12);
        var positions = Int("n_positions", 1024);
        var vocab = Int("vocab_size", 50257);
        var inner = Int("n_inner", 4 * dim);
        if (inner != 4 * dim) throw new TextSslException($"{Field("n_inner")} is {inner}; TextSSL's MLP is 4 × n_embd = {4 * dim} wide.");
        var activation = o["activation_function"]?.ToString() ?? "gelu_new";
        if (activation == "gelu_new" || activation == "gelu_pytorch_tanh")
        {
            if (!allowApproximateGelu)
                throw new OptionException(nameof(HuggingFaceImportOptions.AllowApproximateGelu),
                    $"{Field("activation_function")} is '{activation}' (GELU's tanh approximation); TextSSL's MLP computes the exact GELU, so logits would differ slightly. Set AllowApproximateGelu to import it anyway.");
            notes.Add($"activation_function '{activation}' (tanh approximation) runs as exact GELU in TextSSL: logits differ slightly from the original.");
        }
        else if (activation != "gelu")
            throw new TextSslException($"{Field("activation_function")} is '{activation}'; TextSSL's MLP computes GELU ('gelu', or 'gelu_new' when approximations are allowed).");
        var eps = Num("layer_norm_epsilon", LayerNormEpsilon);
        if (Math.Abs(eps - LayerNormEpsilon) > 1e-12) throw new TextSslException($"{Field("layer_norm_epsilon")} is {eps}; TextSSL's LayerNorm uses {LayerNormEpsilon}.");
        if (!Flag("scale_attn_weights", true)) throw new TextSslException($"{Field("scale_attn_weights")} is false; TextSSL always scales attention by 1/√head-width.");
        if (Flag("scale_attn_by_inverse_layer_idx", false)) throw new TextSslException($"{Field("scale_attn_by_inverse_layer_idx")} is true; TextSSL has no per-layer attention scaling.");
        if (Flag("add_cross_attention", false)) throw new TextSslException($"{Field("add_cross_attention")} is true; TextSSL's decoder has no cross-attention.");
        var dropout = Num("resid_pdrop", 0.1);
        if (dropout is < 0 or >= 1) throw new TextSslException($"{Field("resid_pdrop")} must be in [0, 1) (got {dropout}).");
        var tied = Flag("tie_word_embeddings", true);
        if (dim % heads != 0) throw new TextSslException($"{Field("n_embd")} {dim} is not divisible by n_head {heads}.");
        return new TransformerConfig(ModelKind.Decoder, vocab, positions, layers, heads, dim, dropout, Bias: true, PositionKind.Learned, tied).Validate();
    }
}
