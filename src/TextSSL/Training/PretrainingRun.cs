using System.Diagnostics;
using System.Globalization;
using TextSSL.Distributed;
using TextSSL.Interop;
using TextSSL.Modeling;
using TextSSL.Pretext;
using TextSSL.Runtime;
using TextSSL.Tokenization;
using TextSSL.Training.Optimization;
using TorchSharp;
using static TorchSharp.torch;

namespace TextSSL.Training;

/// <summary>
/// One pretraining run, read top to bottom like nanoGPT's <c>train.py</c>: runtime → data → model → resume →
/// loop (evaluate and checkpoint → one <see cref="TrainStep"/> → log → stop) → result.
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
    private Communicator _ranks = Communicator.SingleProcess;   // data-parallel ranks of the current run (see Distributed below)
    private SourceCheckpoint? _source;      // continued pretraining: where shape, tokenizer (and weights) come from
    private string? _importDirectory;       // continued from a Hugging Face directory: its import, removed when the run ends
    private IReadOnlyList<string> _importNotes = [];   // what that import approximated or skipped, reported when the run starts

    /// <summary>Checks the options; nothing is loaded until <see cref="Run"/>.</summary>
    /// <exception cref="OptionException">An option is out of range.</exception>
    public PretrainingRun(PretrainingOptions options) => _options = options.Validate();

    /// <summary>The model being trained (set once the run has started; disposed with the run).</summary>
    public Transformer? Model { get; private set; }

    /// <summary>The tokenizer of the data (set once the run has started).</summary>
    public TextTokenizer? Tokenizer { get; private set; }

    /// <summary>Runs on a dedicated thread; see <see cref="Run"/>.</summary>
    public Task<TrainingResult> RunAsync(CancellationToken cancellationToken = default, IProgress<TrainingUpdate>? progress = null) =>
        Task.Factory.StartNew(() => Run(cancellationToken, progress), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    /// <summary>
    /// Trains to <see cref="OptimizationOptions.Steps"/> (or resumes and continues). Cancellation stops at the next
    /// step boundary and writes <c>last/</c>; the result then has <see cref="TrainingResult.Completed"/> false.
    /// libtorch's thread count and TF32 setting are those of <see cref="PretrainingOptions.Runtime"/> during the run and
    /// restored after it.
    /// </summary>
    /// <exception cref="TextSslException">Bad data or options, a checkpoint that does not fit, a loss that became NaN or infinite, or a batch too large for memory.</exception>
    /// <remarks>
    /// Launched by <c>mpirun</c> (and <see cref="RuntimeOptions.Distributed"/> Auto), the run is one rank of a
    /// data-parallel job; a failure on any rank then ends every rank (see <see cref="RunAsRank"/>).
    /// </remarks>
    public TrainingResult Run(CancellationToken cancellationToken = default, IProgress<TrainingUpdate>? progress = null)
    {
        _ranks = Communicator.ForProcess(_options.Runtime.Distributed);
        try { return _ranks.UsesMpi ? RunAsRank(cancellationToken, progress) : RunOnce(cancellationToken, progress); }
        finally { RemoveImport(); }
    }

    private TrainingResult RunOnce(CancellationToken cancellationToken, IProgress<TrainingUpdate>? progress)
    {
        var o = _options;
        var steps = o.Optimization.Steps;

        // 1) runtime: device, dtype, threads and TF32 for this run only
        var device = DeviceSelector.Resolve(o.Runtime.Device);
        CheckRanksDevice(device);
        using var runtime = TorchRuntime.Configure(o.Runtime.Threads, device.type == DeviceType.CUDA ? o.Runtime.Tf32 : null);
        var dtype = o.Runtime.Dtype.Resolve(device);

        // the output directory: writable, and this run's alone until it ends (a second run into it fails at once, naming
        // this one); rank 0 alone writes the run, so under mpirun it alone checks and holds the directory
        if (_ranks.IsRoot) OutputChecks.EnsureWritable(o.OutputDirectory, nameof(PretrainingOptions.OutputDirectory));
        using var outputLock = _ranks.IsRoot ? OutputLock.Acquire(o.OutputDirectory, "train") : null;

        // 2) data and pretext task
        var (data, task) = OpenData();

        // 3) model shape and sequence length; the CPU's matmul library for a model this wide (restored after the run)
        var (config, block) = ModelShape(task, data);
        using var cpuMatmul = device.type == DeviceType.CPU ? TorchRuntime.Configure(null, null, o.Runtime.CpuMatmul, config.Dim) : null;

        // 4) where the run starts: fresh, or from out/last
        var paths = new RunPaths(Path.GetFullPath(o.OutputDirectory));
        var resumed = ResumePointOnRanks(paths, config, task, data);

        // 5) model, optimizer and the training step (resumed state restored exactly)
        manual_seed(o.Runtime.Seed);
        var model = Model = new Transformer(config);
        if (resumed is not null) model.load(Path.Combine(paths.Last, ModelCheckpoint.WeightsFile), strict: true);
        else if (_source is { LoadWeights: true } source) LoadSourceWeights(model, source);
        model.to(device);
        model.train();
        var schedule = o.Optimization.Schedule();
        var trainable = task is ContrastiveTask contrastive ? contrastive.Trainable(model, device) : model;   // + a training-only head
        using var optimizer = OptimizerFactory.Create(o.Optimization.Optimizer, trainable, new AdamWSettings(o.Optimization.WeightDecay, o.Optimization.Beta1, o.Optimization.Beta2), schedule.At(0));
        using var step = new TrainStep(trainable, model.Precision, optimizer, new TrainStepOptions(o.Optimization.GradAccum, o.Optimization.Clip, dtype), device) { Communicator = _ranks };
        var state = new LoopState();
        if (resumed is not null) Restore(state, resumed, paths, optimizer, task);
        using var metrics = _ranks.IsRoot ? new MetricsLog(Path.Combine(paths.Root, "metrics.csv"), resumed?.Step) : MetricsLog.Discard(Path.Combine(paths.Root, "metrics.csv"));
        if (!_ranks.IsRoot) progress = null;
        if (_ranks.IsRoot) RunConfig.Save(paths.Root, o);
        var run = new RunContext(device, dtype, data, task, config, block, model, optimizer, step, schedule, metrics, paths, progress,
                                 TokensPerStep: (long)o.Optimization.BatchSize * block * o.Optimization.GradAccum * _ranks.Size,
                                 FlopsPerToken: config.FlopsPerToken(model.ParameterCount, block),
                                 PeakTflops: o.Evaluation.PeakTflops ?? PeakFlops.ForDevice(device, dtype));
        Report(run, TrainingUpdateKind.Started, state.Step, Describe(run, resumed is null ? "starting" : $"resuming at step {state.Step}") + DescribeRanks(resumed) + DescribeDataCheck(resumed, data));

        // 6) the loop: evaluate and checkpoint → stop? → one step → log
        while (true)
        {
            if ((state.Step % o.Evaluation.EvalEvery == 0 || state.Step == steps) && state.EvaluatedStep != state.Step)
                EvaluateAndCheckpoint(run, state);
            if (state.Step >= steps)
            {
                state.Completed = true;
                break;
            }
            if (StopRequested(cancellationToken) || o.StopAfter == state.Step)
            {
                CheckpointIfUnsaved(run, state);
                break;
            }
            TrainOneStep(run, state);
            if (state.Step % o.Evaluation.LogEvery == 0 || state.Step == steps) Log(run, state);
        }

        // 7) the result
        var median = Stats.SteadyMedian(state.IntervalMs);
        double? ms = double.IsNaN(median) ? null : median;
        return new TrainingResult(state.Step, state.Completed, paths.Last, state.Best is null ? null : paths.Best, state.LastEval, state.Best, ms,
            ms is { } m ? run.TokensPerStep / (m / 1000) : null, model.ParameterCount, metrics.Path);
    }

    // ---- set-up stages -------------------------------------------------------------------------------------------

    private (TrainingData Data, IPretextTask Task) OpenData()
    {
        var o = _options;
        var source = _source = ContinuedFrom();
        var data = o.Dataset ?? (source is null
            ? TrainingData.Load(o.Data!, o.Tokenizer, o.ValidationFraction, PretextTasks.CharTokenizerRoles(o.TaskName))
            : LoadForSource(source));
        if (source is not null && data.Tokenizer.Fingerprint != source.Info.TokenizerFingerprint)
            throw new OptionException([nameof(PretrainingOptions.Tokenizer), nameof(PretrainingOptions.InitFrom)],
                $"InitFrom: the data's tokenizer ({data.Tokenizer.Fingerprint}) differs from the checkpoint's in '{source.Name}' ({source.Info.TokenizerFingerprint}); " +
                "a continued model reads only its own tokenizer's ids, so encode the data with it (leave Tokenizer unset).");
        Tokenizer = data.Tokenizer;
        try
        {
            var task = o.CustomTask?.Invoke(data.Tokenizer)
                       ?? PretextTasks.Create(o.TaskName, data.Tokenizer, o.Runtime.Seed, o.Sampling, o.Masking, o.Contrastive, source?.Info.Model.Kind, o.Packing);
            return (data, task);
        }
        catch (TextSslException ex) when (source is not null && (ex is not OptionException option || option.Option == nameof(PretrainingOptions.Tokenizer)))
        {
            throw new OptionException([nameof(PretrainingOptions.Task), nameof(PretrainingOptions.InitFrom), .. (ex as OptionException)?.Options ?? []],
                $"InitFrom: the tokenizer of '{source.Name}' does not suit Task {o.Task}: {ex.Message}");
        }
    }

    /// <summary>
    /// Where a continued run's model comes from: <c>InitFrom</c>, or, when resuming a continued run, its own <c>last/</c>
    /// (weights then come from the resume). <paramref name="Name"/> is what messages call it: the directory, or the Hugging
    /// Face directory that <paramref name="Directory"/> was imported from.
    /// </summary>
    private sealed record SourceCheckpoint(string Directory, CheckpointInfo Info, bool LoadWeights, string Name);

    private SourceCheckpoint? ContinuedFrom()
    {
        var o = _options;
        if (o.InitFrom is { } hf && HuggingFaceImport.IsModelDirectory(hf))
        {
            // A Hugging Face directory is imported into a private checkpoint for this run (each rank its own), then read like any other.
            _importDirectory = System.IO.Directory.CreateTempSubdirectory("textssl-init-from-").FullName;
            var imported = Path.Combine(_importDirectory, "checkpoint");
            try { _importNotes = HuggingFaceImport.Import(hf, imported).Notes; }
            catch (OptionException ex) when (ex.Option == nameof(HuggingFaceImportOptions.AllowApproximateGelu))
            {
                throw new OptionException([nameof(PretrainingOptions.InitFrom), nameof(HuggingFaceImportOptions.AllowApproximateGelu)],
                    $"InitFrom: {ex.Message.Split(';')[0]}, which TextSSL runs as the exact GELU; import '{hf}' into a checkpoint with AllowApproximateGelu and give that checkpoint as InitFrom.", ex);
            }
            catch (TextSslException ex)
            {
                throw new OptionException([nameof(PretrainingOptions.InitFrom), .. (ex as OptionException)?.Options ?? []],
                    $"InitFrom: the Hugging Face directory '{hf}' cannot be imported: {ex.Message.TrimEnd('.')}.", ex);
            }
            return new SourceCheckpoint(imported, ModelCheckpoint.ReadInfo(imported), LoadWeights: true, hf);
        }
        if (o.InitFrom is { } from)
        {
            string dir;
            try { dir = ModelCheckpoint.Resolve(from); }
            catch (TextSslException ex) when (ex is not OptionException)
            {
                throw new OptionException(nameof(PretrainingOptions.InitFrom), $"InitFrom: '{from}' holds no checkpoint (no {ModelCheckpoint.InfoFile} there, nor in best/ or last/); give a checkpoint directory or a run's output directory.");
            }
            return new SourceCheckpoint(dir, ModelCheckpoint.ReadInfo(dir), LoadWeights: true, dir);
        }
        if (!o.Resume || TrainingCheckpoint.FindLast(Path.GetFullPath(o.OutputDirectory)) is not { } last) return null;
        return TrainingCheckpoint.ReadState(last).Options.InitFrom is null ? null : new SourceCheckpoint(last, ModelCheckpoint.ReadInfo(last), LoadWeights: false, last);
    }

    private TrainingData LoadForSource(SourceCheckpoint source)
    {
        var o = _options;
        var tokenizer = TokenizerStore.Load(Path.Combine(source.Directory, ModelCheckpoint.TokenizerDirectory));
        if (o.Tokenizer != "char" && TokenizerStore.Open(o.Tokenizer).Fingerprint != tokenizer.Fingerprint)
            throw new OptionException([nameof(PretrainingOptions.Tokenizer), nameof(PretrainingOptions.InitFrom)],
                $"InitFrom: Tokenizer '{o.Tokenizer}' differs from the tokenizer of the checkpoint in '{source.Name}'; a continued model keeps its tokenizer, so leave Tokenizer unset.");
        try { return TrainingData.Load(o.Data!, tokenizer, o.ValidationFraction); }
        catch (OptionException ex) when (ex.Options.Contains(nameof(PretrainingOptions.Tokenizer)))
        {
            throw new OptionException([nameof(PretrainingOptions.Data), nameof(PretrainingOptions.InitFrom)],
                $"InitFrom: the shards in '{o.Data}' were encoded with another tokenizer than the checkpoint's in '{source.Name}'; prepare them with the checkpoint's tokenizer ({(source.Name == source.Directory ? $"{source.Directory}/{ModelCheckpoint.TokenizerDirectory}" : $"the tokenizer files in {source.Name}")}) or give plain text.");
        }
    }

    private static void LoadSourceWeights(Transformer model, SourceCheckpoint source)
    {
        ModelCheckpoint.VerifyWeights(source.Directory, source.Info);   // a damaged model.bin is named before it is read
        try { model.load(Path.Combine(source.Directory, ModelCheckpoint.WeightsFile), strict: true); }
        catch (Exception ex) when (ex is not TextSslException)
        {
            throw new OptionException(nameof(PretrainingOptions.InitFrom), $"InitFrom: '{source.Directory}/{ModelCheckpoint.WeightsFile}' is missing, corrupt or does not match its {ModelCheckpoint.InfoFile} ({FirstLine(ex.Message)}).");
        }
    }

    private (TransformerConfig Config, int Block) ModelShape(IPretextTask task, TrainingData data)
    {
        var o = _options;
        var config = _source is { } source
            ? o.ContinuedModelConfig(source.Info.Model, task.ModelKind, source.Name)
            : o.ModelConfig(task.ModelKind, data.Tokenizer.VocabSize);
        var block = o.Optimization.BlockSize ?? config.BlockSize;
        if (block > config.BlockSize)
            throw new OptionException([nameof(OptimizationOptions.BlockSize), nameof(ModelShapeOptions.Context)],
                $"BlockSize {block} is larger than the model's {config.BlockSize} positions (preset {o.Model.Preset}). " +
                $"Use BlockSize {config.BlockSize} or less, or widen the model with Context {block}.");
        task.Validate(data.Train, block, "training");
        task.Validate(data.Validation, block, "validation");
        return (config, block);
    }

    /// <summary>The checkpoint's trainer state when resuming (after checking it fits these options); null for a fresh run.</summary>
    private TrainerState? ResumePoint(RunPaths paths, TransformerConfig config, IPretextTask task, TrainingData data)
    {
        if (_ranks.IsRoot) Directory.CreateDirectory(paths.Root);
        var last = TrainingCheckpoint.FindLast(paths.Root);
        string[] names = [nameof(PretrainingOptions.Resume), nameof(PretrainingOptions.OutputDirectory)];
        if (!_options.Resume)
        {
            if (last is null) return null;
            throw new OptionException(names, $"'{paths.Root}' already holds a run (checkpoint at step {ModelCheckpoint.ReadInfo(last).Step}). " +
                                             "Set Resume to continue it, or choose another OutputDirectory.");
        }
        if (last is null)
            throw new OptionException(names, $"Resume: '{paths.Root}' holds no checkpoint to resume (no last/model.json). " +
                                             "Start without Resume, or point OutputDirectory at the run to continue.");
        var state = TrainingCheckpoint.ReadState(last);
        var info = ModelCheckpoint.ReadInfo(last);
        CheckResumable(last, info, state, config, task, data);
        ModelCheckpoint.VerifyWeights(last, info);   // a damaged model.bin stops here, naming the file, before training on it
        return state;
    }

    private void Restore(LoopState s, TrainerState resumed, RunPaths paths, IParameterOptimizer optimizer, IPretextTask task)
    {
        // Re-seed first so CUDA generators get fresh streams; the CPU generator is then restored exactly.
        manual_seed(_options.Runtime.Seed + resumed.Step);
        TrainingCheckpoint.RestoreOptimizerAndRng(paths.Last, optimizer);
        task.LoadState(resumed.TaskState);
        (s.Step, s.EvaluatedStep, s.Best, s.BestStep, s.TokensSeen) = (resumed.Step, resumed.EvaluatedStep, resumed.BestValidationLoss, resumed.BestStep, resumed.TokensSeen);
        (s.SavedStep, s.LastGood) = (resumed.Step, paths.Last);
    }

    // ---- loop stages ---------------------------------------------------------------------------------------------

    private void EvaluateAndCheckpoint(RunContext r, LoopState s)
    {
        ThrowIfDiverged(r, s);
        var ev = Evaluation.Evaluate(r.Model, r.Task, r.Data.Validation, _options.Optimization.BatchSize, r.Block, r.Device,
                                     _options.Evaluation.EvalBatches * _ranks.Size, _ranks);
        if (!double.IsFinite(ev.Loss)) throw Diverged($"the validation loss is {ev.Loss} at step {s.Step}", s);
        (s.EvaluatedStep, s.LastEval) = (s.Step, ev);
        var row = new MetricsRow
        {
            Step = s.Step, Kind = "eval", ValidationLoss = ev.Loss, ValidationPerplexity = ev.Perplexity,
            ValidationAccuracy = ev.Accuracy, ElapsedSeconds = s.Clock.Elapsed.TotalSeconds,
        };
        r.Metrics.Write(row);
        Report(r, TrainingUpdateKind.Eval, s.Step,
            $"eval step {s.Step}: {ev.Describe()}{(ev.Accuracy is { } a ? $", masked accuracy {a:P1}" : "")} over {ev.Tokens:N0} {ev.CountName}", row);
        if (s.Best is null || ev.Loss < s.Best)
        {
            (s.Best, s.BestStep) = (ev.Loss, s.Step);
            Save(r, s, r.Paths.Best, ev.Loss);
        }
        Save(r, s, r.Paths.Last, ev.Loss);
    }

    private void CheckpointIfUnsaved(RunContext r, LoopState s)
    {
        if (s.SavedStep == s.Step) return;
        ThrowIfDiverged(r, s);
        Save(r, s, r.Paths.Last, null);
    }

    private void TrainOneStep(RunContext r, LoopState s)
    {
        var (batchSize, accum) = (_options.Optimization.BatchSize, _options.Optimization.GradAccum);
        s.LearningRate = r.Schedule.At(s.Step);
        s.TrainWatch.Start();
        try
        {
            FailForTest(s.Step);
            r.Step.Run(s.Step, s.LearningRate, _ => MicroBatchLoss(r, batchSize));
        }
        catch (Exception ex) when (IsOutOfMemory(ex))
        {
            throw new OptionException([nameof(OptimizationOptions.BatchSize), nameof(OptimizationOptions.GradAccum)],
                $"a micro-batch of {batchSize} × {r.Block} tokens does not fit in {r.Device} memory ({FirstLine(ex.Message)}). Use a smaller BatchSize and keep " +
                $"the effective batch with gradient accumulation, e.g. BatchSize {Math.Max(1, batchSize / 2)} with GradAccum {accum * 2}.");
        }
        s.TrainWatch.Stop();
        s.Step++;
        s.IntervalSteps++;
        s.TokensSeen += r.TokensPerStep;
    }

    /// <summary>The only host reads of the loop: mean loss, gradient norm and the NaN check, once per log interval.</summary>
    private void Log(RunContext r, LoopState s)
    {
        s.TrainWatch.Start();
        var meanLoss = r.Step.ReadMeanLoss();
        s.TrainWatch.Stop();
        ThrowIfDiverged(r, s);
        var seconds = s.TrainWatch.Elapsed.TotalSeconds;
        var ms = seconds * 1000 / s.IntervalSteps;
        var tokensPerSecond = s.IntervalSteps * r.TokensPerStep / seconds;
        s.IntervalMs.Add(ms);
        var row = new MetricsRow
        {
            Step = s.Step, Kind = "train", Loss = meanLoss, LearningRate = s.LearningRate, GradNorm = r.Step.ReadGradNorm(),
            TokensPerSecond = tokensPerSecond, MillisecondsPerStep = ms,
            Mfu = r.PeakTflops is { } peak ? PeakFlops.Mfu(r.FlopsPerToken, tokensPerSecond, peak) : null,
            ElapsedSeconds = s.Clock.Elapsed.TotalSeconds,
        };
        r.Metrics.Write(row);
        var steps = _options.Optimization.Steps;
        Report(r, TrainingUpdateKind.Train, s.Step,
            string.Create(CultureInfo.InvariantCulture, $"step {s.Step}/{steps} | loss {meanLoss:F4} | lr {s.LearningRate:0.000e+0} | grad norm {row.GradNorm:F2} | {ms:F1} ms/step | {tokensPerSecond:N0} tok/s{(row.Mfu is { } m ? $" | MFU {m:P1}" : "")}"),
            row, TimeSpan.FromMilliseconds(ms * (steps - s.Step)));
        s.IntervalSteps = 0;
        s.TrainWatch.Reset();
    }

    private void Save(RunContext r, LoopState s, string dir, double? validationLoss)
    {
        var trainerState = new TrainerState(1, s.Step, s.EvaluatedStep, s.Best, s.BestStep, s.TokensSeen, r.Task.Name, r.Task.SaveState(),
            r.Data.Train.Count, r.Data.Validation.Count, r.Data.Description, _options, _ranks.Size, r.Data.Fingerprint);
        if (_ranks.IsRoot) TrainingCheckpoint.Save(dir, r.Model, r.Data.Tokenizer, r.Optimizer, trainerState, validationLoss);
        if (dir == r.Paths.Last) (s.SavedStep, s.LastGood) = (s.Step, r.Paths.Last);
        Report(r, TrainingUpdateKind.Checkpoint, s.Step, $"checkpoint step {s.Step} → {dir}");
    }

    // ---- data-parallel ranks (one rank per process under mpirun; no-ops in a single process) -----------------------

    /// <summary>
    /// Runs as one rank of an MPI job. An exception cannot be handed to the caller alone: the other ranks would wait in
    /// their next collective for ever. The failing rank therefore prints its one-line message, prefixed with its rank,
    /// to stderr and ends every rank through MPI_Abort (a non-zero exit of mpirun).
    /// </summary>
    private TrainingResult RunAsRank(CancellationToken cancellationToken, IProgress<TrainingUpdate>? progress)
    {
        try { return RunOnce(cancellationToken, progress); }
        catch (Exception ex)
        {
            Console.Error.WriteLine($"rank {_ranks.Rank} of {_ranks.Size}: error: {FirstLine(ex.Message)}");
            _ranks.Abort(1);
            throw;
        }
    }

    private void CheckRanksDevice(Device device)
    {
        if (_ranks.Size > 1 && device.type != DeviceType.CPU)
            throw new OptionException(nameof(RuntimeOptions.Device),
                $"data-parallel training on {device.type} needs NCCL, which is not supported yet; run the {_ranks.Size} ranks with Device cpu, or one process on the GPU.");
    }

    /// <summary>Rank 0 repairs and reads the checkpoint first; the other ranks read it once it has (a shared file system is needed to resume).</summary>
    private TrainerState? ResumePointOnRanks(RunPaths paths, TransformerConfig config, IPretextTask task, TrainingData data)
    {
        if (_ranks.Size == 1) return ResumePoint(paths, config, task, data);
        TrainerState? state = null;
        if (_ranks.IsRoot) state = ResumePoint(paths, config, task, data);
        _ranks.Barrier();
        if (!_ranks.IsRoot) state = ResumePoint(paths, config, task, data);
        return state;
    }

    /// <summary>
    /// The loss of this rank's slice of the global batch. Every rank's sampler (seeded alike) draws the same global batch
    /// of Size × BatchSize rows and keeps rows [Rank·BatchSize, (Rank+1)·BatchSize), so N ranks × BatchSize see exactly
    /// the batches one process sees with N × BatchSize. The slice's loss sum is divided by the global target count / N:
    /// averaging the ranks' gradients then gives the gradient of the global mean loss, also when slices hold different
    /// numbers of targets (masked-LM).
    /// </summary>
    private Tensor MicroBatchLoss(RunContext r, int batchSize)
    {
        if (_ranks.Size == 1)
            return r.Task.Compute(r.Model, r.Task.NextBatch(r.Data.Train, batchSize, r.Block).To(r.Device), withAccuracy: false).MeanLoss();
        using var global = r.Task.NextBatch(r.Data.Train, batchSize * _ranks.Size, r.Block);
        var share = Math.Max(1.0, global.TargetCount) / _ranks.Size;
        var slice = SliceRows(global, _ranks.Rank * batchSize, batchSize).To(r.Device);
        return r.Task.Compute(r.Model, slice, withAccuracy: false).LossSum / share;
    }

    private static PretextBatch SliceRows(PretextBatch batch, long start, long rows)
    {
        var targets = batch.Targets.narrow(0, start, rows).clone();
        var count = targets.ne(PretextBatch.IgnoreIndex).sum().item<long>();
        return new PretextBatch(batch.Inputs.narrow(0, start, rows).clone(), targets, batch.PaddingMask?.narrow(0, start, rows).clone(), count,
                                batch.DocumentIds?.narrow(0, start, rows).clone(), batch.PositionIds?.narrow(0, start, rows).clone());
    }

    /// <summary>Stops every rank at the same step: a stop asked of any rank (Ctrl-C reaches them at different moments) stops all.</summary>
    private bool StopRequested(CancellationToken cancellationToken)
    {
        var local = cancellationToken.IsCancellationRequested ? 1L : 0L;
        return (_ranks.Size == 1 ? local : _ranks.AllReduce(local, ReduceOp.Max)) != 0;
    }

    /// <summary>What a data-parallel start adds to the first line, including what changes when the world size differs from the checkpoint's.</summary>
    private string DescribeRanks(TrainerState? resumed)
    {
        var b = _options.Optimization.BatchSize;
        var text = _ranks.Size == 1 ? "" : $" Data-parallel over {_ranks.Size} ranks: each trains on {b} of every {_ranks.Size * b} rows; rank 0 writes.";
        if (resumed is not null && resumed.WorldSize != _ranks.Size)
            text += $" Note: the checkpoint was trained on {resumed.WorldSize} rank(s), this run has {_ranks.Size}: the global batch is now {_ranks.Size * b} rows " +
                    $"(was {resumed.WorldSize * b}) with the same learning-rate schedule, the sampler continues where it stopped, and the run no longer repeats a {resumed.WorldSize}-rank run exactly.";
        return text;
    }

    /// <summary>
    /// Test hook (internal, for the data-parallel tests): the rank named by the environment variable
    /// <c>TEXTSSL_TEST_FAIL_RANK</c> fails at step 2, to show that one failing rank ends all of them with its message.
    /// </summary>
    private void FailForTest(long step)
    {
        if (step == 2 && _ranks.UsesMpi && Environment.GetEnvironmentVariable("TEXTSSL_TEST_FAIL_RANK") is { } rank && rank == _ranks.Rank.ToString(CultureInfo.InvariantCulture))
            throw new TextSslException($"injected failure at step {step} (TEXTSSL_TEST_FAIL_RANK={rank}).");
    }

    // ---- checks and messages -------------------------------------------------------------------------------------

    private static void ThrowIfDiverged(RunContext r, LoopState s)
    {
        if (r.Step.FirstNonFiniteStep() is { } bad) throw Diverged($"the training loss became NaN or infinite at step {bad}", s);
    }

    private static void CheckResumable(string dir, CheckpointInfo info, TrainerState state, TransformerConfig config, IPretextTask task, TrainingData data)
    {
        if (info.Task != task.Name || state.Task != task.Name)
            throw new OptionException([nameof(PretrainingOptions.Task), nameof(PretrainingOptions.OutputDirectory)],
                $"Resume: the checkpoint in '{dir}' was trained with task '{info.Task}', not '{task.Name}'. Resume with Task {info.Task}, or start a new OutputDirectory.");
        if (info.Model != config)
            throw new OptionException([nameof(ModelShapeOptions.Preset), nameof(ModelShapeOptions.Context), nameof(ModelShapeOptions.Positions), nameof(ModelShapeOptions.Dropout), nameof(PretrainingOptions.OutputDirectory)],
                $"Resume: the checkpoint in '{dir}' holds a different model ({info.Model}) from the one these options build ({config}). " +
                "Resume with the same Preset, Context, Positions and Dropout, or start a new OutputDirectory.");
        if (info.TokenizerFingerprint != data.Tokenizer.Fingerprint)
            throw new OptionException([nameof(PretrainingOptions.Data), nameof(PretrainingOptions.Tokenizer)],
                $"Resume: the checkpoint in '{dir}' used tokenizer {info.TokenizerFingerprint}, but this run's is {data.Tokenizer.Fingerprint}. Resume with the same Data and Tokenizer.");
        if (state.TrainTokens != data.Train.Count || state.ValidationTokens != data.Validation.Count)
            throw new OptionException([nameof(PretrainingOptions.Data), nameof(PretrainingOptions.ValidationFraction)],
                $"Resume: the data differs from the checkpoint's ({state.Data}; now {data.Description}). Resume with the same Data and ValidationFraction.");
        if (state.DataFingerprint is { } recorded && data.Fingerprint is { } now && recorded != now)
            throw new OptionException([nameof(PretrainingOptions.Data), nameof(PretrainingOptions.OutputDirectory)],
                $"Resume: the data has the same size as the checkpoint's in '{dir}' but other content (the run trained on {recorded}, this Data is {now}). " +
                "Resume with the data the run started on; to go on training this model on new data, start a new OutputDirectory with InitFrom set to this run.");
    }

    /// <summary>What a resume could not check about the data (a checkpoint from before data fingerprints, or data without one).</summary>
    private static string DescribeDataCheck(TrainerState? resumed, TrainingData data) => resumed switch
    {
        null => "",
        { DataFingerprint: null } => " Note: the checkpoint records no data fingerprint (written by an earlier version), so only the data's size was checked; " +
                                     "from now on its checkpoints record this data's.",
        _ when data.Fingerprint is null => " Note: this data has no fingerprint, so only its size was checked against the checkpoint's.",
        _ => "",
    };

    private static OptionException Diverged(string what, LoopState s) =>
        new([nameof(OptimizationOptions.LearningRate), nameof(OptimizationOptions.Warmup), nameof(OptimizationOptions.Clip)],
            $"training stopped: {what}. No checkpoint was written after it; " +
            (s.LastGood is null ? "no checkpoint had been written yet. " : $"the last good checkpoint is '{s.LastGood}' (step {s.SavedStep}). ") +
            "Try a lower LearningRate, a longer Warmup or Clip 1.0, then resume from it.");

    private static bool IsOutOfMemory(Exception ex) =>
        ex is not TextSslException && (ex.Message.Contains("out of memory", StringComparison.OrdinalIgnoreCase) ||
                                       ex.Message.Contains("can't allocate memory", StringComparison.OrdinalIgnoreCase));

    private static string FirstLine(string s) => s.Split('\n')[0].Trim();

    private string Describe(RunContext r, string where)
    {
        var (c, m) = (r.Config, r.Model);
        var precision = r.Dtype == ScalarType.BFloat16 ? "bf16 (fp32 master weights)"
            : r.Device.type == DeviceType.CPU ? $"fp32 (products through {CpuMatmulChoice.Describe(TorchRuntime.CpuMatmulInUse.InUse)})" : "fp32";
        var origin = _source is { LoadWeights: true } s ? $"continued from '{s.Name}'" : $"'{_options.Model.Preset}'";
        if (_importNotes.Count > 0) origin += $" (imported: {string.Join("; ", _importNotes.Select(n => n.TrimEnd('.')))})";
        return $"{c.Kind.ToString().ToLowerInvariant()} {origin} with {m.ParameterCount:N0} parameters ({c.Layers} layers, {c.Heads} heads, {c.Dim} dims, " +
               $"{c.Positions.ToString().ToLowerInvariant()} positions, context {c.BlockSize}), task {r.Task.Name}, on {r.Device.type.ToString().ToLowerInvariant()} {precision}; " +
               $"data {r.Data.Description}; {where} of {_options.Optimization.Steps}.";
    }

    private void Report(RunContext r, TrainingUpdateKind kind, long step, string message, MetricsRow? row = null, TimeSpan? remaining = null) =>
        r.Progress?.Report(new TrainingUpdate(kind, step, _options.Optimization.Steps, message, row, remaining));

    /// <inheritdoc/>
    public void Dispose()
    {
        Model?.Dispose();
        RemoveImport();
    }

    private void RemoveImport()
    {
        if (_importDirectory is null) return;
        try { System.IO.Directory.Delete(_importDirectory, recursive: true); }
        catch (IOException) { }                 // a temporary copy: leaving it behind is harmless
        catch (UnauthorizedAccessException) { }
        _importDirectory = null;
    }

    // ---- state -----------------------------------------------------------------------------------------------------

    /// <summary>Where a run writes: the root, <c>last/</c> and <c>best/</c>.</summary>
    private sealed record RunPaths(string Root)
    {
        public string Last { get; } = Path.Combine(Root, "last");
        public string Best { get; } = Path.Combine(Root, "best");
    }

    /// <summary>What the loop works with; fixed once the run is set up.</summary>
    private sealed record RunContext(Device Device, ScalarType Dtype, TrainingData Data, IPretextTask Task, TransformerConfig Config, int Block,
        Transformer Model, IParameterOptimizer Optimizer, TrainStep Step, LearningRateSchedule Schedule, MetricsLog Metrics, RunPaths Paths,
        IProgress<TrainingUpdate>? Progress, long TokensPerStep, double FlopsPerToken, double? PeakTflops);

    /// <summary>Everything the loop changes as it goes (what a checkpoint's trainer state records, plus timing).</summary>
    private sealed class LoopState
    {
        public long Step, TokensSeen;
        public long? EvaluatedStep, BestStep, SavedStep;
        public double? Best;
        public string? LastGood;
        public EvaluationResult? LastEval;
        public bool Completed;
        public double LearningRate;
        public int IntervalSteps;
        public readonly List<double> IntervalMs = [];
        public readonly Stopwatch Clock = Stopwatch.StartNew();
        public readonly Stopwatch TrainWatch = new();
    }
}
