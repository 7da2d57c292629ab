namespace TextSSL.Modeling;

/// <summary>Which way attention looks.</summary>
public enum ModelKind
{
    /// <summary>Causal, GPT-style: each position sees itself and the past; trained by next-token prediction.</summary>
    Decoder,
    /// <summary>Bidirectional, BERT/RoBERTa-style: each position sees the whole sequence; trained by masked-LM.</summary>
    Encoder,
}

/// <summary>How positions are encoded.</summary>
public enum PositionKind
{
    /// <summary>A learned embedding per position, added to the token embedding (GPT-2, BERT).</summary>
    Learned,
    /// <summary>Rotary embeddings applied to queries and keys inside attention (RoPE).</summary>
    Rotary,
}

/// <summary>
/// A transformer's shape, as plain data. Presets mirror well-known configurations; any field can be
/// overridden with <c>with</c>.
/// </summary>
/// <param name="Kind">Decoder (causal) or encoder (bidirectional).</param>
/// <param name="VocabSize">Number of token ids; set from the tokenizer.</param>
/// <param name="BlockSize">Maximum sequence length (positions).</param>
/// <param name="Layers">Number of transformer blocks.</param>
/// <param name="Heads">Attention heads per block; must divide <paramref name="Dim"/>.</param>
/// <param name="Dim">Embedding width.</param>
/// <param name="Dropout">Dropout on embeddings, attention and residual outputs.</param>
/// <param name="Bias">Whether Linear and LayerNorm layers have biases (GPT-2 has them; nanoGPT's CPU recipe does not).</param>
/// <param name="Positions">Learned or rotary positions.</param>
/// <param name="TiedEmbeddings">Whether the output head shares the input embedding matrix.</param>
public sealed record TransformerConfig(
    ModelKind Kind,
    int VocabSize,
    int BlockSize,
    int Layers,
    int Heads,
    int Dim,
    double Dropout = 0.0,
    bool Bias = false,
    PositionKind Positions = PositionKind.Learned,
    bool TiedEmbeddings = true)
{
    /// <summary>Width of one attention head.</summary>
    public int HeadDim => Dim / Heads;

    /// <summary>Names of the built-in presets, for help texts.</summary>
    public static IReadOnlyList<string> PresetNames { get; } = ["tiny", "char-small", "bpe-small", "char-medium", "gpt2-small"];

    /// <summary>
    /// A preset by name: <c>tiny</c> (tests: 2 layers, 2 heads, 32 dims, block 32), <c>char-small</c>
    /// (nanoGPT's CPU recipe: 4/4/128, block 64), <c>bpe-small</c> (the same 4/4/128 with context 128, for subword
    /// tokenizers on a CPU: with BPE-8k it has about 1.85 M parameters, half of them the embedding; 128 subword tokens cover
    /// about as much text as 500 characters), <c>char-medium</c> (nanoGPT's shakespeare_char: 6/6/384,
    /// block 256, dropout 0.2), <c>gpt2-small</c> (12/12/768, block 1024, vocab 50,304, biases).
    /// </summary>
    /// <param name="name">The preset name.</param>
    /// <param name="kind">Decoder or encoder.</param>
    /// <param name="vocabSize">The tokenizer's vocabulary size; null keeps the preset's (gpt2-small: 50,304).</param>
    /// <exception cref="TextSslException">The name is not a preset.</exception>
    public static TransformerConfig Preset(string name, ModelKind kind = ModelKind.Decoder, int? vocabSize = null)
    {
        var config = name switch
        {
            "tiny" => new TransformerConfig(kind, 256, 32, 2, 2, 32),
            "char-small" => new TransformerConfig(kind, 256, 64, 4, 4, 128),
            "bpe-small" => new TransformerConfig(kind, 8192, 128, 4, 4, 128),
            "char-medium" => new TransformerConfig(kind, 256, 256, 6, 6, 384, Dropout: 0.2),
            "gpt2-small" => new TransformerConfig(kind, 50304, 1024, 12, 12, 768, Bias: true),
            _ => throw new TextSslException($"unknown preset '{name}'. Choose one of: {string.Join(", ", PresetNames)}."),
        };
        return vocabSize is { } v ? config with { VocabSize = v } : config;
    }

    /// <summary>
    /// <paramref name="vocabSize"/> rounded up to a multiple of <paramref name="multiple"/> (nanoGPT pads GPT-2's 50,257
    /// ids to 50,304 = 786 × 64 so the embedding and head matrices suit tensor cores).
    /// </summary>
    /// <exception cref="OptionException"><paramref name="multiple"/> is below 1 or above 65,536 (named <c>PadVocabTo</c>).</exception>
    public static int PaddedVocab(int vocabSize, int multiple)
    {
        if (multiple < 1) throw new OptionException("PadVocabTo", $"PadVocabTo must be at least 1 (got {multiple}).");
        if (multiple > 65536) throw new OptionException("PadVocabTo", $"PadVocabTo must be at most 65536 (got {multiple}).");
        return (vocabSize + multiple - 1) / multiple * multiple;
    }

    /// <summary>
    /// Training FLOPs per token, forward and backward: nanoGPT's <c>estimate_mfu</c> (PaLM, appendix B),
    /// 6·N + 12·L·H·Q·T, with N the parameters that take part in matrix products and T the sequence length.
    /// </summary>
    /// <remarks>
    /// N leaves out lookup-only tables, whose rows are gathered, not multiplied: learned position embeddings always,
    /// and the token embedding when the head is untied (a tied embedding is also the head's matrix, so it counts).
    /// This is the one formula behind the MFU of <c>train</c> and of the benchmarks.
    /// </remarks>
    /// <param name="parameterCount">Every parameter of the model (as <c>Transformer.ParameterCount</c> reports).</param>
    /// <param name="sequenceLength">Tokens per training sequence.</param>
    public double FlopsPerToken(long parameterCount, int sequenceLength)
    {
        var lookupOnly = 0L;
        if (Positions == PositionKind.Learned) lookupOnly += (long)BlockSize * Dim;
        if (!TiedEmbeddings) lookupOnly += (long)VocabSize * Dim;
        return 6.0 * (parameterCount - lookupOnly) + 12.0 * Layers * Heads * HeadDim * sequenceLength;
    }

    /// <summary>Checks the shape for consistency.</summary>
    /// <exception cref="TextSslException">A field is out of range or heads do not divide the width.</exception>
    public TransformerConfig Validate()
    {
        if (VocabSize < 1) throw new TextSslException($"model vocabulary size must be positive (got {VocabSize}).");
        if (BlockSize < 1) throw new TextSslException($"block size must be positive (got {BlockSize}).");
        if (Layers < 1 || Heads < 1 || Dim < 1) throw new TextSslException($"layers, heads and dims must be positive (got {Layers}/{Heads}/{Dim}).");
        if (Dim % Heads != 0) throw new TextSslException($"the width {Dim} is not divisible by {Heads} heads.");
        if (Positions == PositionKind.Rotary && HeadDim % 2 != 0) throw new TextSslException($"rotary positions need an even head width (got {HeadDim}).");
        if (Dropout is < 0 or >= 1) throw new TextSslException($"dropout must be in [0, 1) (got {Dropout}).");
        return this;
    }
}
