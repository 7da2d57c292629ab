using System.Diagnostics;
using TextSSL.Corpora;
using TextSSL.Modeling;
using TextSSL.Runtime;
using TextSSL.Training.Optimization;
using TorchSharp;
using static TorchSharp.torch;

namespace TextSSL.Training;

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
        Task = "clm", Data = dataPath, Tokenizer = "char", Preset = "char-small", Steps = steps, BatchSize = 12, BlockSize = 64,
        LearningRate = 1e-3, MinLearningRate = 1e-4, Warmup = 100, DecaySteps = steps, Dropout = 0.0, WeightDecay = 0.1,
        Beta1 = 0.9, Beta2 = 0.99, Clip = 1.0, GradAccum = 1, EvalEvery = Math.Max(1, steps / 4), EvalBatches = null, LogEvery = 50,
        Seed = seed, Device = device, Dtype = "fp32", ValidationFraction = 0.1, OutputDirectory = outputDirectory,
    };

    /// <summary>
    /// A bare TorchSharp loop over one fixed batch: forward, cross-entropy, backward, clipping and AdamW, nothing else.
    /// Returns milliseconds per step for each interval of <paramref name="interval"/> steps (the host reads the loss
    /// once per interval, as the trainer does at its log interval).
    /// </summary>
    public static List<double> BareLoop(TransformerConfig config, ITokenStream stream, int batchSize, int blockSize, int steps, int interval,
                                        string optimizerName, AdamWSettings settings, double learningRate, double clip, string deviceSpec, long seed,
                                        ScalarType computeDtype = ScalarType.Float32)
    {
        TorchRuntime.EnsureLoaded();
        var device = DeviceSelector.Resolve(deviceSpec);
        if (device.type == DeviceType.CUDA)
        {
            // as the trainer: TF32 products for fp32
            backends.cuda.matmul.allow_tf32 = true;
            backends.cudnn.allow_tf32 = true;
        }
        manual_seed(seed);
        using var model = new Transformer(config);
        model.to(device);
        model.Precision.Dtype = computeDtype;
        model.train();
        var parameters = model.parameters().ToList();
        using var optimizer = OptimizerFactory.Create(optimizerName, model, settings, learningRate);
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
                optimizer.Step(learningRate);
                optimizer.ZeroGrad();
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

    /// <summary>The median of the intervals after the first (which carries start-up costs).</summary>
    public static double SteadyMedian(IReadOnlyList<double> intervals)
    {
        var steady = (intervals.Count > 1 ? intervals.Skip(1) : intervals).Order().ToList();
        return steady[steady.Count / 2];
    }
}
