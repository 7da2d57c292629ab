using System.Diagnostics;
using TextSSL.Corpora;
using TextSSL.Modeling;
using TextSSL.Runtime;
using TextSSL.Training;
using TextSSL.Training.Optimization;
using TorchSharp;
using static TorchSharp.torch;

namespace TextSSL.Benchmarks;

/// <summary>The reference runs behind <c>textssl bench quality</c> and <c>textssl bench train-overhead</c>.</summary>
public static class TrainingBenchmarks
{
    /// <summary>Validation loss plain PyTorch reaches with <see cref="QualityRecipe"/> on Moby-Dick (seed 1337).</summary>
    public const double ReferenceLoss = 1.837;

    /// <summary>The loss TextSSL must reach: the reference plus 0.02.</summary>
    public const double TargetLoss = 1.857;

    /// <summary>
    /// nanoGPT's CPU recipe, character level: 4 layers, 4 heads, 128 dims, block 64, batch 12, 2,000 steps, lr 1e-3 cosine
    /// to 1e-4 over 2,000 steps, warmup 100, dropout 0, betas (0.9, 0.99), weight decay 0.1, clip 1.0, no biases, tied
    /// embeddings, learned positions, 90/10 split by position. The final evaluation covers the whole validation split.
    /// </summary>
    public static PretrainingOptions QualityRecipe(string dataPath, string outputDirectory, string device = "cpu", int steps = 2000, long seed = 1337) => new()
    {
        Task = TrainingTask.Clm, Data = dataPath, Tokenizer = "char", ValidationFraction = 0.1, OutputDirectory = outputDirectory,
        Model = new ModelShapeOptions { Preset = "char-small", Dropout = 0.0 },
        Optimization = new OptimizationOptions
        {
            Steps = steps, BatchSize = 12, BlockSize = 64, GradAccum = 1, LearningRate = 1e-3, MinLearningRate = 1e-4, Warmup = 100,
            DecaySteps = steps, WeightDecay = 0.1, Beta1 = 0.9, Beta2 = 0.99, Clip = 1.0,
        },
        Evaluation = new EvaluationOptions { EvalEvery = Math.Max(1, steps / 4), EvalBatches = null, LogEvery = 50 },
        Runtime = new RuntimeOptions { Seed = seed, Device = device, Dtype = ComputeDtype.Fp32 },
    };

    /// <summary>
    /// Runs the full trainer (<see cref="PretrainingRun"/>: data sampling, its TrainStep, logging) with
    /// <paramref name="options"/> into a temporary directory, deleted afterwards, and returns its median milliseconds per
    /// step (the trainer excludes its first log interval).
    /// </summary>
    public static async Task<double> TrainerLoop(PretrainingOptions options, CancellationToken ct = default)
    {
        var runDir = Directory.CreateTempSubdirectory("textssl-bench-").FullName;
        try
        {
            using var run = new PretrainingRun(options with { OutputDirectory = runDir });
            var result = await run.RunAsync(ct);
            return result.MillisecondsPerStep ?? double.NaN;
        }
        finally { Directory.Delete(runDir, recursive: true); }
    }

    /// <summary>
    /// A bare TorchSharp loop over one fixed batch: forward, cross-entropy, backward, clipping and AdamW, nothing else.
    /// It is the reference <c>bench train-overhead</c> measures the trainer against, so it stays a hand-written loop by
    /// design and does not use <see cref="TrainStep"/>.
    /// Returns milliseconds per step for each interval of <paramref name="interval"/> steps (the host reads the loss
    /// once per interval, as the trainer does at its log interval).
    /// </summary>
    public static List<double> BareLoop(TransformerConfig config, ITokenStream stream, int batchSize, int blockSize, int steps, int interval,
                                        OptimizerKind optimizer, AdamWSettings settings, double learningRate, double clip, string deviceSpec, long seed,
                                        ScalarType computeDtype = ScalarType.Float32)
    {
        var device = DeviceSelector.Resolve(deviceSpec);
        // as the trainer: TF32 products for fp32 on CUDA, restored afterwards
        using var runtime = TorchRuntime.Configure(threads: null, tf32: device.type == DeviceType.CUDA ? true : null);
        manual_seed(seed);
        using var model = new Transformer(config);
        model.to(device);
        model.Precision.Dtype = computeDtype;
        model.train();
        var parameters = model.parameters().ToList();
        using var adamW = OptimizerFactory.Create(optimizer, model, settings, learningRate);
        var window = new int[blockSize + 1];
        var xs = new long[batchSize * blockSize];
        var ys = new long[batchSize * blockSize];
        var random = new Pretext.SeededRandom(seed);
        for (var r = 0; r < batchSize; r++)
        {
            stream.CopyTo(random.NextInt64(stream.Count - blockSize), window);
            for (var j = 0; j < blockSize; j++) (xs[r * blockSize + j], ys[r * blockSize + j]) = (window[j], window[j + 1]);
        }
        using var x = tensor(xs, new long[] { batchSize, blockSize }).to(device);
        using var y = tensor(ys, new long[] { batchSize * blockSize }).to(device);
        using var lastLoss = tensor(0.0f, device: device);
        var times = new List<double>();
        var watch = Stopwatch.StartNew();
        for (var step = 1; step <= steps; step++)
        {
            using (var scope = NewDisposeScope())
            {
                var logits = model.forward(x);
                var loss = nn.functional.cross_entropy(logits.view(-1, logits.shape[2]), y);
                loss.backward();
                if (clip > 0) GradientClipping.ClipGradNorm(parameters, clip);
                adamW.Step(learningRate);
                adamW.ZeroGrad();
                lastLoss.copy_(loss.detach());
            }
            if (step % interval == 0)
            {
                _ = lastLoss.item<float>();
                times.Add(watch.Elapsed.TotalMilliseconds / interval);
                watch.Restart();
            }
        }
        return times;
    }
}
