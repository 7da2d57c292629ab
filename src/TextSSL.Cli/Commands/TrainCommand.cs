using System.CommandLine;
using Spectre.Console;
using TextSSL.Modeling;
using TextSSL.Pretext;
using TextSSL.Probing;
using TextSSL.Runtime;
using TextSSL.Training;

namespace TextSSL.Cli.Commands;

/// <summary>
/// <c>textssl train</c>: pretrain a transformer with next-token (clm), masked-LM (mlm) or contrastive (SimCSE) learning
/// on text or token shards, from scratch or continuing a checkpoint (<c>--init-from</c>).
/// Every default is read from <see cref="PretrainingOptions"/> and its groups, so it is written once, there.
/// </summary>
internal static class TrainCommand
{
    public static Command Create()
    {
        // The library names options by property; these are the flags that differ from kebab-case.
        OptionFlags.Register(nameof(OptimizationOptions.LearningRate), "--lr");
        OptionFlags.Register(nameof(OptimizationOptions.MinLearningRate), "--min-lr");
        OptionFlags.Register(nameof(PretrainingOptions.OutputDirectory), "--out");
        OptionFlags.Register(nameof(PretrainingOptions.ValidationFraction), "--val-fraction");
        OptionFlags.Register(nameof(ModelShapeOptions.PadVocabTo), "--pad-vocab");
        OptionFlags.Register(PretrainingOptions.MaskProbability, "--mask-prob");

        var top = new PretrainingOptions { OutputDirectory = "" };
        var (model, opt, eval, rt) = (top.Model, top.Optimization, top.Evaluation, top.Runtime);
        var command = new Command("train",
            "Pretrain a transformer: --task clm trains a causal decoder on next-token prediction, --task mlm a bidirectional encoder on masked-LM " +
            "(15% of tokens chosen, 80% [MASK] / 10% random / 10% unchanged), --task contrastive text vectors with unsupervised SimCSE (each text twice " +
            "through the model with dropout, the other texts of the batch as negatives). --init-from continues a checkpoint with any task (domain-adaptive pretraining). AdamW (decay on matrices only), linear warmup then cosine decay, " +
            "gradient clipping and accumulation; evaluation every --eval-every steps writes OUT/last and OUT/best (by validation loss) atomically; " +
            "OUT/metrics.csv logs loss, lr, grad norm, tokens/s and MFU. Ctrl-C writes a checkpoint; --resume continues bit for bit on the CPU. " +
            "Example (nanoGPT's CPU recipe): textssl train --data corpora/moby-dick/moby-dick.txt --out runs/moby");
        var task = Choice("--task", "Pretext task: clm (next-token, decoder), mlm (masked-LM, encoder) or contrastive (SimCSE; an encoder, or the --init-from checkpoint's kind).", top.Task).Sets(nameof(PretrainingOptions.Task));
        var temperature = new Option<double>("--temperature") { Description = "contrastive: softmax temperature over cosine similarities (SimCSE's 0.05).", DefaultValueFactory = _ => top.Contrastive.Temperature }.Sets(nameof(PretrainingOptions.Contrastive), nameof(ContrastiveOptions.Temperature));
        var pooling = Choice("--pooling", "contrastive: how token states become the text's vector: mean (over real tokens), first, last (decoders) or max.", top.Contrastive.Pooling).Sets(nameof(PretrainingOptions.Contrastive), nameof(ContrastiveOptions.Pooling));
        var projection = new Option<bool>("--projection") { Description = "contrastive: train through a projection head (SimCSE's MLP) that is dropped after training.", DefaultValueFactory = _ => top.Contrastive.Projection }.Sets(nameof(PretrainingOptions.Contrastive), nameof(ContrastiveOptions.Projection));
        var initFrom = new Option<string?>("--init-from") { Description = "Start from this checkpoint's weights (a checkpoint or run directory, or a Hugging Face GPT-2 / XLM-RoBERTa-XL directory): its shape and tokenizer, a fresh optimizer and schedule." }.Sets(nameof(PretrainingOptions.InitFrom));
        var layers = new Option<int?>("--layers") { Description = "Transformer blocks (default: the preset's)." }.Sets(nameof(PretrainingOptions.Model), nameof(ModelShapeOptions.Layers));
        var heads = new Option<int?>("--heads") { Description = "Attention heads per block (default: the preset's; must divide --dim)." }.Sets(nameof(PretrainingOptions.Model), nameof(ModelShapeOptions.Heads));
        var dim = new Option<int?>("--dim") { Description = "Embedding width (default: the preset's)." }.Sets(nameof(PretrainingOptions.Model), nameof(ModelShapeOptions.Dim));
        var data = new Option<string>("--data") { Description = "Training text: a .txt file, a directory of .txt files (one document each), or a token-shard directory with manifest.json.", Required = true }.Sets(nameof(PretrainingOptions.Data));
        var tokenizer = new Option<string>("--tokenizer") { Description = "'char' (train a character tokenizer on the data), a saved tokenizer directory, or a tokenizer name.", DefaultValueFactory = _ => top.Tokenizer }.Sets(nameof(PretrainingOptions.Tokenizer));
        var preset = new Option<string>("--preset") { Description = $"Model shape: {string.Join(", ", TransformerConfig.PresetNames)}.", DefaultValueFactory = _ => model.Preset }.Sets(nameof(PretrainingOptions.Model), nameof(ModelShapeOptions.Preset));
        preset.AcceptOnlyFromAmong([.. TransformerConfig.PresetNames]);
        var steps = new Option<int>("--steps") { Description = "Optimizer steps.", DefaultValueFactory = _ => opt.Steps }.Sets(nameof(PretrainingOptions.Optimization), nameof(OptimizationOptions.Steps));
        var batch = new Option<int>("--batch-size") { Description = "Sequences per micro-batch.", DefaultValueFactory = _ => opt.BatchSize }.Sets(nameof(PretrainingOptions.Optimization), nameof(OptimizationOptions.BatchSize));
        var blockSize = new Option<int?>("--block-size") { Description = "Positions per sequence (default: the model's context; at most that).", DefaultValueFactory = _ => opt.BlockSize }.Sets(nameof(PretrainingOptions.Optimization), nameof(OptimizationOptions.BlockSize));
        var lr = new Option<double>("--lr") { Description = "Peak learning rate (after warmup).", DefaultValueFactory = _ => opt.LearningRate }.Sets(nameof(PretrainingOptions.Optimization), nameof(OptimizationOptions.LearningRate));
        var minLr = new Option<double>("--min-lr") { Description = "Learning rate at the end of the cosine decay.", DefaultValueFactory = _ => opt.MinLearningRate }.Sets(nameof(PretrainingOptions.Optimization), nameof(OptimizationOptions.MinLearningRate));
        var warmup = new Option<int>("--warmup") { Description = "Linear warmup steps.", DefaultValueFactory = _ => opt.Warmup }.Sets(nameof(PretrainingOptions.Optimization), nameof(OptimizationOptions.Warmup));
        var decay = new Option<double>("--weight-decay") { Description = "AdamW weight decay, applied to matrices and embeddings only (not to LayerNorm gains or biases).", DefaultValueFactory = _ => opt.WeightDecay }.Sets(nameof(PretrainingOptions.Optimization), nameof(OptimizationOptions.WeightDecay));
        var accum = new Option<int>("--grad-accum") { Description = "Micro-batches per optimizer step (effective batch = batch size × this).", DefaultValueFactory = _ => opt.GradAccum }.Sets(nameof(PretrainingOptions.Optimization), nameof(OptimizationOptions.GradAccum));
        var dropout = new Option<double?>("--dropout") { Description = "Dropout (default: the preset's).", DefaultValueFactory = _ => model.Dropout }.Sets(nameof(PretrainingOptions.Model), nameof(ModelShapeOptions.Dropout));
        var evalEvery = new Option<int>("--eval-every") { Description = "Evaluate on the validation split and write checkpoints every N steps (and at the end).", DefaultValueFactory = _ => eval.EvalEvery }.Sets(nameof(PretrainingOptions.Evaluation), nameof(EvaluationOptions.EvalEvery));
        var seed = CommonOptions.Seed((int)rt.Seed).Sets(nameof(PretrainingOptions.Runtime), nameof(RuntimeOptions.Seed));
        var device = CommonOptions.Device().Sets(nameof(PretrainingOptions.Runtime), nameof(RuntimeOptions.Device));
        device.DefaultValueFactory = _ => rt.Device;
        var dtype = Choice("--dtype", "auto (bf16 on CUDA, fp32 on CPU), fp32 (TF32 products on CUDA), or bf16 (bf16 products, fp32 master weights, LayerNorm/softmax/loss in fp32).", rt.Dtype).Sets(nameof(PretrainingOptions.Runtime), nameof(RuntimeOptions.Dtype));
        var output = new Option<string>("--out") { Description = "Run directory: last/, best/, metrics.csv.", Required = true }.Sets(nameof(PretrainingOptions.OutputDirectory));
        var resume = new Option<bool>("--resume") { Description = "Continue the run in --out from last/ (same data, task and model options)." }.Sets(nameof(PretrainingOptions.Resume));
        var beta1 = new Option<double>("--beta1") { Description = "AdamW beta1.", DefaultValueFactory = _ => opt.Beta1 }.Sets(nameof(PretrainingOptions.Optimization), nameof(OptimizationOptions.Beta1));
        var beta2 = new Option<double>("--beta2") { Description = "AdamW beta2.", DefaultValueFactory = _ => opt.Beta2 }.Sets(nameof(PretrainingOptions.Optimization), nameof(OptimizationOptions.Beta2));
        var clip = new Option<double>("--clip") { Description = "Clip the global gradient norm to this (0: off).", DefaultValueFactory = _ => opt.Clip }.Sets(nameof(PretrainingOptions.Optimization), nameof(OptimizationOptions.Clip));
        var logEvery = new Option<int>("--log-every") { Description = "Log a metrics row and a console line every N steps.", DefaultValueFactory = _ => eval.LogEvery }.Sets(nameof(PretrainingOptions.Evaluation), nameof(EvaluationOptions.LogEvery));
        var evalBatches = new Option<int>("--eval-batches") { Description = "At most N validation batches per evaluation during training (0: the whole split).", DefaultValueFactory = _ => eval.EvalBatches ?? 0 }.Sets(nameof(PretrainingOptions.Evaluation), nameof(EvaluationOptions.EvalBatches));
        var valFraction = new Option<double>("--val-fraction") { Description = "Fraction of plain-text tokens, from the end, held out for validation.", DefaultValueFactory = _ => top.ValidationFraction }.Sets(nameof(PretrainingOptions.ValidationFraction));
        var optimizer = Choice("--optimizer", "AdamW implementation: fused (libtorch's fused multi-tensor kernel) or torch (optim.AdamW; short runs and tests only).", opt.Optimizer).Sets(nameof(PretrainingOptions.Optimization), nameof(OptimizationOptions.Optimizer));
        var sampling = Choice("--sampling", "clm windows: random (random offsets) or sequential (seeded epochs of non-overlapping windows).", top.Sampling).Sets(nameof(PretrainingOptions.Sampling));
        var masking = Choice("--masking", "mlm unit: token, word (whole-word masking) or span (SpanBERT-style spans).", top.Masking.Unit).Sets(nameof(PretrainingOptions.Masking), nameof(MaskingOptions.Unit));
        var packing = new Option<string?>("--packing") { Description = "documents (pack whole documents per sequence, attention kept inside each) or stream (windows of the token stream). Default: documents for mlm when the tokenizer marks document ends, stream for clm." }.Sets(nameof(PretrainingOptions.Packing));
        packing.AcceptOnlyFromAmong([.. Names<SequencePacking>()]);
        var maskProb = new Option<double>("--mask-prob") { Description = "mlm: fraction of tokens chosen per sequence.", DefaultValueFactory = _ => top.Masking.Probability }.Sets(nameof(PretrainingOptions.Masking), nameof(MaskingOptions.Probability));
        var positions = new Option<string?>("--positions") { Description = "learned or rotary positions (default: the preset's)." }.Sets(nameof(PretrainingOptions.Model), nameof(ModelShapeOptions.Positions));
        positions.AcceptOnlyFromAmong([.. Names<PositionKind>()]);
        var context = new Option<int?>("--context") { Description = "Model positions (default: the preset's).", DefaultValueFactory = _ => model.Context }.Sets(nameof(PretrainingOptions.Model), nameof(ModelShapeOptions.Context));
        var peak = new Option<double?>("--peak-tflops") { Description = "Device peak for the MFU estimate, TFLOPS (default: the data-sheet peak of known GPUs; CPU: threads × 80 GFLOPS).", DefaultValueFactory = _ => eval.PeakTflops }.Sets(nameof(PretrainingOptions.Evaluation), nameof(EvaluationOptions.PeakTflops));
        var stopAfter = new Option<int?>("--stop-after") { Description = "Stop after N steps with a checkpoint, as if interrupted (the schedule still spans --steps).", DefaultValueFactory = _ => top.StopAfter }.Sets(nameof(PretrainingOptions.StopAfter));
        var padVocab = new Option<int>("--pad-vocab")
        {
            Description = "Round the model's vocabulary up to a multiple of N (64 turns GPT-2's 50,257 ids into 50,304, faster on tensor cores); padded ids are never generated.",
            DefaultValueFactory = _ => model.PadVocabTo,
        }.Sets(nameof(PretrainingOptions.Model), nameof(ModelShapeOptions.PadVocabTo));
        var untiedHead = new Option<bool>("--untied-head") { Description = "Give the output head its own matrix instead of sharing the token embedding.", DefaultValueFactory = _ => model.UntiedHead }.Sets(nameof(PretrainingOptions.Model), nameof(ModelShapeOptions.UntiedHead));
        var threads = CommonOptions.Threads().Sets(nameof(PretrainingOptions.Runtime), nameof(RuntimeOptions.Threads));
        var cpuMatmul = Choice("--cpu-matmul", "Library for fp32 products on the CPU: auto (on AMD processors with AVX-512, where libtorch's MKL runs at half speed, oneDNN for the Linear layers of models narrower than 256 and for every product from 256 wide; " +
                                               "the BLAS elsewhere; `doctor` shows the choice), blas (MKL), onednn (every product) or linear (the Linear layers' products; attention's stay in the BLAS).", rt.CpuMatmul).Sets(nameof(PretrainingOptions.Runtime), nameof(RuntimeOptions.CpuMatmul));
        Option[] all = [task, data, tokenizer, preset, steps, batch, blockSize, lr, minLr, warmup, decay, accum, dropout, evalEvery, seed, device, dtype, output, resume,
                        beta1, beta2, clip, logEvery, evalBatches, valFraction, optimizer, sampling, masking, maskProb, packing, positions, context, peak, stopAfter, padVocab, untiedHead, threads, cpuMatmul,
                        temperature, pooling, projection, initFrom, layers, heads, dim];
        foreach (var o in all) command.Options.Add(o);
        // --config FILE (a run's config.json) is the base; only flags typed on the command line override it.
        var configFile = ConfigFileOption.Add(command, "a training run's config.json", data);

        command.SetAction(async (pr, ct) =>
        {
            var options = top with
            {
                Task = Parse<TrainingTask>(pr.GetValue(task)),
                Data = pr.GetValue(data)!,
                Tokenizer = pr.GetValue(tokenizer)!,
                OutputDirectory = pr.GetValue(output)!,
                Resume = pr.GetValue(resume),
                ValidationFraction = pr.GetValue(valFraction),
                Sampling = Parse<WindowOrder>(pr.GetValue(sampling)),
                Masking = top.Masking with { Probability = pr.GetValue(maskProb), Unit = Parse<MaskingUnit>(pr.GetValue(masking)) },
                Packing = pr.GetValue(packing) is { } pk ? Parse<SequencePacking>(pk) : null,
                StopAfter = pr.GetValue(stopAfter),
                InitFrom = pr.GetValue(initFrom),
                Contrastive = top.Contrastive with { Temperature = pr.GetValue(temperature), Pooling = Parse<Pooling>(pr.GetValue(pooling)), Projection = pr.GetValue(projection) },
                Model = model with
                {
                    Preset = pr.GetValue(preset)!,
                    Context = pr.GetValue(context),
                    Layers = pr.GetValue(layers),
                    Heads = pr.GetValue(heads),
                    Dim = pr.GetValue(dim),
                    Positions = pr.GetValue(positions) is { } p ? Parse<PositionKind>(p) : null,
                    Dropout = pr.GetValue(dropout),
                    PadVocabTo = pr.GetValue(padVocab),
                    UntiedHead = pr.GetValue(untiedHead),
                },
                Optimization = opt with
                {
                    Steps = pr.GetValue(steps),
                    BatchSize = pr.GetValue(batch),
                    BlockSize = pr.GetValue(blockSize),
                    GradAccum = pr.GetValue(accum),
                    LearningRate = pr.GetValue(lr),
                    MinLearningRate = pr.GetValue(minLr),
                    Warmup = pr.GetValue(warmup),
                    WeightDecay = pr.GetValue(decay),
                    Beta1 = pr.GetValue(beta1),
                    Beta2 = pr.GetValue(beta2),
                    Clip = pr.GetValue(clip),
                    Optimizer = Parse<OptimizerKind>(pr.GetValue(optimizer)),
                },
                Evaluation = eval with
                {
                    EvalEvery = pr.GetValue(evalEvery),
                    EvalBatches = pr.GetValue(evalBatches) is 0 ? null : pr.GetValue(evalBatches),
                    LogEvery = pr.GetValue(logEvery),
                    PeakTflops = pr.GetValue(peak),
                },
                Runtime = rt with
                {
                    Device = pr.GetValue(device)!,
                    Dtype = ComputeDtypes.Parse(nameof(RuntimeOptions.Dtype), pr.GetValue(dtype)),
                    Threads = pr.GetValue(threads),
                    CpuMatmul = Parse<CpuMatmul>(pr.GetValue(cpuMatmul)),
                    Seed = pr.GetValue(seed),
                },
            };
            if (pr.GetValue(configFile) is { } configPath)
                options = RunConfig.FromJson(ConfigFileOption.Overlay(RunConfig.LoadJson(configPath), RunConfig.ToJson(options), pr), configPath);
            using var run = new PretrainingRun(options);
            var result = await TrainingConsole.RunAsync(run, options.Optimization.Steps, ct, options.OutputDirectory);
            if (!result.Completed)
            {
                AnsiConsole.MarkupLine($"[yellow]stopped at step {result.Step}[/]; checkpoint written to {Markup.Escape(result.LastCheckpoint)}. Continue with the same command plus --resume.");
                return ct.IsCancellationRequested ? 130 : 0;
            }
            var summary = result.FinalEvaluation is { } ev ? ev.Describe("final val loss") : "done";
            AnsiConsole.MarkupLine($"[green]{Markup.Escape(summary)}[/]; best {result.BestValidationLoss:F4} in {Markup.Escape(result.BestCheckpoint ?? "-")}; " +
                                   $"{result.MillisecondsPerStep:F1} ms/step; metrics in {Markup.Escape(result.MetricsFile)}.");
            return 0;
        });
        return command;
    }

    /// <summary>An option whose values are an enum's members in lower case, defaulting to <paramref name="defaultValue"/>.</summary>
    private static Option<string> Choice<TEnum>(string name, string description, TEnum defaultValue) where TEnum : struct, Enum
    {
        var option = new Option<string>(name) { Description = description, DefaultValueFactory = _ => defaultValue.ToString().ToLowerInvariant() };
        option.AcceptOnlyFromAmong([.. Names<TEnum>()]);
        return option;
    }

    private static IEnumerable<string> Names<TEnum>() where TEnum : struct, Enum => Enum.GetNames<TEnum>().Select(n => n.ToLowerInvariant());

    private static TEnum Parse<TEnum>(string? value) where TEnum : struct, Enum => Enum.Parse<TEnum>(value!, ignoreCase: true);
}
