using System.CommandLine;
using TextSSL.Benchmarks;
using TextSSL.Pretext;
using TextSSL.Training;

namespace TextSSL.Cli.Commands;

/// <summary><c>textssl bench packing</c>: real text per training batch with stream windows against packed documents.</summary>
internal static class BenchPackingCommand
{
    public static Command Create()
    {
        var command = new Command("packing",
            "Count what training batches spend their positions on, for each task and layout: next-token stream windows (across documents) and packed documents; " +
            "masked-LM stream windows (cut at the first document end and padded) and packed documents. Real text: positions holding text (or, for next-token, " +
            "the end-of-text id that starts a document) whose attention stays inside one document. Counts only, no model runs. " +
            "Example: textssl bench packing --data runs/spam/shards --tokenizer runs/spam/tokenizer --block-size 128 --batch-size 16");
        var data = new Option<string>("--data") { Description = "Token shards (manifest.json) or text, as train --data.", Required = true };
        var tokenizer = new Option<string>("--tokenizer") { Description = "The data's tokenizer: a directory or a name ('char' for shards with their own).", DefaultValueFactory = _ => "char" };
        var block = new Option<int>("--block-size") { Description = "Positions per sequence.", DefaultValueFactory = _ => 128 };
        var batch = new Option<int>("--batch-size") { Description = "Sequences per batch.", DefaultValueFactory = _ => 16 };
        var batches = new Option<int>("--batches") { Description = "Batches drawn per layout.", DefaultValueFactory = _ => 200 };
        var seed = CommonOptions.Seed();
        var outDir = BenchOptions.Out();
        foreach (var o in new Option[] { data, tokenizer, block, batch, batches, seed, outDir }) command.Options.Add(o);
        command.SetAction((pr, ct) =>
        {
            var (t, b, n) = (pr.GetValue(block), pr.GetValue(batch), pr.GetValue(batches));
            OptionException.CheckRange(nameof(OptimizationOptions.BlockSize), t, 2, 1 << 16);
            OptionException.CheckRange(nameof(OptimizationOptions.BatchSize), b, 1, 65_536);
            OptionException.CheckRange("Batches", n, 1, 1_000_000);
            var dataset = TrainingData.Load(pr.GetValue(data)!, pr.GetValue(tokenizer)!, 0.1);
            var table = new BenchTable($"Real text per batch of {b} × {t} on {dataset.Description}, {n} batches",
                "task", "layout", "real text tokens / batch", "real text %", "padding %", "cross-document %", "loss targets / batch");
            foreach (var task in new[] { "clm", "mlm" })
                foreach (var layout in new[] { SequencePacking.Stream, SequencePacking.Documents })
                {
                    ct.ThrowIfCancellationRequested();
                    var pretext = PretextTasks.Create(task, dataset.Tokenizer, pr.GetValue(seed), packing: layout);
                    pretext.Validate(dataset.Train, t, "training");
                    var report = PackingStatistics.Measure(pretext, dataset.Train, dataset.Tokenizer, b, t, n);
                    var name = layout == SequencePacking.Documents ? "documents (packed)" : task == "mlm" ? "stream (padded per document)" : "stream";
                    table.AddRow([task, name, report.RealTextPerBatch, 100.0 * report.RealText / report.Positions, 100 * report.PaddingFraction,
                                  100 * report.CrossDocumentFraction, report.TargetsPerBatch], digits: 1);
                }
            BenchOptions.Report(table, pr.GetValue(outDir)!, "packing");
            return Task.FromResult(0);
        });
        return command;
    }
}
