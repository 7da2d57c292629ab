using TextSSL.Modeling;
using TextSSL.Training.Optimization;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TextSSL.Benchmarks;

/// <summary>Which optimizer and clipping a benchmarked training step uses.</summary>
public enum TrainStepVariant
{
    /// <summary>TextSSL's step: fused AdamW and multi-tensor clipping through TorchScript.</summary>
    Fused,
    /// <summary>A bare TorchSharp step: <c>optim.AdamW</c> and <c>nn.utils.clip_grad_norm_</c>.</summary>
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
/// <param name="PeakTflops">Peak TFLOPS for MFU; null to look the device up (CUDA) or print n/a (CPU).</param>
/// <param name="Tf32">Whether fp32 products may use TF32 tensor cores on CUDA.</param>
/// <param name="Seed">Seed for weights and data.</param>
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
    int Seed = 1337);

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
    public const string FwdBwd = "fwd+bwd", Clip = "clip", Optimizer = "optimizer";

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

    /// <summary>Builds the model, runs warm-up and measured steps, and summarises them.</summary>
    public static TrainBenchResult Run(TrainBenchOptions options, CancellationToken ct = default)
    {
        var config = TransformerConfig.Preset(options.Preset);
        if (options.Block is { } block) config = config with { BlockSize = block };
        if (options.UntiedHead) config = config with { TiedEmbeddings = false };
        config.Validate();
        if (options.Batch < 1) throw new TextSslException($"batch must be at least 1 (got {options.Batch}).");

        var device = options.Device;
        var cudaDevice = device.type == DeviceType.CUDA;
        var previousTf32 = cudaDevice && backends.cuda.matmul.allow_tf32;
        if (cudaDevice)
        {
            backends.cuda.matmul.allow_tf32 = options.Tf32;
            backends.cudnn.allow_tf32 = options.Tf32;
        }
        try
        {
            random.manual_seed(options.Seed);
            using var model = new TextSSL.Modeling.Transformer(config);
            model.to(device);
            model.Precision.Dtype = options.ComputeDtype;
            model.train();
            var parameters = model.parameters().ToList();
            var paramCount = model.ParameterCount;

            IParameterOptimizer optimizer = options.Variant == TrainStepVariant.Fused
                ? new FusedAdamW(model, new AdamWSettings())
                : new TorchAdamW(model, new AdamWSettings(), LearningRate);
            using var _ = optimizer;
            Func<IReadOnlyList<Parameter>, double, Tensor> clip = options.Variant == TrainStepVariant.Fused
                ? GradientClipping.ClipGradNorm
                : GradientClipping.ClipGradNormReference;

            var t = config.BlockSize;
            var batches = MakeBatches(4, options.Batch, t, config.VocabSize, device);
            var step = 0;
            var samples = BenchLoop.Run(device, options.Warmup, options.Repeats, timer =>
            {
                var (x, y) = batches[step++ % batches.Length];
                var logits = model.forward(x);                                       // (B, T, V) fp32
                var loss = nn.functional.cross_entropy(logits.view(-1, config.VocabSize), y.view(-1));
                loss.backward();
                timer.Mark(FwdBwd);
                clip(parameters, MaxGradNorm);
                timer.Mark(Clip);
                optimizer.Step(LearningRate);
                optimizer.ZeroGrad();
                timer.Mark(Optimizer);
            }, ct);
            foreach (var (x, y) in batches) { x.Dispose(); y.Dispose(); }
            foreach (var parameter in parameters) parameter.Dispose();

            string deviceName;
            long? memory = null;
            double? peak = options.PeakTflops;
            if (cudaDevice)
            {
                using var gpu = GpuInfo.TryOpen();
                deviceName = gpu?.Name(device.index < 0 ? 0 : device.index) ?? device.ToString();
                memory = gpu?.UsedBytes(device.index < 0 ? 0 : device.index);
                peak ??= PeakFlops.ForDevice(deviceName, options.ComputeDtype);
            }
            else deviceName = $"cpu ({get_num_threads()} threads)";

            var stepMs = samples.MedianTotal;
            var tokensPerSecond = options.Batch * (double)t / (stepMs / 1000.0);
            double? mfu = peak is { } p ? PeakFlops.PerToken(config, paramCount, t) * tokensPerSecond / (p * 1e12) : null;
            return new TrainBenchResult(options, paramCount, t, samples.Median(FwdBwd), samples.Median(Clip), samples.Median(Optimizer),
                stepMs, samples.MeanTotal, tokensPerSecond, peak, mfu, memory, deviceName);
        }
        finally
        {
            if (cudaDevice)
            {
                backends.cuda.matmul.allow_tf32 = previousTf32;
                backends.cudnn.allow_tf32 = previousTf32;
            }
        }
    }

    /// <summary>The results as a table (one row per result).</summary>
    public static BenchTable ToTable(IEnumerable<TrainBenchResult> results)
    {
        var table = new BenchTable("bench train",
            "preset", "device", "compute", "step", "batch×T", "params (M)", "fwd+bwd ms", "clip ms", "optimizer ms", "step ms (median)", "step ms (mean)",
            "tokens/s", "peak TFLOPS", "MFU %", "device mem (MiB)");
        foreach (var r in results)
            table.AddRow([
                r.Options.Preset, r.DeviceName, DtypeName(r.Options.ComputeDtype),
                r.Options.Variant == TrainStepVariant.Fused ? "fused AdamW + foreach clip" : "optim.AdamW + clip_grad_norm_",
                $"{r.Options.Batch}×{r.SequenceLength}", r.Parameters / 1e6, r.FwdBwdMs, r.ClipMs, r.OptimizerMs, r.StepMs, r.MeanStepMs,
                (long)Math.Round(r.TokensPerSecond), r.PeakTflops, r.Mfu * 100, r.DeviceMemoryBytes / (1024.0 * 1024.0),
            ]);
        return table;
    }

    /// <summary>The short name of a compute dtype (fp32, bf16, fp16).</summary>
    public static string DtypeName(ScalarType dtype) => dtype switch
    {
        ScalarType.Float32 => "fp32",
        ScalarType.BFloat16 => "bf16",
        ScalarType.Float16 => "fp16",
        _ => dtype.ToString(),
    };

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
