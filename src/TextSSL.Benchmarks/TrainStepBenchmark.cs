using TextSSL.Modeling;
using TextSSL.Runtime;
using TextSSL.Training;
using TextSSL.Training.Optimization;
using TorchSharp;
using static TorchSharp.torch;

namespace TextSSL.Benchmarks;

/// <summary>Which optimizer and clipping a benchmarked training step uses.</summary>
public enum TrainStepVariant
{
    /// <summary>TextSSL's step: fused AdamW and multi-tensor clipping through TorchScript.</summary>
    Fused,
    /// <summary>The same step with TorchSharp's own pieces: <c>optim.AdamW</c> and <c>nn.utils.clip_grad_norm_</c>.</summary>
    Reference,
}

/// <summary>What <see cref="TrainStepBenchmark.Run"/> measures.</summary>
/// <param name="Preset">Model preset (<see cref="TransformerConfig.PresetNames"/>).</param>
/// <param name="Device">Where the step runs.</param>
/// <param name="ComputeDtype">Dtype of matrix products (fp32 master weights either way).</param>
/// <param name="Variant">Fused or reference optimizer and clipping.</param>
/// <param name="Batch">Sequences per step.</param>
/// <param name="Block">Tokens per sequence; null for the preset's block size.</param>
/// <param name="UntiedHead">Whether the output head has its own matrix (GPT-2-small benchmark shape) instead of sharing the embedding.</param>
/// <param name="Warmup">Steps run first and discarded.</param>
/// <param name="Repeats">Steps measured.</param>
/// <param name="PeakTflops">Peak TFLOPS for MFU; null to look the device up (<see cref="PeakFlops"/>).</param>
/// <param name="Tf32">Whether fp32 products may use TF32 tensor cores on CUDA.</param>
/// <param name="Seed">Seed for weights and data.</param>
/// <param name="Clock">What the milliseconds count: wall-clock or the process's CPU time (CPU only).</param>
public sealed record TrainBenchOptions(
    string Preset,
    Device Device,
    ScalarType ComputeDtype,
    TrainStepVariant Variant,
    int Batch,
    int? Block = null,
    bool UntiedHead = false,
    int Warmup = 3,
    int Repeats = 10,
    double? PeakTflops = null,
    bool Tf32 = true,
    int Seed = 1337,
    BenchClock Clock = BenchClock.Wall);

/// <summary>One measured configuration: medians over the measured steps.</summary>
/// <param name="Options">What was measured.</param>
/// <param name="Parameters">Parameter count.</param>
/// <param name="SequenceLength">Tokens per sequence.</param>
/// <param name="FwdBwdMs">Forward + loss + backward.</param>
/// <param name="ClipMs">Gradient clipping.</param>
/// <param name="OptimizerMs">Optimizer step + zeroing gradients.</param>
/// <param name="StepMs">Median of whole-step times.</param>
/// <param name="MeanStepMs">Mean of whole-step times.</param>
/// <param name="TokensPerSecond">Batch × sequence length / median step.</param>
/// <param name="PeakTflops">The peak MFU is measured against, when known.</param>
/// <param name="Mfu">Model FLOPs utilisation (0..1), when the peak is known.</param>
/// <param name="DeviceMemoryBytes">Memory in use on the CUDA device after the run (NVML), when available.</param>
/// <param name="DeviceName">The CUDA device's name, or "cpu (N threads)".</param>
public sealed record TrainBenchResult(
    TrainBenchOptions Options,
    long Parameters,
    int SequenceLength,
    double FwdBwdMs,
    double ClipMs,
    double OptimizerMs,
    double StepMs,
    double MeanStepMs,
    double TokensPerSecond,
    double? PeakTflops,
    double? Mfu,
    long? DeviceMemoryBytes,
    string DeviceName);

/// <summary>
/// Times the training step (forward+backward, clip, optimizer) of a preset on random tokens, each phase
/// bracketed by a device synchronisation. Data is pre-generated on the device, so data loading is not included.
/// </summary>
public static class TrainStepBenchmark
{
    /// <summary>Phase names as they appear in results.</summary>
    public const string FwdBwd = TrainStep.ForwardBackward, Clip = TrainStep.Clipping, Optimizer = TrainStep.Update;

    private const double LearningRate = 6e-4;
    private const double MaxGradNorm = 1.0;

    /// <summary>Default sequences per step for a preset (nanoGPT's recipes; 8 for GPT-2-small as in the speed issue).</summary>
    public static int DefaultBatch(string preset) => preset switch
    {
        "tiny" => 8,
        "char-small" => 12,
        "char-medium" => 64,
        "gpt2-small" => 8,
        _ => 8,
    };

    /// <summary>
    /// Builds the model, runs warm-up and measured steps of the trainer's own <see cref="TrainStep"/> (the reference
    /// variant swaps in <c>optim.AdamW</c> and <c>clip_grad_norm_</c>), and summarises them.
    /// </summary>
    public static TrainBenchResult Run(TrainBenchOptions options, CancellationToken ct = default)
    {
        var config = TransformerConfig.Preset(options.Preset);
        if (options.Block is { } block) config = config with { BlockSize = block };
        if (options.UntiedHead) config = config with { TiedEmbeddings = false };
        config.Validate();
        OptionException.CheckRange(nameof(TrainBenchOptions.Batch), options.Batch, 1, 65_536);

        var device = options.Device;
        var cudaDevice = device.type == DeviceType.CUDA;
        using var runtime = TorchRuntime.Configure(threads: null, tf32: cudaDevice ? options.Tf32 : null);
        random.manual_seed(options.Seed);
        using var model = new TextSSL.Modeling.Transformer(config);
        model.to(device);
        model.train();
        var paramCount = model.ParameterCount;

        var reference = options.Variant == TrainStepVariant.Reference;
        using var optimizer = OptimizerFactory.Create(reference ? OptimizerKind.Torch : OptimizerKind.Fused, model, new AdamWSettings(), LearningRate);
        PhaseTimer? timer = null;
        using var step = new TrainStep(model, model.Precision, optimizer, new TrainStepOptions(GradAccum: 1, Clip: MaxGradNorm, options.ComputeDtype), device,
            reference ? GradientClipping.ClipGradNormReference : GradientClipping.ClipGradNorm, phase => timer!.Mark(phase));

        var t = config.BlockSize;
        var batches = MakeBatches(4, options.Batch, t, config.VocabSize, device);
        var n = 0;
        var samples = BenchLoop.Run(device, options.Warmup, options.Repeats, phaseTimer =>
        {
            timer = phaseTimer;
            var (x, y) = batches[n % batches.Length];
            step.Run(n++, LearningRate, _ =>
            {
                var logits = model.forward(x);                                   // (B, T, V) fp32
                return nn.functional.cross_entropy(logits.view(-1, config.VocabSize), y.view(-1));
            });
        }, ct, options.Clock);
        foreach (var (x, y) in batches) { x.Dispose(); y.Dispose(); }
        foreach (var parameter in step.Parameters) parameter.Dispose();

        string deviceName;
        long? memory = null;
        double? peak = options.PeakTflops;
        if (cudaDevice)
        {
            using var gpu = GpuInfo.TryOpen();
            deviceName = gpu?.Name(device.index < 0 ? 0 : device.index) ?? device.ToString();
            memory = gpu?.UsedBytes(device.index < 0 ? 0 : device.index);
            peak ??= PeakFlops.ForDeviceName(deviceName, options.ComputeDtype);
        }
        else
        {
            deviceName = $"cpu ({get_num_threads()} threads)";
            peak ??= PeakFlops.ForCpu(get_num_threads());
        }

        var stepMs = samples.MedianTotal;
        var tokensPerSecond = options.Batch * (double)t / (stepMs / 1000.0);
        double? mfu = peak is { } p ? PeakFlops.Mfu(config.FlopsPerToken(paramCount, t), tokensPerSecond, p) : null;
        return new TrainBenchResult(options, paramCount, t, samples.Median(FwdBwd), samples.Median(Clip), samples.Median(Optimizer),
            stepMs, samples.MeanTotal, tokensPerSecond, peak, mfu, memory, deviceName);
    }

    /// <summary>The results as a table (one row per result).</summary>
    public static BenchTable ToTable(IEnumerable<TrainBenchResult> results)
    {
        var table = new BenchTable(results.Any(r => r.Options.Clock == BenchClock.ProcessCpu) ? "bench train (ms of process CPU time)" : "bench train",
            "preset", "device", "compute", "step", "batch×T", "params (M)", "fwd+bwd ms", "clip ms", "optimizer ms", "step ms (median)", "step ms (mean)",
            "tokens/s", "peak TFLOPS", "MFU %", "device mem (MiB)");
        foreach (var r in results)
            table.AddRow([
                r.Options.Preset, r.DeviceName, ComputeDtypes.Name(r.Options.ComputeDtype),
                r.Options.Variant == TrainStepVariant.Fused ? "fused AdamW + foreach clip" : "optim.AdamW + clip_grad_norm_",
                $"{r.Options.Batch}×{r.SequenceLength}", r.Parameters / 1e6, r.FwdBwdMs, r.ClipMs, r.OptimizerMs, r.StepMs, r.MeanStepMs,
                (long)Math.Round(r.TokensPerSecond), r.PeakTflops, r.Mfu * 100, r.DeviceMemoryBytes / (1024.0 * 1024.0),
            ]);
        return table;
    }

    private static (Tensor X, Tensor Y)[] MakeBatches(int count, int batch, int t, int vocab, Device device)
    {
        var result = new (Tensor, Tensor)[count];
        for (var i = 0; i < count; i++)
        {
            using var tokens = randint(0, vocab, [batch, t + 1], dtype: ScalarType.Int64);
            result[i] = (tokens[.., ..t].contiguous().to(device).DetachFromDisposeScope(), tokens[.., 1..].contiguous().to(device).DetachFromDisposeScope());
        }
        return result;
    }
}
