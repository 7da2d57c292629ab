using System.Text.Json.Serialization;
using TextSSL.Modeling;
using TextSSL.Pretext;
using TextSSL.Runtime;
using TextSSL.Tokenization;

namespace TextSSL.Training;

/// <summary>The built-in pretext task a run trains on.</summary>
public enum TrainingTask
{
    /// <summary>Next-token prediction with a causal decoder.</summary>
    Clm,
    /// <summary>Masked-LM with a bidirectional encoder.</summary>
    Mlm,
    /// <summary>Contrastive text vectors (unsupervised SimCSE), an encoder from scratch or any checkpoint continued.</summary>
    Contrastive,
}

/// <summary>
/// Everything a pretraining run needs, as plain data, in groups: <see cref="Model"/> (shape), <see cref="Optimization"/>
/// (batch, optimizer and schedule), <see cref="Evaluation"/> (evaluation and logging) and <see cref="Runtime"/> (device,
/// dtype, threads, seed). Defaults are nanoGPT's CPU recipe for a character-level model (<c>char-small</c>, batch 12,
/// lr 1e-3 cosine to 1e-4, warmup 100, betas 0.9/0.99, weight decay 0.1, clip 1), and are written only here: the CLI
/// reads them.
/// </summary>
public sealed record PretrainingOptions
{
    /// <summary>Pretext task: next-token (decoder), masked-LM (encoder) or contrastive (encoder, or the InitFrom checkpoint's kind).</summary>
    public TrainingTask Task { get; init; } = TrainingTask.Clm;

    /// <summary>A text file, a directory of <c>.txt</c> files, or a shard directory. Ignored when <see cref="Dataset"/> is set.</summary>
    public string? Data { get; init; }

    /// <summary>Already-opened data (library use and tests); takes precedence over <see cref="Data"/>.</summary>
    [JsonIgnore] public TrainingData? Dataset { get; init; }

    /// <summary><c>char</c> (train a character tokenizer on the data), a tokenizer directory, or a tokenizer name.</summary>
    public string Tokenizer { get; init; } = "char";

    /// <summary>Fraction of plain-text data, from the end, held out for validation.</summary>
    public double ValidationFraction { get; init; } = 0.1;

    /// <summary>How next-token windows are drawn.</summary>
    public WindowOrder Sampling { get; init; } = WindowOrder.Random;

    /// <summary>Masking settings of masked-LM.</summary>
    public MaskingOptions Masking { get; init; } = new();

    /// <summary>Temperature and pooling of the contrastive task (<see cref="ContrastiveOptions"/> documents the defaults).</summary>
    public ContrastiveOptions Contrastive { get; init; } = new();

    /// <summary>
    /// Continued pretraining: start from the weights of this checkpoint (a checkpoint directory or a run's output
    /// directory, whose <c>best/</c> or else <c>last/</c> is read) instead of a fresh initialisation. The model's shape
    /// and tokenizer are the checkpoint's (shape options may only repeat them; <see cref="ModelShapeOptions.Dropout"/>
    /// may change); the optimizer and schedule start fresh. Any task continues a checkpoint of its model kind;
    /// <see cref="TrainingTask.Contrastive"/> continues either kind and keeps a decoder causal.
    /// A Hugging Face model directory (GPT-2 or XLM-RoBERTa-XL, as <see cref="Interop.HuggingFaceImport"/> reads them) is
    /// accepted too: it is imported into a temporary checkpoint for the run, and its tokenizer files are the tokenizer.
    /// </summary>
    public string? InitFrom { get; init; }

    /// <summary>
    /// How training sequences are laid out: packed whole documents with attention kept inside each, or windows of the
    /// stream; null uses <see cref="PretextTasks.DefaultPacking"/> (documents for masked-LM when the tokenizer marks
    /// document ends, the stream for next-token).
    /// </summary>
    public SequencePacking? Packing { get; init; }

    /// <summary>The model's shape.</summary>
    public ModelShapeOptions Model { get; init; } = new();

    /// <summary>Batch, optimizer and learning-rate schedule.</summary>
    public OptimizationOptions Optimization { get; init; } = new();

    /// <summary>Evaluation, checkpoints and logging.</summary>
    public EvaluationOptions Evaluation { get; init; } = new();

    /// <summary>Device, dtype, threads and seed.</summary>
    public RuntimeOptions Runtime { get; init; } = new();

    /// <summary>Output directory: <c>last/</c>, <c>best/</c> and <c>metrics.csv</c>.</summary>
    public required string OutputDirectory { get; init; }

    /// <summary>Continue from <c>OutputDirectory/last</c>.</summary>
    public bool Resume { get; init; }

    /// <summary>Stop after this step with a checkpoint, as if interrupted (the schedule still spans the run's steps).</summary>
    public int? StopAfter { get; init; }

    /// <summary>A task of your own in place of <see cref="Task"/>; it receives the data's tokenizer.</summary>
    [JsonIgnore] public Func<TextTokenizer, IPretextTask>? CustomTask { get; init; }

    /// <summary>The task's name as the pretext layer and checkpoints spell it (<c>clm</c>, <c>mlm</c>).</summary>
    [JsonIgnore] public string TaskName => Task switch { TrainingTask.Mlm => "mlm", TrainingTask.Contrastive => "contrastive", _ => "clm" };

    /// <summary>
    /// The model these options build for a tokenizer of <paramref name="tokenizerVocabSize"/> ids: the preset with the
    /// vocabulary padded, and context, dropout, positions and head tying as set in <see cref="Model"/>.
    /// </summary>
    /// <exception cref="TextSslException">An unknown preset, a bad padding, or an inconsistent shape.</exception>
    public TransformerConfig ModelConfig(ModelKind kind, int tokenizerVocabSize)
    {
        var m = Model;
        var preset = TransformerConfig.Preset(m.Preset, kind, TransformerConfig.PaddedVocab(tokenizerVocabSize, m.PadVocabTo));
        var (layers, heads, dim) = (m.Layers ?? preset.Layers, m.Heads ?? preset.Heads, m.Dim ?? preset.Dim);
        if (dim % heads != 0)
            throw new OptionException([nameof(ModelShapeOptions.Dim), nameof(ModelShapeOptions.Heads)],
                $"Dim {dim} is not divisible by Heads {heads} (preset {m.Preset} has {preset.Dim} dims and {preset.Heads} heads); choose a Dim that is a multiple of Heads.");
        var positions = m.Positions ?? preset.Positions;
        if (positions == PositionKind.Rotary && dim / heads % 2 != 0)
            throw new OptionException([nameof(ModelShapeOptions.Dim), nameof(ModelShapeOptions.Heads), nameof(ModelShapeOptions.Positions)],
                $"rotary positions need an even head width, and Dim {dim} / Heads {heads} = {dim / heads}.");
        return (preset with
        {
            Layers = layers,
            Heads = heads,
            Dim = dim,
            BlockSize = m.Context ?? preset.BlockSize,
            Dropout = m.Dropout ?? TaskDropout(preset.Dropout),
            Positions = positions,
            TiedEmbeddings = preset.TiedEmbeddings && !m.UntiedHead,
        }).Validate();
    }

    /// <summary>
    /// The model of a continued run: <paramref name="source"/>'s shape (from its checkpoint) with this run's dropout.
    /// </summary>
    /// <exception cref="OptionException">A shape option is set and disagrees with the checkpoint, or the task trains the other model kind.</exception>
    public TransformerConfig ContinuedModelConfig(TransformerConfig source, ModelKind taskKind, string sourceDirectory)
    {
        if (source.Kind != taskKind)
            throw new OptionException([nameof(Task), nameof(InitFrom)],
                $"InitFrom: '{sourceDirectory}' holds a {source.Kind.ToString().ToLowerInvariant()}, but Task {Task} trains a {taskKind.ToString().ToLowerInvariant()}. " +
                "Continue it with a task of its kind (clm for a decoder, mlm for an encoder, contrastive for either).");
        var m = Model;
        void Same(string name, object? given, object actual)
        {
            if (given is not null && !given.Equals(actual))
                throw new OptionException([name, nameof(InitFrom)],
                    $"InitFrom: {name} {given} disagrees with the checkpoint in '{sourceDirectory}' ({name} {actual}); a continued model keeps its shape, so leave {name} unset.");
        }
        Same(nameof(ModelShapeOptions.Layers), m.Layers, source.Layers);
        Same(nameof(ModelShapeOptions.Heads), m.Heads, source.Heads);
        Same(nameof(ModelShapeOptions.Dim), m.Dim, source.Dim);
        Same(nameof(ModelShapeOptions.Context), m.Context, source.BlockSize);
        Same(nameof(ModelShapeOptions.Positions), m.Positions, source.Positions);
        if (m.UntiedHead && source.TiedEmbeddings)
            throw new OptionException([nameof(ModelShapeOptions.UntiedHead), nameof(InitFrom)], $"InitFrom: the checkpoint in '{sourceDirectory}' has a tied head; UntiedHead cannot change that.");
        return (source with { Dropout = m.Dropout ?? TaskDropout(source.Dropout) }).Validate();
    }

    /// <summary>The dropout when none is set: the model's, except that contrastive training needs dropout as its noise (SimCSE: 0.1).</summary>
    private double TaskDropout(double modelDropout) => Task == TrainingTask.Contrastive && modelDropout == 0 ? 0.1 : modelDropout;

    /// <summary>Checks that every number is finite and in range, and the combinations.</summary>
    /// <exception cref="OptionException">A value is out of range (the exception names the property).</exception>
    /// <exception cref="TextSslException">No data.</exception>
    public PretrainingOptions Validate()
    {
        if (Data is null && Dataset is null) throw new OptionException(nameof(Data), "no data: set Data to a text file, a directory of .txt files, or a shard directory.");
        OptionException.CheckRange(nameof(ValidationFraction), ValidationFraction, 1e-6, 0.9);
        if (Masking.Probability is <= 0 or >= 1 || !double.IsFinite(Masking.Probability))
            throw new OptionException(MaskProbability, $"{MaskProbability} must be between 0 and 1, both excluded (got {Masking.Probability}).");
        Masking.Validate();
        Contrastive.Validate();
        if (InitFrom is not null && Resume)
            throw new OptionException([nameof(InitFrom), nameof(Resume)],
                "InitFrom starts a new run from a checkpoint's weights and Resume continues the run's own last checkpoint; set only one (a continued run resumes without InitFrom).");
        if (InitFrom is { Length: 0 }) throw new OptionException(nameof(InitFrom), "InitFrom is empty; give a checkpoint directory or a run's output directory.");
        if (Packing is { } packing && !Enum.IsDefined(packing)) throw new OptionException(nameof(Packing), $"Packing {packing} is not a layout.");
        if (StopAfter is { } stop) OptionException.CheckRange(nameof(StopAfter), stop, 0, int.MaxValue);
        Model.Validate();
        Optimization.Validate();
        Evaluation.Validate();
        Runtime.Validate();
        return this;
    }

    /// <summary>The name errors give the masking probability (<see cref="MaskingOptions.Probability"/> inside <see cref="Masking"/>).</summary>
    public const string MaskProbability = "MaskProbability";
}

/// <summary>The model's shape, on top of a preset.</summary>
public sealed record ModelShapeOptions
{
    /// <summary>Model preset (<see cref="TransformerConfig.PresetNames"/>).</summary>
    public string Preset { get; init; } = "char-small";

    /// <summary>Model positions; null keeps the preset's. Must be at least the training block size.</summary>
    public int? Context { get; init; }

    /// <summary>Learned or rotary positions; null keeps the preset's.</summary>
    public PositionKind? Positions { get; init; }

    /// <summary>Transformer blocks; null keeps the preset's (1 to 128).</summary>
    public int? Layers { get; init; }

    /// <summary>Attention heads per block; null keeps the preset's (1 to 256, and must divide the width).</summary>
    public int? Heads { get; init; }

    /// <summary>Embedding width; null keeps the preset's (1 to 16,384, a multiple of the heads).</summary>
    public int? Dim { get; init; }

    /// <summary>Dropout; null keeps the preset's (for the contrastive task: 0.1 when the preset's is 0, since dropout is its noise).</summary>
    public double? Dropout { get; init; }

    /// <summary>
    /// Round the model's vocabulary up to a multiple of this (default 1: exactly the tokenizer's). nanoGPT pads GPT-2's
    /// 50,257 ids to 50,304 = 786 × 64, which keeps the embedding and head matrices aligned for tensor cores. The extra
    /// ids are never targets, and generation never samples them.
    /// </summary>
    public int PadVocabTo { get; init; } = 1;

    /// <summary>Give the output head its own matrix instead of sharing the input embedding (default false: tied).</summary>
    public bool UntiedHead { get; init; }

    /// <summary>Checks ranges.</summary>
    /// <exception cref="OptionException">A value is out of range.</exception>
    public ModelShapeOptions Validate()
    {
        if (!TransformerConfig.PresetNames.Contains(Preset))
            throw new OptionException(nameof(Preset), $"unknown Preset '{Preset}'. Choose one of: {string.Join(", ", TransformerConfig.PresetNames)}.");
        if (Context is { } context) OptionException.CheckRange(nameof(Context), context, 1, 1 << 20);
        if (Layers is { } layers) OptionException.CheckRange(nameof(Layers), layers, 1, 128);
        if (Heads is { } heads) OptionException.CheckRange(nameof(Heads), heads, 1, 256);
        if (Dim is { } dim) OptionException.CheckRange(nameof(Dim), dim, 1, 16_384);
        if (Dim is { } d && Heads is { } h && d % h != 0)
            throw new OptionException([nameof(Dim), nameof(Heads)], $"Dim {d} is not divisible by Heads {h}; choose a Dim that is a multiple of Heads.");
        if (Dropout is { } dropout) OptionException.CheckRange(nameof(Dropout), dropout, 0, 0.99);
        OptionException.CheckRange(nameof(PadVocabTo), PadVocabTo, 1, 65_536);
        return this;
    }
}

/// <summary>Batch, optimizer and learning-rate schedule.</summary>
public sealed record OptimizationOptions
{
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

    /// <summary>Optimizer implementation.</summary>
    public OptimizerKind Optimizer { get; init; } = OptimizerKind.Fused;

    /// <summary>The schedule these options describe.</summary>
    internal LearningRateSchedule Schedule() => new(LearningRate, MinLearningRate, Warmup, DecaySteps ?? Steps);

    /// <summary>Checks that every number is finite and in range (upper bounds keep products of sizes within an int).</summary>
    /// <exception cref="OptionException">A value is out of range.</exception>
    public OptimizationOptions Validate()
    {
        OptionException.CheckRange(nameof(Steps), Steps, 1, 1_000_000_000);
        OptionException.CheckRange(nameof(BatchSize), BatchSize, 1, 65_536);
        if (BlockSize is { } block) OptionException.CheckRange(nameof(BlockSize), block, 1, 1 << 20);
        OptionException.CheckRange(nameof(GradAccum), GradAccum, 1, 65_536);
        if ((long)BatchSize * (BlockSize ?? 1) > int.MaxValue)
            throw new OptionException([nameof(BatchSize), nameof(BlockSize)], $"BatchSize × BlockSize must stay below {int.MaxValue:N0} tokens per micro-batch (got {BatchSize} × {BlockSize}).");
        OptionException.CheckRange(nameof(LearningRate), LearningRate, 1e-12, 10);
        OptionException.CheckRange(nameof(MinLearningRate), MinLearningRate, 0, 10);
        if (MinLearningRate > LearningRate)
            throw new OptionException([nameof(MinLearningRate), nameof(LearningRate)], $"MinLearningRate must be at most LearningRate (got MinLearningRate {MinLearningRate}, LearningRate {LearningRate}).");
        OptionException.CheckRange(nameof(Warmup), Warmup, 0, int.MaxValue);
        if (DecaySteps is { } decay) OptionException.CheckRange(nameof(DecaySteps), decay, 1, int.MaxValue);
        OptionException.CheckRange(nameof(WeightDecay), WeightDecay, 0, 10);
        OptionException.CheckRange(nameof(Beta1), Beta1, 0, 0.999999);
        OptionException.CheckRange(nameof(Beta2), Beta2, 0, 0.999999);
        OptionException.CheckRange(nameof(Clip), Clip, 0, 1e6);
        if (!Enum.IsDefined(Optimizer)) throw new OptionException(nameof(Optimizer), $"Optimizer {Optimizer} is not an optimizer.");
        return this;
    }
}

/// <summary>Evaluation, checkpoints and logging.</summary>
public sealed record EvaluationOptions
{
    /// <summary>Evaluate (and write checkpoints) every this many steps, and at the end.</summary>
    public int EvalEvery { get; init; } = 250;

    /// <summary>At most this many validation batches per evaluation during training; null evaluates the whole split.</summary>
    public int? EvalBatches { get; init; } = 200;

    /// <summary>Write a metrics row and a console line every this many steps.</summary>
    public int LogEvery { get; init; } = 10;

    /// <summary>Peak device throughput for the MFU estimate, in TFLOPS; null uses <see cref="PeakFlops.ForDevice"/>.</summary>
    public double? PeakTflops { get; init; }

    /// <summary>Checks ranges.</summary>
    /// <exception cref="OptionException">A value is out of range.</exception>
    public EvaluationOptions Validate()
    {
        OptionException.CheckRange(nameof(EvalEvery), EvalEvery, 1, int.MaxValue);
        if (EvalBatches is { } batches) OptionException.CheckRange(nameof(EvalBatches), batches, 1, int.MaxValue);
        OptionException.CheckRange(nameof(LogEvery), LogEvery, 1, int.MaxValue);
        if (PeakTflops is { } peak) OptionException.CheckRange(nameof(PeakTflops), peak, 1e-6, 1e9);
        return this;
    }
}

/// <summary>Where and how the run computes. Process-wide settings (threads, TF32) are set for the run and restored after it.</summary>
public sealed record RuntimeOptions
{
    /// <summary><c>auto</c>, <c>cpu</c>, <c>cuda</c> or <c>cuda:N</c> (<see cref="DeviceSelector"/>).</summary>
    public string Device { get; init; } = "auto";

    /// <summary>Dtype of matrix products: auto (bf16 on CUDA, fp32 on CPU), fp32 or bf16 (fp32 master weights).</summary>
    public ComputeDtype Dtype { get; init; } = ComputeDtype.Auto;

    /// <summary>libtorch CPU threads during the run; null leaves libtorch's count.</summary>
    public int? Threads { get; init; }

    /// <summary>Let fp32 products use TF32 tensor cores on CUDA during the run (as PyTorch users enable).</summary>
    public bool Tf32 { get; init; } = true;

    /// <summary>
    /// Which library runs fp32 products on the CPU during the run: auto (oneDNN on AMD processors with AVX-512, where
    /// MKL runs at half speed; the BLAS elsewhere), blas, onednn or linear (<see cref="Runtime.CpuMatmul"/>).
    /// </summary>
    public CpuMatmul CpuMatmul { get; init; } = CpuMatmul.Auto;

    /// <summary>Seed of initialisation, dropout and data sampling.</summary>
    public long Seed { get; init; } = 1337;

    /// <summary>
    /// Data-parallel training: <see cref="Distributed.DistributedMode.Auto"/> joins the MPI job when the process was
    /// launched by <c>mpirun</c> (CPU ranks; every rank trains on its slice of each batch), <see cref="Distributed.DistributedMode.Off"/>
    /// trains alone.
    /// </summary>
    public Distributed.DistributedMode Distributed { get; init; } = TextSSL.Distributed.DistributedMode.Auto;

    /// <summary>Checks the spelling of the device and the thread count.</summary>
    /// <exception cref="OptionException">A value is out of range.</exception>
    public RuntimeOptions Validate()
    {
        DeviceSelector.Parse(Device);
        if (!Enum.IsDefined(Dtype)) throw new OptionException(nameof(Dtype), $"Dtype {Dtype} is not a compute dtype.");
        if (!Enum.IsDefined(CpuMatmul)) throw new OptionException(nameof(CpuMatmul), $"CpuMatmul {CpuMatmul} is not a CPU matmul library.");
        if (Threads is { } threads) OptionException.CheckRange(nameof(Threads), threads, 1, 4096);
        return this;
    }
}
