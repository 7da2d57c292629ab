using System.Text.Json.Serialization;
using TextSSL.Modeling;
using TextSSL.Pretext;
using TextSSL.Tokenization;
using TextSSL.Training.Optimization;

namespace TextSSL.Training;

/// <summary>
/// Everything a pretraining run needs, as plain data. Defaults are nanoGPT's CPU recipe for a character-level
/// model (<c>char-small</c>, batch 12, lr 1e-3 cosine to 1e-4, warmup 100, betas 0.9/0.99, weight decay 0.1, clip 1).
/// </summary>
public sealed record PretrainingOptions
{
    /// <summary>Pretext task: <c>clm</c> (next-token, decoder) or <c>mlm</c> (masked-LM, encoder).</summary>
    public string Task { get; init; } = "clm";

    /// <summary>A text file, a directory of <c>.txt</c> files, or a shard directory. Ignored when <see cref="Dataset"/> is set.</summary>
    public string? Data { get; init; }

    /// <summary>Already-opened data (library use and tests); takes precedence over <see cref="Data"/>.</summary>
    [JsonIgnore] public TrainingData? Dataset { get; init; }

    /// <summary><c>char</c> (train a character tokenizer on the data), a tokenizer directory, or a tokenizer name.</summary>
    public string Tokenizer { get; init; } = "char";

    /// <summary>Model preset (<see cref="TransformerConfig.PresetNames"/>).</summary>
    public string Preset { get; init; } = "char-small";

    /// <summary>Model positions; null keeps the preset's. Must be at least <see cref="BlockSize"/>.</summary>
    public int? Context { get; init; }

    /// <summary>Learned or rotary positions; null keeps the preset's.</summary>
    public PositionKind? Positions { get; init; }

    /// <summary>Dropout; null keeps the preset's.</summary>
    public double? Dropout { get; init; }

    /// <summary>
    /// Round the model's vocabulary up to a multiple of this (default 1: exactly the tokenizer's). nanoGPT pads GPT-2's
    /// 50,257 ids to 50,304 = 786 × 64, which keeps the embedding and head matrices aligned for tensor cores. The extra
    /// ids are never targets, and generation never samples them.
    /// </summary>
    public int PadVocabTo { get; init; } = 1;

    /// <summary>Give the output head its own matrix instead of sharing the input embedding (default false: tied).</summary>
    public bool UntiedHead { get; init; }

    /// <summary>Optimizer steps in total.</summary>
    public int Steps { get; init; } = 2000;

    /// <summary>Sequences per micro-batch.</summary>
    public int BatchSize { get; init; } = 12;

    /// <summary>Positions per training sequence; null uses the model's context.</summary>
    public int? BlockSize { get; init; }

    /// <summary>Micro-batches per optimizer step (gradient accumulation).</summary>
    public int GradAccum { get; init; } = 1;

    /// <summary>Peak learning rate, reached at the end of warmup.</summary>
    public double LearningRate { get; init; } = 1e-3;

    /// <summary>Learning rate at the end of the cosine decay.</summary>
    public double MinLearningRate { get; init; } = 1e-4;

    /// <summary>Linear warmup steps.</summary>
    public int Warmup { get; init; } = 100;

    /// <summary>Step at which the cosine reaches <see cref="MinLearningRate"/>; null means <see cref="Steps"/>.</summary>
    public int? DecaySteps { get; init; }

    /// <summary>Decoupled weight decay, applied to parameters with two or more dimensions only.</summary>
    public double WeightDecay { get; init; } = 0.1;

    /// <summary>AdamW first-moment decay.</summary>
    public double Beta1 { get; init; } = 0.9;

    /// <summary>AdamW second-moment decay.</summary>
    public double Beta2 { get; init; } = 0.99;

    /// <summary>Maximum global gradient norm; 0 disables clipping.</summary>
    public double Clip { get; init; } = 1.0;

    /// <summary>Optimizer implementation (<see cref="OptimizerFactory.Names"/>).</summary>
    public string Optimizer { get; init; } = OptimizerFactory.Default;

    /// <summary>Evaluate (and write checkpoints) every this many steps, and at the end.</summary>
    public int EvalEvery { get; init; } = 250;

    /// <summary>At most this many validation batches per evaluation during training; null evaluates the whole split.</summary>
    public int? EvalBatches { get; init; } = 200;

    /// <summary>Write a metrics row and a console line every this many steps.</summary>
    public int LogEvery { get; init; } = 10;

    /// <summary>Seed of initialisation, dropout and data sampling.</summary>
    public long Seed { get; init; } = 1337;

    /// <summary><c>auto</c>, <c>cpu</c>, <c>cuda</c> or <c>cuda:N</c>.</summary>
    public string Device { get; init; } = "auto";

    /// <summary><c>auto</c> (bf16 on CUDA, fp32 on CPU), <c>fp32</c> or <c>bf16</c> (bf16 products, fp32 master weights).</summary>
    public string Dtype { get; init; } = "auto";

    /// <summary>libtorch CPU threads; null leaves libtorch's default.</summary>
    public int? Threads { get; init; }

    /// <summary>Output directory: <c>last/</c>, <c>best/</c> and <c>metrics.csv</c>.</summary>
    public required string OutputDirectory { get; init; }

    /// <summary>Continue from <c>OutputDirectory/last</c>.</summary>
    public bool Resume { get; init; }

    /// <summary>Fraction of plain-text data, from the end, held out for validation.</summary>
    public double ValidationFraction { get; init; } = 0.1;

    /// <summary>How <c>clm</c> windows are drawn.</summary>
    public WindowOrder Sampling { get; init; } = WindowOrder.Random;

    /// <summary>Masking settings of <c>mlm</c>.</summary>
    public MaskingOptions Masking { get; init; } = new();

    /// <summary>Peak device throughput for the MFU estimate, in TFLOPS; null uses <see cref="Flops.PeakFlops"/>'s guess.</summary>
    public double? PeakTflops { get; init; }

    /// <summary>Stop after this step with a checkpoint, as if interrupted (the schedule still spans <see cref="Steps"/>).</summary>
    public int? StopAfter { get; init; }

    /// <summary>A task of your own in place of <see cref="Task"/>; it receives the data's tokenizer.</summary>
    [JsonIgnore] public Func<TextTokenizer, IPretextTask>? CustomTask { get; init; }

    /// <summary>
    /// The model these options build for a tokenizer of <paramref name="tokenizerVocabSize"/> ids: the preset with the
    /// vocabulary padded, and context, dropout, positions and head tying as set here.
    /// </summary>
    /// <exception cref="TextSslException">An unknown preset, a bad padding, or an inconsistent shape.</exception>
    public TransformerConfig ModelConfig(ModelKind kind, int tokenizerVocabSize)
    {
        var preset = TransformerConfig.Preset(Preset, kind, TransformerConfig.PaddedVocab(tokenizerVocabSize, PadVocabTo));
        return (preset with
        {
            BlockSize = Context ?? preset.BlockSize,
            Dropout = Dropout ?? preset.Dropout,
            Positions = Positions ?? preset.Positions,
            TiedEmbeddings = preset.TiedEmbeddings && !UntiedHead,
        }).Validate();
    }

    /// <summary>Checks ranges and combinations.</summary>
    /// <exception cref="TextSslException">A value is out of range.</exception>
    public PretrainingOptions Validate()
    {
        if (Data is null && Dataset is null) throw new TextSslException("no data: set --data to a text file, a directory of .txt files, or a shard directory.");
        if (Steps < 1) throw new TextSslException($"--steps must be at least 1 (got {Steps}).");
        if (BatchSize < 1) throw new TextSslException($"--batch-size must be at least 1 (got {BatchSize}).");
        if (BlockSize is < 1) throw new TextSslException($"--block-size must be at least 1 (got {BlockSize}).");
        if (GradAccum < 1) throw new TextSslException($"--grad-accum must be at least 1 (got {GradAccum}).");
        if (LearningRate <= 0 || MinLearningRate < 0 || MinLearningRate > LearningRate)
            throw new TextSslException($"learning rates must satisfy 0 ≤ --min-lr ≤ --lr and --lr > 0 (got --lr {LearningRate}, --min-lr {MinLearningRate}).");
        if (Warmup < 0) throw new TextSslException($"--warmup must be non-negative (got {Warmup}).");
        if (WeightDecay < 0) throw new TextSslException($"--weight-decay must be non-negative (got {WeightDecay}).");
        if (Beta1 is < 0 or >= 1 || Beta2 is < 0 or >= 1) throw new TextSslException($"betas must be in [0, 1) (got {Beta1}, {Beta2}).");
        if (Clip < 0) throw new TextSslException($"--clip must be non-negative (got {Clip}); 0 disables clipping.");
        if (EvalEvery < 1) throw new TextSslException($"--eval-every must be at least 1 (got {EvalEvery}).");
        if (EvalBatches is < 1) throw new TextSslException($"--eval-batches must be at least 1 (got {EvalBatches}).");
        if (LogEvery < 1) throw new TextSslException($"--log-every must be at least 1 (got {LogEvery}).");
        if (Dtype is not ("auto" or "fp32" or "bf16")) throw new TextSslException($"unknown --dtype '{Dtype}'. Choose one of: auto, fp32, bf16.");
        if (StopAfter is < 0) throw new TextSslException($"--stop-after must be non-negative (got {StopAfter}).");
        Masking.Validate();
        return this;
    }
}
