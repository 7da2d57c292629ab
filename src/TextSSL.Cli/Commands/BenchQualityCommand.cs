using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Spectre.Console;
using TextSSL.Benchmarks;
using TextSSL.Training;

namespace TextSSL.Cli.Commands;

/// <summary><c>textssl bench quality</c>: nanoGPT's CPU recipe on Moby-Dick, and the validation loss it reaches.</summary>
internal static class BenchQualityCommand
{
    public static Command Create()
    {
        var command = new Command("quality",
            "Train nanoGPT's CPU recipe character-level on Moby-Dick (4 layers, 4 heads, 128 dims, block 64, batch 12, 2,000 steps, lr 1e-3 cosine to 1e-4, " +
            "warmup 100, dropout 0, betas 0.9/0.99, weight decay 0.1, clip 1.0, no biases, tied embeddings, learned positions, 90/10 split by position) " +
            $"and report the validation loss (see `textssl eval --help` for its definition). Target ≤ {TrainingBenchmarks.TargetLoss}; plain PyTorch reaches {TrainingBenchmarks.ReferenceLoss}. " +
            "About 2 minutes on 2 CPU cores plus evaluation.");
        var data = new Option<string>("--data") { Description = "The corpus.", DefaultValueFactory = _ => "corpora/moby-dick/moby-dick.txt" };
        var output = new Option<string>("--out") { Description = "Run directory (replaced when it holds an earlier run; any other non-empty directory is refused).", DefaultValueFactory = _ => Path.Combine("runs", "bench-quality") };
        var steps = new Option<int>("--steps") { Description = "Steps (the recipe's is 2000; fewer for a smoke run).", DefaultValueFactory = _ => 2000 };
        var seed = CommonOptions.Seed();
        var device = CommonOptions.Device();
        device.DefaultValueFactory = _ => "cpu";
        var threads = CommonOptions.Threads();
        foreach (var o in new Option[] { data, output, steps, seed, device, threads }) command.Options.Add(o);
        command.SetAction(async (pr, ct) =>
        {
            CommonOptions.ApplyThreads(pr.GetValue(threads));
            var outDir = pr.GetValue(output)!;
            var options = TrainingBenchmarks.QualityRecipe(pr.GetValue(data)!, outDir, pr.GetValue(device)!, pr.GetValue(steps), pr.GetValue(seed));
            var clock = Stopwatch.StartNew();
            using var run = new PretrainingRun(options); // validates every option before anything is deleted
            if (!File.Exists(pr.GetValue(data)!)) throw new TextSslException($"--data '{pr.GetValue(data)}' is not a file. Point it at the corpus text (see tools/setup.sh).");
            // the run starts fresh: replace an earlier bench run, never a directory TextSSL did not write
            OutputOwnership.DeleteOwned(outDir, OutputKind.TrainingRun);
            Directory.CreateDirectory(outDir);
            OutputOwnership.Mark(outDir, OutputKind.TrainingRun); // so the next bench run knows it may replace this one, whatever the trainer writes
            var result = await TrainingConsole.RunAsync(run, options.Optimization.Steps, ct);
            if (!result.Completed || result.FinalEvaluation is null) return 130;
            var loss = result.FinalEvaluation.Loss;
            var ok = loss <= TrainingBenchmarks.TargetLoss;
            var table = new Table().Border(TableBorder.Rounded).AddColumn("measure").AddColumn("value");
            string F(double v, string f) => v.ToString(f, CultureInfo.InvariantCulture);
            table.AddRow("validation loss (whole split, windows of 64)", $"[bold]{F(loss, "F4")}[/]");
            if (result.FinalEvaluation.Perplexity is { } perplexity) table.AddRow("perplexity", F(perplexity, "F3"));
            table.AddRow("target", $"≤ {F(TrainingBenchmarks.TargetLoss, "F3")} {(ok ? "[green]met[/]" : "[red]missed[/]")}");
            table.AddRow("plain PyTorch, same recipe", F(TrainingBenchmarks.ReferenceLoss, "F3"));
            table.AddRow("steps / parameters", $"{result.Step} / {result.ParameterCount:N0}");
            table.AddRow("ms per step (median)", result.MillisecondsPerStep is { } ms ? F(ms, "F1") : "-");
            table.AddRow("wall time", $"{clock.Elapsed:mm\\:ss}");
            AnsiConsole.Write(table);
            return ok || options.Optimization.Steps != 2000 ? 0 : 1;
        });
        return command;
    }
}
