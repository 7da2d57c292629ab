using System.CommandLine;
using TextSSL.Benchmarks;
using TextSSL.Modeling;
using TextSSL.Runtime;
using TextSSL.Training.Optimization;

namespace TextSSL.Cli.Commands;

/// <summary><c>textssl bench optimizer</c>: fused AdamW vs optim.AdamW, foreach clipping vs clip_grad_norm_.</summary>
internal static class BenchOptimizerCommand
{
    public static Command Create()
    {
        var presets = new Option<string[]>("--preset")
        {
            Description = $"Presets whose parameters are updated ({string.Join(", ", TransformerConfig.PresetNames)}); repeat or comma-separate.",
            DefaultValueFactory = _ => ["char-small"],
            AllowMultipleArgumentsPerToken = true,
        };
        var device = CommonOptions.Device();
        var threads = CommonOptions.Threads();
        var warmup = BenchOptions.Warmup(5);
        var repeats = BenchOptions.Repeats(50);
        var outDir = BenchOptions.Out();
        var cmd = new Command("optimizer",
            "Times one optimizer step (fused AdamW vs optim.AdamW) and one gradient clipping (foreach vs clip_grad_norm_) " +
            "on a preset's parameters with real gradients; writes bench-optimizer.csv/.md.");
        foreach (var o in new Option[] { presets, device, warmup, repeats, threads, outDir }) cmd.Options.Add(o);
        cmd.SetAction((ParseResult pr, CancellationToken ct) => Task.Run(() =>
        {
            CommonOptions.ApplyThreads(pr.GetValue(threads));
            var dev = DeviceSelector.Resolve(pr.GetValue(device));
            var names = BenchTrainCommand.Split(pr.GetValue(presets)!).ToList();
            foreach (var name in names) TransformerConfig.Preset(name);
            TorchScriptKernels.EnsureCompiled();
            var results = new List<OptimizerBenchResult>();
            foreach (var name in names)
            {
                Console.Error.WriteLine($"measuring optimizers on {name} parameters on {dev} ...");
                var difference = OptimizerBenchmark.CheckAgreement(name, dev);
                Console.Error.WriteLine($"  check: fused AdamW vs optim.AdamW, 3 steps on identical gradients: max |difference| = {difference:E2}");
                results.AddRange(OptimizerBenchmark.Run(name, dev, pr.GetValue(warmup), pr.GetValue(repeats), ct: ct));
            }
            BenchOptions.Report(OptimizerBenchmark.ToTable(results), pr.GetValue(outDir)!, "bench-optimizer");
            return 0;
        }, ct));
        return cmd;
    }
}
