using System.CommandLine;
using System.Globalization;
using Spectre.Console;
using TextSSL.Modeling;
using TextSSL.Training;
using TextSSL.Training.Optimization;

namespace TextSSL.Cli.Commands;

/// <summary><c>textssl bench train-overhead</c>: the trainer's step time against a bare TorchSharp loop of the same model.</summary>
internal static class BenchTrainOverheadCommand
{
    public static Command Create()
    {
        var command = new Command("train-overhead",
            "Time the full trainer step (data sampling, forward, loss, backward, clip, AdamW, device-side loss and NaN tracking, logging) against a bare " +
            "TorchSharp loop over one fixed batch (forward, backward, clip, AdamW and nothing else) at char-small on Moby-Dick, batch 12 × 64. " +
            "Runs alternate bare/trainer --repeats times; each reports the median ms per step over intervals of 10 steps, the first interval excluded. Target: overhead ≤ 10%.");
        var data = new Option<string>("--data") { Description = "The corpus.", DefaultValueFactory = _ => "corpora/moby-dick/moby-dick.txt" };
        var steps = new Option<int>("--steps") { Description = "Steps per run.", DefaultValueFactory = _ => 100 };
        var repeats = new Option<int>("--repeats") { Description = "Alternating bare/trainer pairs.", DefaultValueFactory = _ => 3 };
        var device = CommonOptions.Device();
        device.DefaultValueFactory = _ => "cpu";
        var threads = CommonOptions.Threads();
        foreach (var o in new Option[] { data, steps, repeats, device, threads }) command.Options.Add(o);
        command.SetAction(async (pr, ct) =>
        {
            CommonOptions.ApplyThreads(pr.GetValue(threads));
            var n = pr.GetValue(steps);
            if (n < 30) throw new TextSslException($"--steps must be at least 30 (got {n}) for three timed intervals.");
            var dataset = TrainingData.Load(pr.GetValue(data)!, "char", 0.1);
            var config = TransformerConfig.Preset("char-small", ModelKind.Decoder, dataset.Tokenizer.VocabSize);
            var settings = new AdamWSettings(0.1, 0.9, 0.99);
            var bare = new List<double>();
            var trainer = new List<double>();
            for (var r = 0; r < pr.GetValue(repeats); r++)
            {
                ct.ThrowIfCancellationRequested();
                bare.Add(TrainingBenchmarks.SteadyMedian(TrainingBenchmarks.BareLoop(config, dataset.Train, 12, 64, n, 10, OptimizerFactory.Default, settings, 1e-3, 1.0, pr.GetValue(device)!, 1337)));
                var outDir = Directory.CreateTempSubdirectory("textssl-overhead-").FullName;
                try
                {
                    using var run = new PretrainingRun(new PretrainingOptions
                    {
                        Dataset = dataset, OutputDirectory = outDir, Preset = "char-small", Steps = n, BatchSize = 12, BlockSize = 64, Warmup = 10,
                        EvalEvery = n, EvalBatches = 1, LogEvery = 10, Device = pr.GetValue(device)!, Dtype = "fp32",
                    });
                    var result = await run.RunAsync(ct);
                    trainer.Add(result.MillisecondsPerStep!.Value);
                }
                finally { Directory.Delete(outDir, recursive: true); }
                AnsiConsole.MarkupLine($"[grey]repeat {r + 1}: bare {bare[^1]:F2} ms/step, trainer {trainer[^1]:F2} ms/step[/]");
            }
            var b = bare.Order().ElementAt(bare.Count / 2);
            var t = trainer.Order().ElementAt(trainer.Count / 2);
            var overhead = (t / b - 1) * 100;
            string F(double v) => v.ToString("F2", CultureInfo.InvariantCulture);
            var table = new Table().Border(TableBorder.Rounded).AddColumn("loop").AddColumn("ms / step (median)").AddColumn("tokens / s");
            table.AddRow("bare TorchSharp (fwd, bwd, clip, AdamW)", F(b), (12 * 64 / (b / 1000)).ToString("N0", CultureInfo.InvariantCulture));
            table.AddRow("TextSSL trainer", F(t), (12 * 64 / (t / 1000)).ToString("N0", CultureInfo.InvariantCulture));
            table.AddRow("overhead", $"{(overhead <= 10 ? "[green]" : "[red]")}{F(overhead)}%[/] (target ≤ 10%)", "");
            AnsiConsole.Write(table);
            return 0;
        });
        return command;
    }
}
