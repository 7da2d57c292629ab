using System.CommandLine;
using System.Globalization;
using Spectre.Console;
using TextSSL.Benchmarks;
using TextSSL.Modeling;
using TextSSL.Runtime;
using TextSSL.Training;
using TextSSL.Training.Optimization;

namespace TextSSL.Cli.Commands;

/// <summary><c>textssl bench train-overhead</c>: the trainer's step time (data loading included) against a bare TorchSharp loop of the same model.</summary>
internal static class BenchTrainOverheadCommand
{
    public static Command Create()
    {
        var command = new Command("train-overhead",
            "Time the full trainer (data sampling and upload, then its TrainStep: forward, loss, backward, clip, AdamW, device-side loss and NaN tracking; logging) against a bare " +
            "TorchSharp loop over one fixed batch on the device (forward, backward, clip, AdamW and nothing else). Default: char-small on Moby-Dick, batch 12 × 64, fp32. " +
            "Runs alternate bare/trainer --repeats times; each reports the median ms per step over intervals of --log-every steps, the first interval excluded. " +
            "Target on CPU: overhead ≤ 10%. On a GPU, the trainer row is the 'full TextSSL trainer step including data loading' of the speed target, e.g. " +
            "--device cuda --preset gpt2-small --tokenizer gpt2 --pad-vocab 64 --untied-head --batch 8 --block 1024 --dtype bf16.");
        var data = new Option<string>("--data") { Description = "The corpus (plain text, tokenized in memory, 90/10 by position).", DefaultValueFactory = _ => "corpora/moby-dick/moby-dick.txt" };
        var tokenizer = new Option<string>("--tokenizer") { Description = "'char', a tokenizer directory or a name (gpt2, cl100k, ...).", DefaultValueFactory = _ => "char" };
        var preset = new Option<string>("--preset") { Description = $"Model shape: {string.Join(", ", TransformerConfig.PresetNames)}.", DefaultValueFactory = _ => "char-small" };
        var batch = new Option<int>("--batch") { Description = "Sequences per step.", DefaultValueFactory = _ => 12 };
        var block = new Option<int>("--block") { Description = "Tokens per sequence.", DefaultValueFactory = _ => 64 };
        var dtype = new Option<string>("--dtype") { Description = "fp32 or bf16 (bf16 products, fp32 master weights).", DefaultValueFactory = _ => "fp32" };
        dtype.AcceptOnlyFromAmong("fp32", "bf16");
        var padVocab = new Option<int>("--pad-vocab") { Description = "Round the vocabulary up to a multiple of N (as train --pad-vocab).", DefaultValueFactory = _ => 1 };
        var untied = new Option<bool>("--untied-head") { Description = "Output head with its own matrix (the GPT-2-small benchmark shape)." };
        var steps = new Option<int>("--steps") { Description = "Steps per run.", DefaultValueFactory = _ => 100 };
        var logEvery = new Option<int>("--log-every") { Description = "Steps per timed interval (the trainer reads the loss once per interval).", DefaultValueFactory = _ => 10 };
        var repeats = new Option<int>("--repeats") { Description = "Alternating bare/trainer pairs.", DefaultValueFactory = _ => 3 };
        var device = CommonOptions.Device();
        device.DefaultValueFactory = _ => "cpu";
        var threads = CommonOptions.Threads();
        var outDir = BenchOptions.Out();
        foreach (var o in new Option[] { data, tokenizer, preset, batch, block, dtype, padVocab, untied, steps, logEvery, repeats, device, threads, outDir }) command.Options.Add(o);
        OptionFlags.Register(command, nameof(OptimizationOptions.BatchSize), "--batch");
        OptionFlags.Register(command, nameof(OptimizationOptions.BlockSize), "--block");
        command.SetAction(async (pr, ct) =>
        {
            CommonOptions.ApplyThreads(pr.GetValue(threads));
            var n = pr.GetValue(steps);
            var interval = pr.GetValue(logEvery);
            if (interval < 1) throw new TextSslException($"--log-every must be at least 1 (got {interval}).");
            if (n < 3 * interval) throw new TextSslException($"--steps must be at least 3 × --log-every = {3 * interval} (got {n}) for timed intervals after the first.");
            var (b, t) = (pr.GetValue(batch), pr.GetValue(block));
            // the trainer's own options, so the bare loop builds exactly the trainer's model
            var trainerOptions = new PretrainingOptions
            {
                OutputDirectory = "",
                Model = new ModelShapeOptions { Preset = pr.GetValue(preset)!, PadVocabTo = pr.GetValue(padVocab), UntiedHead = pr.GetValue(untied) },
                Optimization = new OptimizationOptions { Steps = n, BatchSize = b, BlockSize = t, Warmup = 10 },
                Evaluation = new EvaluationOptions { EvalEvery = n, EvalBatches = 1, LogEvery = interval },
                Runtime = new RuntimeOptions { Device = pr.GetValue(device)!, Dtype = ComputeDtypes.Parse(nameof(RuntimeOptions.Dtype), pr.GetValue(dtype)) },
            };
            TransformerConfig.PaddedVocab(1, trainerOptions.Model.PadVocabTo); // a bad --pad-vocab fails before the corpus is tokenized
            (trainerOptions with { Data = pr.GetValue(data) }).Validate();    // every number checked before the bare loop runs
            var dataset = TrainingData.Load(pr.GetValue(data)!, pr.GetValue(tokenizer)!, 0.1);
            var config = trainerOptions.ModelConfig(ModelKind.Decoder, dataset.Tokenizer.VocabSize);
            if (t > config.BlockSize) throw new TextSslException($"--block {t} is larger than the {pr.GetValue(preset)} model's {config.BlockSize} positions.");
            var computeDtype = trainerOptions.Runtime.Dtype.Resolve(DeviceSelector.Resolve(trainerOptions.Runtime.Device));
            var settings = new AdamWSettings(0.1, 0.9, 0.99);
            var bare = new List<double>();
            var trainer = new List<double>();
            for (var r = 0; r < pr.GetValue(repeats); r++)
            {
                ct.ThrowIfCancellationRequested();
                bare.Add(Stats.SteadyMedian(TrainingBenchmarks.BareLoop(config, dataset.Train, b, t, n, interval, OptimizerKind.Fused, settings, 1e-3, 1.0,
                    pr.GetValue(device)!, 1337, computeDtype)));
                trainer.Add(await TrainingBenchmarks.TrainerLoop(trainerOptions with { Dataset = dataset }, ct));
                AnsiConsole.MarkupLine($"[grey]repeat {r + 1}: bare {bare[^1]:F2} ms/step, trainer {trainer[^1]:F2} ms/step[/]");
            }
            var bareMs = Stats.Median(bare);
            var trainerMs = Stats.Median(trainer);
            var overhead = (trainerMs / bareMs - 1) * 100;
            var shape = $"{pr.GetValue(preset)} {(config.TiedEmbeddings ? "tied" : "untied")} vocab {config.VocabSize}";
            var table = new BenchTable("bench train-overhead", "loop", "model", "device", "compute", "batch×T", "ms/step (median)", "tokens/s", "overhead %");
            table.Add("bare TorchSharp (fwd, bwd, clip, fused AdamW; fixed batch)", shape, pr.GetValue(device), pr.GetValue(dtype), $"{b}×{t}", bareMs, b * t / (bareMs / 1000), null);
            table.Add("TextSSL trainer (data loading included)", shape, pr.GetValue(device), pr.GetValue(dtype), $"{b}×{t}", trainerMs, b * t / (trainerMs / 1000), overhead);
            BenchOptions.Report(table, pr.GetValue(outDir)!, "bench-train-overhead");
            AnsiConsole.MarkupLine($"overhead {(overhead <= 10 ? "[green]" : "[red]")}{overhead.ToString("F2", CultureInfo.InvariantCulture)}%[/] (target ≤ 10%)");
            return 0;
        });
        return command;
    }
}
