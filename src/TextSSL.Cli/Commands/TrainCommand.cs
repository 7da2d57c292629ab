using System.CommandLine;
using Spectre.Console;
using TextSSL.Modeling;
using TextSSL.Pretext;
using TextSSL.Training;

namespace TextSSL.Cli.Commands;

/// <summary><c>textssl train</c>: pretrain a transformer with next-token (clm) or masked-LM (mlm) on text or token shards.</summary>
internal static class TrainCommand
{
    public static Command Create()
    {
        var command = new Command("train",
            "Pretrain a transformer: --task clm trains a causal decoder on next-token prediction, --task mlm a bidirectional encoder on masked-LM " +
            "(15% of tokens chosen, 80% [MASK] / 10% random / 10% unchanged). AdamW (decay on matrices only), linear warmup then cosine decay, " +
            "gradient clipping and accumulation; evaluation every --eval-every steps writes OUT/last and OUT/best (by validation loss) atomically; " +
            "OUT/metrics.csv logs loss, lr, grad norm, tokens/s and MFU. Ctrl-C writes a checkpoint; --resume continues bit for bit on the CPU. " +
            "Example (nanoGPT's CPU recipe): textssl train --data corpora/moby-dick/moby-dick.txt --out runs/moby");
        var task = new Option<string>("--task") { Description = "Pretext task: clm (next-token, decoder) or mlm (masked-LM, encoder).", DefaultValueFactory = _ => "clm" };
        task.AcceptOnlyFromAmong([.. PretextTasks.Names]);
        var data = new Option<string>("--data") { Description = "Training text: a .txt file, a directory of .txt files (one document each), or a token-shard directory with manifest.json.", Required = true };
        var tokenizer = new Option<string>("--tokenizer") { Description = "'char' (train a character tokenizer on the data), a saved tokenizer directory, or a tokenizer name.", DefaultValueFactory = _ => "char" };
        var preset = new Option<string>("--preset") { Description = $"Model shape: {string.Join(", ", TransformerConfig.PresetNames)}.", DefaultValueFactory = _ => "char-small" };
        preset.AcceptOnlyFromAmong([.. TransformerConfig.PresetNames]);
        var steps = new Option<int>("--steps") { Description = "Optimizer steps.", DefaultValueFactory = _ => 2000 };
        var batch = new Option<int>("--batch-size") { Description = "Sequences per micro-batch.", DefaultValueFactory = _ => 12 };
        var blockSize = new Option<int?>("--block-size") { Description = "Positions per sequence (default: the model's context; at most that)." };
        var lr = new Option<double>("--lr") { Description = "Peak learning rate (after warmup).", DefaultValueFactory = _ => 1e-3 };
        var minLr = new Option<double>("--min-lr") { Description = "Learning rate at the end of the cosine decay.", DefaultValueFactory = _ => 1e-4 };
        var warmup = new Option<int>("--warmup") { Description = "Linear warmup steps.", DefaultValueFactory = _ => 100 };
        var decay = new Option<double>("--weight-decay") { Description = "AdamW weight decay, applied to matrices and embeddings only (not to LayerNorm gains or biases).", DefaultValueFactory = _ => 0.1 };
        var accum = new Option<int>("--grad-accum") { Description = "Micro-batches per optimizer step (effective batch = batch size × this).", DefaultValueFactory = _ => 1 };
        var dropout = new Option<double?>("--dropout") { Description = "Dropout (default: the preset's)." };
        var evalEvery = new Option<int>("--eval-every") { Description = "Evaluate on the validation split and write checkpoints every N steps (and at the end).", DefaultValueFactory = _ => 250 };
        var seed = CommonOptions.Seed();
        var device = CommonOptions.Device();
        var dtype = new Option<string>("--dtype") { Description = "auto (bf16 on CUDA, fp32 on CPU), fp32 (TF32 products on CUDA), or bf16 (bf16 products, fp32 master weights, LayerNorm/softmax/loss in fp32).", DefaultValueFactory = _ => "auto" };
        dtype.AcceptOnlyFromAmong("auto", "fp32", "bf16");
        var output = new Option<string>("--out") { Description = "Run directory: last/, best/, metrics.csv.", Required = true };
        var resume = new Option<bool>("--resume") { Description = "Continue the run in --out from last/ (same data, task and model options)." };
        var beta1 = new Option<double>("--beta1") { Description = "AdamW beta1.", DefaultValueFactory = _ => 0.9 };
        var beta2 = new Option<double>("--beta2") { Description = "AdamW beta2.", DefaultValueFactory = _ => 0.99 };
        var clip = new Option<double>("--clip") { Description = "Clip the global gradient norm to this (0: off).", DefaultValueFactory = _ => 1.0 };
        var logEvery = new Option<int>("--log-every") { Description = "Log a metrics row and a console line every N steps.", DefaultValueFactory = _ => 10 };
        var evalBatches = new Option<int?>("--eval-batches") { Description = "At most N validation batches per evaluation during training (default 200; 0: the whole split)." };
        var valFraction = new Option<double>("--val-fraction") { Description = "Fraction of plain-text tokens, from the end, held out for validation.", DefaultValueFactory = _ => 0.1 };
        var optimizer = new Option<string>("--optimizer") { Description = $"AdamW implementation: {string.Join(", ", OptimizerFactory.Names)}.", DefaultValueFactory = _ => OptimizerFactory.Default };
        var sampling = new Option<string>("--sampling") { Description = "clm windows: random (random offsets) or sequential (seeded epochs of non-overlapping windows).", DefaultValueFactory = _ => "random" };
        sampling.AcceptOnlyFromAmong("random", "sequential");
        var masking = new Option<string>("--masking") { Description = "mlm unit: token, word (whole-word masking) or span (SpanBERT-style spans).", DefaultValueFactory = _ => "token" };
        masking.AcceptOnlyFromAmong("token", "word", "span");
        var maskProb = new Option<double>("--mask-prob") { Description = "mlm: fraction of tokens chosen per sequence.", DefaultValueFactory = _ => 0.15 };
        var positions = new Option<string?>("--positions") { Description = "learned or rotary positions (default: the preset's)." };
        positions.AcceptOnlyFromAmong("learned", "rotary");
        var context = new Option<int?>("--context") { Description = "Model positions (default: the preset's)." };
        var peak = new Option<double?>("--peak-tflops") { Description = "Device peak for the MFU estimate, TFLOPS (default: H100/H200/A100 by name; CPU: threads × 80 GFLOPS)." };
        var stopAfter = new Option<int?>("--stop-after") { Description = "Stop after N steps with a checkpoint, as if interrupted (the schedule still spans --steps)." };
        var padVocab = new Option<int>("--pad-vocab")
        {
            Description = "Round the model's vocabulary up to a multiple of N (64 turns GPT-2's 50,257 ids into 50,304, faster on tensor cores); padded ids are never generated.",
            DefaultValueFactory = _ => 1,
        };
        var untiedHead = new Option<bool>("--untied-head") { Description = "Give the output head its own matrix instead of sharing the token embedding." };
        var threads = CommonOptions.Threads();
        Option[] all = [task, data, tokenizer, preset, steps, batch, blockSize, lr, minLr, warmup, decay, accum, dropout, evalEvery, seed, device, dtype, output, resume,
                        beta1, beta2, clip, logEvery, evalBatches, valFraction, optimizer, sampling, masking, maskProb, positions, context, peak, stopAfter, padVocab, untiedHead, threads];
        foreach (var o in all) command.Options.Add(o);

        command.SetAction(async (pr, ct) =>
        {
            var evalCap = pr.GetValue(evalBatches);
            var options = new PretrainingOptions
            {
                Task = pr.GetValue(task)!,
                Data = pr.GetValue(data)!,
                Tokenizer = pr.GetValue(tokenizer)!,
                Preset = pr.GetValue(preset)!,
                Steps = pr.GetValue(steps),
                BatchSize = pr.GetValue(batch),
                BlockSize = pr.GetValue(blockSize),
                LearningRate = pr.GetValue(lr),
                MinLearningRate = pr.GetValue(minLr),
                Warmup = pr.GetValue(warmup),
                WeightDecay = pr.GetValue(decay),
                GradAccum = pr.GetValue(accum),
                Dropout = pr.GetValue(dropout),
                EvalEvery = pr.GetValue(evalEvery),
                EvalBatches = evalCap is 0 ? null : evalCap ?? 200,
                Seed = pr.GetValue(seed),
                Device = pr.GetValue(device)!,
                Dtype = pr.GetValue(dtype)!,
                OutputDirectory = pr.GetValue(output)!,
                Resume = pr.GetValue(resume),
                Beta1 = pr.GetValue(beta1),
                Beta2 = pr.GetValue(beta2),
                Clip = pr.GetValue(clip),
                LogEvery = pr.GetValue(logEvery),
                ValidationFraction = pr.GetValue(valFraction),
                Optimizer = pr.GetValue(optimizer)!,
                Sampling = pr.GetValue(sampling) == "sequential" ? WindowOrder.Sequential : WindowOrder.Random,
                Masking = new MaskingOptions(Probability: pr.GetValue(maskProb), Unit: pr.GetValue(masking) switch { "word" => MaskingUnit.Word, "span" => MaskingUnit.Span, _ => MaskingUnit.Token }),
                Positions = pr.GetValue(positions) switch { "rotary" => PositionKind.Rotary, "learned" => PositionKind.Learned, _ => null },
                Context = pr.GetValue(context),
                PeakTflops = pr.GetValue(peak),
                StopAfter = pr.GetValue(stopAfter),
                PadVocabTo = pr.GetValue(padVocab),
                UntiedHead = pr.GetValue(untiedHead),
                Threads = pr.GetValue(threads),
            };
            using var run = new PretrainingRun(options);
            var result = await TrainingConsole.RunAsync(run, options.Steps, ct);
            if (!result.Completed)
            {
                AnsiConsole.MarkupLine($"[yellow]stopped at step {result.Step}[/]; checkpoint written to {Markup.Escape(result.LastCheckpoint)}. Continue with the same command plus --resume.");
                return ct.IsCancellationRequested ? 130 : 0;
            }
            var summary = result.FinalEvaluation is { } ev ? $"final val loss {ev.Loss:F4} (perplexity {ev.Perplexity:F2})" : "done";
            AnsiConsole.MarkupLine($"[green]{Markup.Escape(summary)}[/]; best {result.BestValidationLoss:F4} in {Markup.Escape(result.BestCheckpoint ?? "-")}; " +
                                   $"{result.MillisecondsPerStep:F1} ms/step; metrics in {Markup.Escape(result.MetricsFile)}.");
            return 0;
        });
        return command;
    }
}
