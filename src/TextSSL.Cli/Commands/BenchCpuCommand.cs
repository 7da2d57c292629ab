using System.CommandLine;
using Spectre.Console;
using TextSSL.Benchmarks;
using TextSSL.Modeling;
using TextSSL.Runtime;
using TextSSL.Training;
using TextSSL.Training.Optimization;
using TorchSharp;
using static TorchSharp.torch;

namespace TextSSL.Cli.Commands;

/// <summary>
/// <c>textssl bench cpu</c>: GEMM GFLOPS (fp32 through the BLAS and through oneDNN, bf16) at 1 and N threads, beside the
/// ms/step of a bare TorchSharp loop and of the trainer on nanoGPT's CPU recipe, so the gap is visible on any machine.
/// </summary>
internal static class BenchCpuCommand
{
    private sealed record StepConfig(CpuMatmul Library, ComputeDtype Dtype);

    public static Command Create()
    {
        var command = new Command("cpu",
            "CPU speed at a glance. (1) GFLOPS of a 1024² matrix product in fp32 through libtorch's BLAS (MKL) and through oneDNN, and in bf16, on 1 and N threads. " +
            "(2) ms/step of a bare TorchSharp loop (fixed batch: forward, backward, clip, fused AdamW) and of the full trainer (data loading included) on nanoGPT's " +
            "CPU recipe (char-small on Moby-Dick, batch 12 × 64; --preset/--batch/--block for other shapes), for fp32 through each library and for bf16 products; runs alternate, --repeats times, and " +
            "report medians. The automatic choice (doctor) is marked.");
        var data = new Option<string>("--data") { Description = "The corpus (plain text, character tokenizer, 90/10 by position).", DefaultValueFactory = _ => "corpora/moby-dick/moby-dick.txt" };
        var threadCounts = new Option<int[]>("--threads")
        {
            Description = "Thread counts to measure; repeat or comma-separate (default: 1 and all cores).",
            AllowMultipleArgumentsPerToken = true,
        };
        var steps = new Option<int>("--steps") { Description = "Training steps per run (0: GEMM only).", DefaultValueFactory = _ => 60 };
        var logEvery = new Option<int>("--log-every") { Description = "Steps per timed interval; the first interval is excluded.", DefaultValueFactory = _ => 10 };
        var repeats = new Option<int>("--repeats") { Description = "Alternating rounds of every configuration.", DefaultValueFactory = _ => 2 };
        var preset = new Option<string>("--preset") { Description = $"Model shape for the step rows: {string.Join(", ", TransformerConfig.PresetNames)}.", DefaultValueFactory = _ => "char-small" };
        var batch = new Option<int>("--batch") { Description = "Sequences per step.", DefaultValueFactory = _ => 12 };
        var block = new Option<int>("--block") { Description = "Tokens per sequence.", DefaultValueFactory = _ => 64 };
        var size = new Option<int>("--gemm-size") { Description = "n of the n×n matrix product.", DefaultValueFactory = _ => 1024 };
        var outDir = BenchOptions.Out();
        foreach (var o in new Option[] { data, threadCounts, steps, logEvery, repeats, preset, batch, block, size, outDir }) command.Options.Add(o);
        OptionFlags.Register(command, nameof(OptimizationOptions.BatchSize), "--batch");
        OptionFlags.Register(command, nameof(OptimizationOptions.BlockSize), "--block");
        command.SetAction(async (pr, ct) =>
        {
            var n = pr.GetValue(steps);
            var interval = pr.GetValue(logEvery);
            var rounds = pr.GetValue(repeats);
            var gemmSize = pr.GetValue(size);
            OptionException.CheckRange("Repeats", rounds, 1, 1000);
            OptionException.CheckRange("GemmSize", gemmSize, 16, 16_384);
            if (n < 0) throw new TextSslException($"--steps must be 0 or more (got {n}).");
            if (interval < 1) throw new TextSslException($"--log-every must be at least 1 (got {interval}).");
            if (n > 0 && n < 3 * interval) throw new TextSslException($"--steps must be at least 3 × --log-every = {3 * interval} (got {n}) for timed intervals after the first.");
            // the step rows' options, checked before the matrix products run
            var recipe = TrainingBenchmarks.QualityRecipe(pr.GetValue(data)!, "", steps: Math.Max(n, 1));
            recipe = recipe with
            {
                Model = recipe.Model with { Preset = pr.GetValue(preset)! },
                Optimization = recipe.Optimization with { BatchSize = pr.GetValue(batch), BlockSize = pr.GetValue(block) },
                Evaluation = new EvaluationOptions { EvalEvery = Math.Max(n, 1), EvalBatches = 1, LogEvery = interval },
            };
            if (n > 0) recipe.Validate();
            TorchRuntime.EnsureLoaded();
            var threads = (pr.GetValue(threadCounts) is { Length: > 0 } given ? given : [1, torch.get_num_threads()]).Distinct().ToArray();
            foreach (var t in threads) OptionException.CheckRange("Threads", t, 1, 4096);
            var auto = TorchRuntime.CpuMatmulInUse;
            AnsiConsole.MarkupLine($"[grey]CPU: {Markup.Escape(TorchRuntime.Cpu.ToString())}; fp32 products: {Markup.Escape(auto.ToString())}. Shared machines: compare rows of one run, not runs.[/]");

            // 1) GEMM: alternate the configurations, keep the median GFLOPS of each
            var gemm = new Dictionary<(string, CpuMatmul, int), List<GemmResult>>();
            for (var r = 0; r < rounds; r++)
                foreach (var t in threads)
                    foreach (var (dtype, library) in new[] { (ScalarType.Float32, CpuMatmul.Blas), (ScalarType.Float32, CpuMatmul.OneDnn), (ScalarType.BFloat16, CpuMatmul.Blas) })
                    {
                        var result = CpuBenchmark.Gemm(dtype, library, t, gemmSize, ct: ct);
                        var key = (result.Dtype, result.Library.InUse, t);
                        if (dtype == ScalarType.Float32 && library == CpuMatmul.OneDnn && result.Library.InUse != CpuMatmul.OneDnn) continue; // not reachable here
                        (gemm.TryGetValue(key, out var list) ? list : gemm[key] = []).Add(result);
                    }
            var gemmRows = gemm.Values.Select(list => list[0] with { Gflops = Stats.Median(list.Select(x => x.Gflops)) });
            BenchOptions.Report(CpuBenchmark.ToTable(gemmRows), pr.GetValue(outDir)!, "bench-cpu-gemm");
            if (n == 0) return 0;

            // 2) steps: bare loop and trainer, every configuration alternating within a round
            var o = recipe.Optimization;
            var dataset = TrainingData.Load(pr.GetValue(data)!, "char", 0.1);
            var config = recipe.ModelConfig(ModelKind.Decoder, dataset.Tokenizer.VocabSize);
            if (o.BlockSize > config.BlockSize) throw new TextSslException($"--block {o.BlockSize} is larger than the {pr.GetValue(preset)} model's {config.BlockSize} positions.");
            CpuMatmulChoice forModel;
            using (TorchRuntime.Configure(null, null, CpuMatmul.Auto, config.Dim)) forModel = TorchRuntime.CpuMatmulInUse;
            AnsiConsole.MarkupLine($"[grey]{Markup.Escape(pr.GetValue(preset)!)} ({config.Dim} wide): {Markup.Escape(forModel.ToString())}[/]");
            var settings = new AdamWSettings(o.WeightDecay, o.Beta1, o.Beta2);
            var configs = new List<StepConfig> { new(CpuMatmul.Blas, ComputeDtype.Fp32) };
            if (gemm.Keys.Any(k => k.Item2 == CpuMatmul.OneDnn))
            {
                configs.Add(new(CpuMatmul.OneDnn, ComputeDtype.Fp32));
                configs.Add(new(CpuMatmul.Linear, ComputeDtype.Fp32));
            }
            configs.Add(new(forModel.InUse, ComputeDtype.Bf16));
            var bare = new Dictionary<(StepConfig, int), List<double>>();
            var trainer = new Dictionary<(StepConfig, int), List<double>>();
            for (var r = 0; r < rounds; r++)
                foreach (var t in threads)
                    foreach (var c in configs)
                    {
                        ct.ThrowIfCancellationRequested();
                        double bareMs;
                        using (TorchRuntime.Configure(t, tf32: null, c.Library))
                            bareMs = Stats.SteadyMedian(TrainingBenchmarks.BareLoop(config, dataset.Train, o.BatchSize, o.BlockSize!.Value, n, interval, OptimizerKind.Fused, settings,
                                o.LearningRate, o.Clip, "cpu", recipe.Runtime.Seed, c.Dtype.Resolve(torch.CPU)));
                        var trainerMs = await TrainingBenchmarks.TrainerLoop(recipe with
                        {
                            Dataset = dataset,
                            Runtime = recipe.Runtime with { Threads = t, CpuMatmul = c.Library, Dtype = c.Dtype },
                        }, ct);
                        (bare.TryGetValue((c, t), out var b) ? b : bare[(c, t)] = []).Add(bareMs);
                        (trainer.TryGetValue((c, t), out var tr) ? tr : trainer[(c, t)] = []).Add(trainerMs);
                        AnsiConsole.MarkupLine($"[grey]round {r + 1}, {t} thread(s), {Describe(c)}: bare {bareMs:F2} ms/step, trainer {trainerMs:F2} ms/step[/]");
                    }
            var tokens = o.BatchSize * o.BlockSize!.Value;
            var table = new BenchTable($"bench cpu: training step ({pr.GetValue(preset)}, batch {o.BatchSize} × {o.BlockSize}, nanoGPT CPU recipe's optimizer)", "threads", "products", "automatic", "bare loop ms/step", "trainer ms/step",
                "trainer tokens/s", "trainer vs bare %");
            foreach (var t in threads)
                foreach (var c in configs)
                {
                    var bareMs = Stats.Median(bare[(c, t)]);
                    var trainerMs = Stats.Median(trainer[(c, t)]);
                    var isAuto = c.Dtype == ComputeDtype.Fp32 && c.Library == forModel.InUse;
                    table.Add(t, Describe(c), isAuto ? "yes" : "", bareMs, trainerMs, tokens / (trainerMs / 1000), (trainerMs / bareMs - 1) * 100);
                }
            BenchOptions.Report(table, pr.GetValue(outDir)!, "bench-cpu-step");
            return 0;
        });
        return command;
    }

    private static string Describe(StepConfig c) =>
        c.Dtype == ComputeDtype.Bf16 ? "bf16 (fp32 master weights)" : $"fp32 through {CpuBenchmark.LibraryName(c.Library)}";
}
