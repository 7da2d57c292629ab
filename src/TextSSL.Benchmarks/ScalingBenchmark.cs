using TextSSL.Distributed;
using TextSSL.Modeling;
using TextSSL.Runtime;
using TextSSL.Training;
using TextSSL.Training.Optimization;
using static TorchSharp.torch;

namespace TextSSL.Benchmarks;

/// <summary>What <see cref="ScalingBenchmark.Run"/> measures.</summary>
/// <param name="Preset">Model preset (<see cref="TransformerConfig.PresetNames"/>).</param>
/// <param name="GlobalBatch">Sequences per optimizer step summed over all ranks; each rank takes GlobalBatch / ranks.</param>
/// <param name="Threads">libtorch threads of each process.</param>
/// <param name="Warmup">Steps run first and discarded.</param>
/// <param name="Repeats">Steps measured.</param>
/// <param name="Seed">Seed for weights (equal on every rank) and data (different per rank).</param>
public sealed record ScalingBenchOptions(string Preset, int GlobalBatch, int Threads, int Warmup = 3, int Repeats = 10, int Seed = 1337)
{
    /// <summary>Checks every value for <paramref name="ranks"/> ranks.</summary>
    /// <exception cref="OptionException">A value is out of range, or the global batch does not split evenly over the ranks.</exception>
    public ScalingBenchOptions Validate(int ranks)
    {
        TransformerConfig.Preset(Preset);
        OptionException.CheckRange(nameof(GlobalBatch), GlobalBatch, 1, 65_536);
        OptionException.CheckRange(nameof(Threads), Threads, 1, 1024);
        OptionException.CheckRange(nameof(Warmup), Warmup, 0, 100_000);
        OptionException.CheckRange(nameof(Repeats), Repeats, 1, 100_000);
        if (GlobalBatch % ranks != 0)
            throw new OptionException(nameof(GlobalBatch), $"GlobalBatch {GlobalBatch} does not split evenly over {ranks} ranks; use a multiple of {ranks}.");
        return this;
    }
}

/// <summary>One measured layout (medians over the measured steps; the slowest rank's where ranks differ).</summary>
/// <param name="Ranks">Processes (MPI ranks).</param>
/// <param name="ThreadsPerRank">libtorch threads of each.</param>
/// <param name="GlobalBatch">Sequences per step over all ranks.</param>
/// <param name="SequenceLength">Tokens per sequence.</param>
/// <param name="FwdBwdMs">Forward, loss and backward of a rank's share.</param>
/// <param name="AllReduceMs">Averaging the gradients across ranks (includes waiting for the slowest rank); 0 for one process.</param>
/// <param name="UpdateMs">Clipping and the optimizer step.</param>
/// <param name="StepMs">Median whole step.</param>
/// <param name="TokensPerSecond">GlobalBatch × SequenceLength / StepMs.</param>
public sealed record ScalingBenchResult(int Ranks, int ThreadsPerRank, int GlobalBatch, int SequenceLength, double FwdBwdMs, double AllReduceMs,
                                        double UpdateMs, double StepMs, double TokensPerSecond)
{
    /// <summary>"2 ranks × 1 thread", "1 process × 2 threads".</summary>
    public string Layout => (Ranks == 1 ? "1 process" : $"{Ranks} ranks") + $" × {ThreadsPerRank} thread{(ThreadsPerRank == 1 ? "" : "s")}";
}

/// <summary>
/// Data-parallel scaling on the CPU: the trainer's own step (<see cref="TrainStep"/>, fused AdamW, clipping, and the
/// MPI gradient all-reduce when launched by <c>mpirun</c>) on random tokens, at one global batch split over the ranks.
/// Comparing N ranks × 1 thread with 1 process × N threads at the same global batch shows what MPI costs or gains.
/// </summary>
public static class ScalingBenchmark
{
    private const double LearningRate = 6e-4;

    /// <summary>Runs the measurement on this process's rank of <paramref name="ranks"/>; every rank must call it.</summary>
    public static ScalingBenchResult Run(ScalingBenchOptions options, Communicator ranks, CancellationToken ct = default)
    {
        options.Validate(ranks.Size);
        var config = TransformerConfig.Preset(options.Preset);
        var device = CPU;
        using var runtime = TorchRuntime.Configure(options.Threads, tf32: null);
        TorchScriptKernels.EnsureCompiled();
        manual_seed(options.Seed);                                   // the same weights on every rank
        using var model = new Transformer(config);
        model.train();
        using var optimizer = OptimizerFactory.Create(OptimizerKind.Fused, model, new AdamWSettings(), LearningRate);
        PhaseTimer? timer = null;
        using var step = new TrainStep(model, model.Precision, optimizer, new TrainStepOptions(GradAccum: 1, Clip: 1.0, ScalarType.Float32), device,
            OptimizerFactory.ClipGradNorm, phase => timer!.Mark(phase)) { Communicator = ranks };

        var batch = options.GlobalBatch / ranks.Size;
        var t = config.BlockSize;
        manual_seed(options.Seed + 1 + ranks.Rank);                  // each rank its own tokens
        var batches = Enumerable.Range(0, 4).Select(_ => randint(0, config.VocabSize, [batch, t + 1], dtype: ScalarType.Int64).DetachFromDisposeScope()).ToArray();
        var n = 0;
        var samples = BenchLoop.Run(device, options.Warmup, options.Repeats, phaseTimer =>
        {
            timer = phaseTimer;
            var tokens = batches[n % batches.Length];
            step.Run(n++, LearningRate, _ =>
            {
                var logits = model.forward(tokens[.., ..t]);
                return nn.functional.cross_entropy(logits.reshape(-1, config.VocabSize), tokens[.., 1..].reshape(-1));
            });
        }, ct);
        foreach (var b in batches) b.Dispose();

        double Slowest(double ms) => ranks.Size == 1 ? ms : ranks.AllReduce(ms, ReduceOp.Max);
        var stepMs = Slowest(samples.MedianTotal);
        var allReduce = ranks.Size == 1 ? 0 : Slowest(samples.Median(TrainStep.AllReduce));
        return new ScalingBenchResult(ranks.Size, options.Threads, options.GlobalBatch, t, Slowest(samples.Median(TrainStep.ForwardBackward)), allReduce,
            Slowest(samples.Median(TrainStep.Clipping) + samples.Median(TrainStep.Update)), stepMs, options.GlobalBatch * (double)t / (stepMs / 1000));
    }

    /// <summary>The results as a table (one row per layout).</summary>
    public static BenchTable ToTable(string preset, IEnumerable<ScalingBenchResult> results)
    {
        var table = new BenchTable("bench scaling", "preset", "layout", "global batch×T", "fwd+bwd ms", "all-reduce ms", "clip+optimizer ms",
                                   "step ms (median)", "tokens/s", "all-reduce % of step");
        foreach (var r in results)
            table.AddRow([preset, r.Layout, $"{r.GlobalBatch}×{r.SequenceLength}", r.FwdBwdMs, r.AllReduceMs, r.UpdateMs, r.StepMs,
                          (long)Math.Round(r.TokensPerSecond), 100 * r.AllReduceMs / r.StepMs]);
        return table;
    }
}
