using System.CommandLine;
using TextSSL.Benchmarks;
using TextSSL.Modeling;
using TextSSL.Runtime;
using TextSSL.Training;
using TextSSL.Training.Optimization;
using TorchSharp;
using static TorchSharp.torch;

namespace TextSSL.Cli.Commands;

/// <summary><c>textssl bench train</c>: training-step speed per preset, device, dtype and optimizer.</summary>
internal static class BenchTrainCommand
{
    public static Command Create()
    {
        var presets = new Option<string[]>("--preset")
        {
            Description = $"Model presets to measure ({string.Join(", ", TransformerConfig.PresetNames)}); repeat or comma-separate.",
            DefaultValueFactory = _ => ["char-small"],
            AllowMultipleArgumentsPerToken = true,
        };
        var dtypes = new Option<string[]>("--dtype")
        {
            Description = "Compute dtypes: fp32 (TF32 on CUDA unless --no-tf32) and/or bf16 (fp32 master weights, bf16 products). Default: bf16 on CUDA, fp32 on CPU.",
            AllowMultipleArgumentsPerToken = true,
        };
        var variants = new Option<string[]>("--step")
        {
            Description = "Which steps: fused (the trainer's TrainStep: fused AdamW + foreach clipping) and/or reference (the same TrainStep with optim.AdamW + clip_grad_norm_).",
            DefaultValueFactory = _ => ["fused", "reference"],
            AllowMultipleArgumentsPerToken = true,
        };
        var batch = new Option<int?>("--batch") { Description = "Sequences per step (default per preset: tiny 8, char-small 12, char-medium 64, gpt2-small 8)." };
        var block = new Option<int?>("--block") { Description = "Tokens per sequence (default: the preset's block size)." };
        var untied = new Option<bool>("--untied-head") { Description = "Give the output head its own matrix instead of sharing the token embedding (the GPT-2-small benchmark shape)." };
        var peak = new Option<double?>("--peak-tflops") { Description = "Peak TFLOPS for MFU. Default: the data-sheet dense peak for known GPUs (H100, H200, A100, L40S, L4); CPU: threads × 80 GFLOPS (as train)." };
        var noTf32 = new Option<bool>("--no-tf32") { Description = "Keep fp32 products in full fp32 on CUDA (TF32 is on by default)." };
        var clock = new Option<string>("--clock")
        {
            Description = "What the milliseconds count: wall (elapsed time) or cpu (the process's CPU time, all threads; CPU runs only — steadier on a shared machine).",
            DefaultValueFactory = _ => "wall",
        };
        clock.AcceptOnlyFromAmong("wall", "cpu");
        var device = CommonOptions.Device();
        var threads = CommonOptions.Threads();
        var seed = CommonOptions.Seed();
        var warmup = BenchOptions.Warmup();
        var repeats = BenchOptions.Repeats();
        var outDir = BenchOptions.Out();

        var cmd = new Command("train",
            "Times the trainer's own training step (TrainStep) on random tokens: forward+backward, clip and optimizer, each bracketed by a device sync; " +
            "prints ms/step, tokens/s, MFU and device memory, and writes bench-train.csv/.md. Data loading is not included.");
        foreach (var o in new Option[] { presets, device, dtypes, variants, batch, block, untied, warmup, repeats, threads, peak, noTf32, seed, clock, outDir })
            cmd.Options.Add(o);
        OptionFlags.Register(cmd, nameof(OptimizationOptions.BatchSize), "--batch");
        OptionFlags.Register(cmd, nameof(OptimizationOptions.BlockSize), "--block");
        cmd.SetAction((ParseResult pr, CancellationToken ct) => Task.Run(() =>
        {
            CommonOptions.ApplyThreads(pr.GetValue(threads));
            var dev = DeviceSelector.Resolve(pr.GetValue(device));
            if (pr.GetValue(clock) == "cpu" && dev.type != DeviceType.CPU)
                throw new TextSslException($"--clock cpu times CPU runs only; --device resolved to {dev}. Use --clock wall.");
            var computeDtypes = ParseDtypes(pr.GetValue(dtypes), dev);
            var steps = Split(pr.GetValue(variants)!).Select(ParseVariant).Distinct().ToList();
            var names = Split(pr.GetValue(presets)!).ToList();
            foreach (var name in names) TransformerConfig.Preset(name); // unknown names fail before any work
            TorchScriptKernels.EnsureCompiled();

            var results = new List<TrainBenchResult>();
            foreach (var name in names)
                foreach (var dtype in computeDtypes)
                    foreach (var variant in steps)
                    {
                        var options = new TrainBenchOptions(name, dev, dtype, variant,
                            pr.GetValue(batch) ?? TrainStepBenchmark.DefaultBatch(name), pr.GetValue(block), pr.GetValue(untied),
                            pr.GetValue(warmup), pr.GetValue(repeats), pr.GetValue(peak), !pr.GetValue(noTf32), pr.GetValue(seed),
                            pr.GetValue(clock) == "cpu" ? BenchClock.ProcessCpu : BenchClock.Wall);
                        Console.Error.WriteLine($"measuring {name} {ComputeDtypes.Name(dtype)} {variant.ToString().ToLowerInvariant()} on {dev} ...");
                        var r = TrainStepBenchmark.Run(options, ct);
                        results.Add(r);
                        Console.Error.WriteLine($"  {r.StepMs:F2} ms/step (fwd+bwd {r.FwdBwdMs:F2}, clip {r.ClipMs:F2}, optimizer {r.OptimizerMs:F2}), {r.TokensPerSecond:F0} tokens/s");
                    }
            BenchOptions.Report(TrainStepBenchmark.ToTable(results), pr.GetValue(outDir)!, "bench-train");
            return 0;
        }, ct));
        return cmd;
    }

    internal static IEnumerable<string> Split(IEnumerable<string> values) =>
        values.SelectMany(v => v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

    private static List<ScalarType> ParseDtypes(string[]? values, Device device) =>
        (values is { Length: > 0 } ? Split(values).ToList() : ["auto"])
            .Select(v => ComputeDtypes.Parse(nameof(TrainBenchOptions.ComputeDtype), v).Resolve(device)).Distinct().ToList();

    private static TrainStepVariant ParseVariant(string v) => v.ToLowerInvariant() switch
    {
        "fused" => TrainStepVariant.Fused,
        "reference" or "torch" => TrainStepVariant.Reference,
        _ => throw new TextSslException($"--step {v}: choose fused or reference."),
    };
}
