using System.Diagnostics;
using System.Globalization;
using TextSSL.Modeling;
using TextSSL.Pretext;
using TextSSL.Runtime;
using TextSSL.Tokenization;
using TextSSL.Training.Optimization;
using TorchSharp;
using static TorchSharp.torch;

namespace TextSSL.Training;

/// <summary>
/// One pretraining run, read top to bottom like nanoGPT's <c>train.py</c>: data → task → model → optimizer →
/// loop (learning rate → evaluate and checkpoint → micro-batches → clip → step → log → stop).
/// </summary>
/// <example>
/// <code>
/// using var run = new PretrainingRun(new PretrainingOptions { Data = "corpora/moby-dick/moby-dick.txt", OutputDirectory = "runs/moby" });
/// TrainingResult result = await run.RunAsync(cancellationToken);
/// </code>
/// </example>
public sealed class PretrainingRun : IDisposable
{
    private readonly PretrainingOptions _options;

    /// <summary>Checks the options; nothing is loaded until <see cref="Run"/>.</summary>
    /// <exception cref="TextSslException">An option is out of range.</exception>
    public PretrainingRun(PretrainingOptions options) => _options = options.Validate();

    /// <summary>The model being trained (set once the run has started; disposed with the run).</summary>
    public Transformer? Model { get; private set; }

    /// <summary>The tokenizer of the data (set once the run has started).</summary>
    public TextTokenizer? Tokenizer { get; private set; }

    /// <summary>Runs on a dedicated thread; see <see cref="Run"/>.</summary>
    public Task<TrainingResult> RunAsync(CancellationToken cancellationToken = default, IProgress<TrainingUpdate>? progress = null) =>
        Task.Factory.StartNew(() => Run(cancellationToken, progress), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    /// <summary>
    /// Trains to <see cref="PretrainingOptions.Steps"/> (or resumes and continues). Cancellation stops at the next
    /// step boundary and writes <c>last/</c>; the result then has <see cref="TrainingResult.Completed"/> false.
    /// </summary>
    /// <exception cref="TextSslException">Bad data or options, a checkpoint that does not fit, a loss that became NaN or infinite, or a batch too large for memory.</exception>
    public TrainingResult Run(CancellationToken cancellationToken = default, IProgress<TrainingUpdate>? progress = null)
    {
        var o = _options;
        TorchRuntime.EnsureLoaded();
        var device = DeviceSelector.Resolve(o.Device);
        if (o.Threads is { } threads)
        {
            if (threads < 1) throw new TextSslException($"--threads must be at least 1 (got {threads}).");
            set_num_threads(threads);
        }
        if (device.type == DeviceType.CUDA)
        {
            // TF32 products on Ampere and later: fp32 storage, 10-bit mantissa products, as PyTorch users enable.
            backends.cuda.matmul.allow_tf32 = true;
            backends.cudnn.allow_tf32 = true;
        }
        var dtype = o.Dtype switch
        {
            "bf16" => ScalarType.BFloat16,
            "fp32" => ScalarType.Float32,
            _ => device.type == DeviceType.CUDA ? ScalarType.BFloat16 : ScalarType.Float32,
        };

        // 1) data and pretext task
        var data = o.Dataset ?? TrainingData.Load(o.Data!, o.Tokenizer, o.ValidationFraction, PretextTasks.CharTokenizerRoles(o.Task));
        var tokenizer = Tokenizer = data.Tokenizer;
        var task = o.CustomTask?.Invoke(tokenizer) ?? PretextTasks.Create(o.Task, tokenizer, o.Seed, o.Sampling, o.Masking);

        // 2) model shape and sequence length
        var config = o.ModelConfig(task.ModelKind, tokenizer.VocabSize);
        var block = o.BlockSize ?? config.BlockSize;
        if (block > config.BlockSize)
            throw new TextSslException($"--block-size {block} is larger than the model's {config.BlockSize} positions (preset {o.Preset}). " +
                                       $"Use --block-size {config.BlockSize} or less, or widen the model with --context {block}.");
        task.Validate(data.Train, block, "training");
        task.Validate(data.Validation, block, "validation");

        // 3) where the run starts: fresh, or from out/last
        var outDir = Path.GetFullPath(o.OutputDirectory);
        Directory.CreateDirectory(outDir);
        var lastDir = Path.Combine(outDir, "last");
        var bestDir = Path.Combine(outDir, "best");
        var resumeFrom = TrainingCheckpoint.FindLast(outDir);
        TrainerState? resumed = null;
        if (o.Resume)
        {
            if (resumeFrom is null)
                throw new TextSslException($"--resume: '{outDir}' holds no checkpoint to resume (no last/model.json). Start without --resume, or point --out at the run to continue.");
            resumed = TrainingCheckpoint.ReadState(resumeFrom);
            CheckResumable(resumeFrom, ModelCheckpoint.ReadInfo(resumeFrom), resumed, config, task, tokenizer, data);
        }
        else if (resumeFrom is not null)
            throw new TextSslException($"'{outDir}' already holds a run (checkpoint at step {ModelCheckpoint.ReadInfo(resumeFrom).Step}). " +
                                       "Pass --resume to continue it, or choose another --out.");

        // 4) model and optimizer
        manual_seed(o.Seed);
        var model = Model = new Transformer(config);
        if (resumeFrom is not null && resumed is not null) model.load(Path.Combine(resumeFrom, ModelCheckpoint.WeightsFile), strict: true);
        model.to(device);
        model.Precision.Dtype = dtype;
        model.train();
        var parameters = model.parameters().ToList();
        var schedule = new LearningRateSchedule(o.LearningRate, o.MinLearningRate, o.Warmup, o.DecaySteps ?? o.Steps);
        using var optimizer = OptimizerFactory.Create(o.Optimizer, model, new AdamWSettings(o.WeightDecay, o.Beta1, o.Beta2), schedule.At(0));

        long step = 0, tokensSeen = 0;
        long? evaluatedStep = null, bestStep = null, savedStep = null;
        double? best = null;
        string? lastGood = null;
        if (resumeFrom is not null && resumed is not null)
        {
            // Re-seed first so CUDA generators get fresh streams; the CPU generator is then restored exactly.
            manual_seed(o.Seed + resumed.Step);
            TrainingCheckpoint.RestoreOptimizerAndRng(resumeFrom, optimizer);
            task.LoadState(resumed.TaskState);
            (step, evaluatedStep, best, bestStep, tokensSeen) = (resumed.Step, resumed.EvaluatedStep, resumed.BestValidationLoss, resumed.BestStep, resumed.TokensSeen);
            (savedStep, lastGood) = (resumed.Step, lastDir);
        }
        using var metrics = new MetricsLog(Path.Combine(outDir, "metrics.csv"), resumed?.Step);

        var tokensPerStep = (long)o.BatchSize * block * o.GradAccum;
        var flopsPerStep = Flops.PerToken(config, model.ParameterCount, block) * tokensPerStep;
        var peak = o.PeakTflops * 1e12 ?? Flops.PeakFlops(device, dtype);
        Report(progress, TrainingUpdateKind.Started, step,
            $"{config.Kind.ToString().ToLowerInvariant()} '{o.Preset}' with {model.ParameterCount:N0} parameters ({config.Layers} layers, {config.Heads} heads, {config.Dim} dims, " +
            $"{config.Positions.ToString().ToLowerInvariant()} positions, context {config.BlockSize}), task {task.Name}, on {device.type.ToString().ToLowerInvariant()} {Describe(dtype)}; " +
            $"data {data.Description}; {(resumed is null ? "starting" : $"resuming at step {step}")} of {o.Steps}.", null, null);

        // Device-side accumulators: no host read per step, only at log intervals.
        using var lossSum = tensor(0.0f, device: device);
        using var gradNorm = tensor(0.0f, device: device);
        using var firstBadStep = tensor(-1L, device: device);
        var clock = Stopwatch.StartNew();
        var trainWatch = new Stopwatch();
        var intervalSteps = 0;
        var intervalMs = new List<double>();
        EvaluationResult? lastEval = null;
        var completed = false;
        var lr = schedule.At(step);

        void Save(string dir, double? validationLoss)
        {
            var state = new TrainerState(1, step, evaluatedStep, best, bestStep, tokensSeen, task.Name, task.SaveState(),
                data.Train.Count, data.Validation.Count, data.Description, o);
            TrainingCheckpoint.Save(dir, model, tokenizer, optimizer, state, validationLoss);
            if (dir == lastDir) (savedStep, lastGood) = (step, lastDir);
            Report(progress, TrainingUpdateKind.Checkpoint, step, $"checkpoint step {step} → {dir}", null, null);
        }

        void ThrowIfDiverged()
        {
            var bad = firstBadStep.item<long>();
            if (bad >= 0) throw Diverged($"the training loss became NaN or infinite at step {bad}", lastGood, savedStep);
        }

        while (true)
        {
            // evaluate, then checkpoint last (and best)
            if ((step % o.EvalEvery == 0 || step == o.Steps) && evaluatedStep != step)
            {
                ThrowIfDiverged();
                var ev = Evaluation.Evaluate(model, task, data.Validation, o.BatchSize, block, device, o.EvalBatches);
                if (!double.IsFinite(ev.Loss)) throw Diverged($"the validation loss is {ev.Loss} at step {step}", lastGood, savedStep);
                evaluatedStep = step;
                lastEval = ev;
                var row = new MetricsRow
                {
                    Step = step, Kind = "eval", ValidationLoss = ev.Loss, ValidationPerplexity = ev.Perplexity,
                    ValidationAccuracy = ev.Accuracy, ElapsedSeconds = clock.Elapsed.TotalSeconds,
                };
                metrics.Write(row);
                Report(progress, TrainingUpdateKind.Eval, step,
                    $"eval step {step}: val loss {ev.Loss:F4}, perplexity {ev.Perplexity:F2}{(ev.Accuracy is { } a ? $", masked accuracy {a:P1}" : "")} over {ev.Tokens:N0} tokens", row, null);
                if (best is null || ev.Loss < best)
                {
                    (best, bestStep) = (ev.Loss, step);
                    Save(bestDir, ev.Loss);
                }
                Save(lastDir, ev.Loss);
            }
            if (step >= o.Steps)
            {
                completed = true;
                break;
            }
            if (cancellationToken.IsCancellationRequested || o.StopAfter == step)
            {
                if (savedStep != step)
                {
                    ThrowIfDiverged();
                    Save(lastDir, null);
                }
                break;
            }

            // one optimizer step: micro-batches → clip → update
            lr = schedule.At(step);
            trainWatch.Start();
            try
            {
                using var scope = NewDisposeScope();
                for (var micro = 0; micro < o.GradAccum; micro++)
                {
                    var batch = task.NextBatch(data.Train, o.BatchSize, block).To(device);
                    var loss = task.Compute(model, batch, withAccuracy: false).MeanLoss();     // 0-d fp32
                    (o.GradAccum == 1 ? loss : loss / o.GradAccum).backward();
                    var detached = loss.detach();
                    lossSum.add_(detached);
                    firstBadStep.masked_fill_(isfinite(detached).logical_not() & firstBadStep.lt(0), step);
                }
                if (o.Clip > 0) gradNorm.copy_(OptimizerFactory.ClipGradNorm(parameters, o.Clip));
                optimizer.Step(lr);
                optimizer.ZeroGrad();
            }
            catch (Exception ex) when (IsOutOfMemory(ex))
            {
                throw new TextSslException($"a micro-batch of {o.BatchSize} × {block} tokens does not fit in {device} memory ({FirstLine(ex.Message)}). " +
                                           $"Use a smaller --batch-size and keep the effective batch with gradient accumulation, e.g. --batch-size {Math.Max(1, o.BatchSize / 2)} --grad-accum {o.GradAccum * 2}.", ex);
            }
            trainWatch.Stop();
            step++;
            intervalSteps++;
            tokensSeen += tokensPerStep;

            // log: the only host reads of the loop
            if (step % o.LogEvery == 0 || step == o.Steps)
            {
                trainWatch.Start();
                var meanLoss = lossSum.item<float>() / (intervalSteps * o.GradAccum);
                trainWatch.Stop();
                ThrowIfDiverged();
                var seconds = trainWatch.Elapsed.TotalSeconds;
                var ms = seconds * 1000 / intervalSteps;
                intervalMs.Add(ms);
                var row = new MetricsRow
                {
                    Step = step, Kind = "train", Loss = meanLoss, LearningRate = lr,
                    GradNorm = o.Clip > 0 ? gradNorm.item<float>() : null,
                    TokensPerSecond = intervalSteps * tokensPerStep / seconds, MillisecondsPerStep = ms,
                    Mfu = peak is { } p ? flopsPerStep * intervalSteps / seconds / p : null,
                    ElapsedSeconds = clock.Elapsed.TotalSeconds,
                };
                metrics.Write(row);
                var remaining = TimeSpan.FromMilliseconds(ms * (o.Steps - step));
                Report(progress, TrainingUpdateKind.Train, step,
                    string.Create(CultureInfo.InvariantCulture, $"step {step}/{o.Steps} | loss {meanLoss:F4} | lr {lr:0.000e+0} | grad norm {row.GradNorm:F2} | {ms:F1} ms/step | {row.TokensPerSecond:N0} tok/s{(row.Mfu is { } m ? $" | MFU {m:P1}" : "")}"),
                    row, remaining);
                lossSum.zero_();
                intervalSteps = 0;
                trainWatch.Reset();
            }
        }

        // The first interval carries start-up (allocation, first-touch) costs; the median of the rest is the step time.
        var steady = intervalMs.Count > 1 ? intervalMs.Skip(1).Order().ToList() : intervalMs;
        double? median = steady.Count > 0 ? steady[steady.Count / 2] : null;
        return new TrainingResult(step, completed, lastDir, best is null ? null : bestDir, lastEval, best, median,
            median is { } md ? tokensPerStep / (md / 1000) : null, model.ParameterCount, metrics.Path);
    }

    private static void CheckResumable(string dir, CheckpointInfo info, TrainerState state, TransformerConfig config, IPretextTask task, TextTokenizer tokenizer, TrainingData data)
    {
        if (info.Task != task.Name || state.Task != task.Name)
            throw new TextSslException($"--resume: the checkpoint in '{dir}' was trained with task '{info.Task}', not '{task.Name}'. Resume with --task {info.Task}, or start a new --out.");
        if (info.Model != config)
            throw new TextSslException($"--resume: the checkpoint in '{dir}' holds a different model ({info.Model}) from the one these options build ({config}). " +
                                       "Resume with the same --preset, --context, --positions and --dropout, or start a new --out.");
        if (info.TokenizerFingerprint != tokenizer.Fingerprint)
            throw new TextSslException($"--resume: the checkpoint in '{dir}' used tokenizer {info.TokenizerFingerprint}, but this run's is {tokenizer.Fingerprint}. " +
                                       "Resume with the same --data and --tokenizer.");
        if (state.TrainTokens != data.Train.Count || state.ValidationTokens != data.Validation.Count)
            throw new TextSslException($"--resume: the data differs from the checkpoint's ({state.Data}; now {data.Description}). Resume with the same --data and split.");
    }

    private static TextSslException Diverged(string what, string? lastGood, long? savedStep) =>
        new($"training stopped: {what}. No checkpoint was written after it; " +
            (lastGood is null ? "no checkpoint had been written yet. " : $"the last good checkpoint is '{lastGood}' (step {savedStep}). ") +
            "Try a lower --lr, a longer --warmup or --clip 1.0, then resume from it with --resume.");

    private static bool IsOutOfMemory(Exception ex) =>
        ex is not TextSslException && (ex.Message.Contains("out of memory", StringComparison.OrdinalIgnoreCase) ||
                                       ex.Message.Contains("can't allocate memory", StringComparison.OrdinalIgnoreCase));

    private static string FirstLine(string s) => s.Split('\n')[0].Trim();

    private static string Describe(ScalarType dtype) => dtype == ScalarType.BFloat16 ? "bf16 (fp32 master weights)" : "fp32";

    private void Report(IProgress<TrainingUpdate>? progress, TrainingUpdateKind kind, long step, string message, MetricsRow? row, TimeSpan? remaining) =>
        progress?.Report(new TrainingUpdate(kind, step, _options.Steps, message, row, remaining));

    /// <inheritdoc/>
    public void Dispose() => Model?.Dispose();
}
