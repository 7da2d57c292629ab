using TextSSL.Modeling;

namespace TextSSL.Interop;

/// <summary>The shape of an XLM-RoBERTa-XL read from its <c>config.json</c>, with what the weights mapping needs beyond <see cref="TransformerConfig"/>.</summary>
/// <param name="Model">The TextSSL encoder that computes the same function.</param>
/// <param name="PadId">RoBERTa numbers positions from <c>pad_token_id + 1</c>.</param>
/// <param name="TypeVocabSize">Rows of the token-type table (TextSSL keeps row 0 only).</param>
internal sealed record XlmRobertaXlShape(TransformerConfig Model, int PadId, int TypeVocabSize);

/// <summary>
/// Reads the <c>config.json</c> of an <c>XLMRobertaXLForMaskedLM</c> (model_type <c>xlm-roberta-xl</c>, the encoder family
/// TextSSL exports) and names the encoder families TextSSL refuses, with the reason.
/// </summary>
internal static class XlmRobertaXlConfig
{
    /// <summary>The model_type this reads.</summary>
    public const string ModelType = "xlm-roberta-xl";

    /// <summary>
    /// Why a known encoder <c>model_type</c> is not TextSSL's encoder, or null when the type is not one of them.
    /// </summary>
    public static string? Refusal(string modelType) => modelType switch
    {
        "bert" or "roberta" or "xlm-roberta" or "camembert" or "distilbert" or "electra" or "ernie" =>
            "a post-LayerNorm encoder (LayerNorm after each residual and on the embeddings); TextSSL's encoder is pre-LayerNorm with a final LayerNorm, " +
            "so the weights would compute another function. TextSSL imports the pre-LayerNorm xlm-roberta-xl (XLMRobertaXLForMaskedLM)",
        "roberta-prelayernorm" =>
            "pre-LayerNorm, but it normalises the embeddings (embeddings.LayerNorm), which TextSSL's encoder does not; " +
            "TextSSL imports xlm-roberta-xl (XLMRobertaXLForMaskedLM), which matches exactly",
        _ => null,
    };

    /// <summary>Reads an xlm-roberta-xl <c>config.json</c> (defaults are transformers' <c>XLMRobertaXLConfig</c>'s).</summary>
    /// <param name="o">The config file (its model_type already checked).</param>
    /// <param name="allowApproximateGelu">Accept a tanh-approximated <c>hidden_act</c> and run it as exact GELU.</param>
    /// <param name="notes">Receives what was approximated.</param>
    /// <exception cref="TextSslException">A field TextSSL's encoder cannot represent; the message names the file and the field.</exception>
    public static XlmRobertaXlShape Read(ConfigJson o, bool allowApproximateGelu, List<string> notes)
    {
        var dim = o.Int("hidden_size", 2560);
        var layers = o.Int("num_hidden_layers", 36);
        var heads = o.Int("num_attention_heads", 32);
        var vocab = o.Int("vocab_size", 250880);
        var inner = o.Int("intermediate_size", 10240);
        if (inner != 4 * dim) throw new TextSslException($"{o.Field("intermediate_size")} is {inner}; TextSSL's MLP is 4 × hidden_size = {4 * dim} wide.");
        if (dim % heads != 0) throw new TextSslException($"{o.Field("hidden_size")} {dim} is not divisible by num_attention_heads {heads}.");
        o.CheckGelu("hidden_act", "gelu", allowApproximateGelu, notes);
        var eps = o.Num("layer_norm_eps", Gpt2Config.LayerNormEpsilon);
        if (Math.Abs(eps - Gpt2Config.LayerNormEpsilon) > 1e-12)
            throw new TextSslException($"{o.Field("layer_norm_eps")} is {eps}; TextSSL's LayerNorm uses {Gpt2Config.LayerNormEpsilon}.");
        var positionType = o.Str("position_embedding_type") ?? "absolute";
        if (positionType != "absolute")
            throw new TextSslException($"{o.Field("position_embedding_type")} is '{positionType}'; TextSSL's encoder has learned absolute positions only (relative position embeddings are not representable).");
        if (o.Flag("is_decoder", false)) throw new TextSslException($"{o.Field("is_decoder")} is true; TextSSL imports this family as a bidirectional encoder only.");
        if (o.Flag("add_cross_attention", false)) throw new TextSslException($"{o.Field("add_cross_attention")} is true; TextSSL's encoder has no cross-attention.");
        var pad = o.Int("pad_token_id", 1, min: 0);
        if (pad >= vocab) throw new TextSslException($"{o.Field("pad_token_id")} {pad} is not below vocab_size {vocab}.");
        var maxPositions = o.Int("max_position_embeddings", 514);
        if (maxPositions <= pad + 1)
            throw new TextSslException($"{o.Field("max_position_embeddings")} is {maxPositions}; positions start at pad_token_id + 1 = {pad + 1}, so it must be larger.");
        var typeVocab = o.Int("type_vocab_size", 1);
        var dropout = o.Num("hidden_dropout_prob", 0.1);
        if (dropout is < 0 or >= 1) throw new TextSslException($"{o.Field("hidden_dropout_prob")} must be in [0, 1) (got {dropout}).");
        var tied = o.Flag("tie_word_embeddings", true);
        var model = new TransformerConfig(ModelKind.Encoder, vocab, maxPositions - pad - 1, layers, heads, dim, dropout, Bias: true, PositionKind.Learned, tied).Validate();
        return new XlmRobertaXlShape(model, pad, typeVocab);
    }
}
