using System.CommandLine;
using System.Globalization;
using Spectre.Console;
using TextSSL.Training;

namespace TextSSL.Cli.Commands;

/// <summary><c>textssl eval</c>: validation loss and perplexity of a checkpoint.</summary>
internal static class EvalCommand
{
    public static Command Create()
    {
        OptionFlags.Register(nameof(EvaluateOptions.ValidationFraction), "--val-fraction");
        var command = new Command("eval",
            "Score a checkpoint on data. Validation loss is defined as the mean cross-entropy (nats) over every token of the validation split, " +
            "read in consecutive non-overlapping windows of the block size: each window predicts its next tokens from the ones before it inside the " +
            "window, so every token except the split's first is predicted exactly once. Perplexity is exp(loss). For masked-LM checkpoints the mean " +
            "is over the positions chosen by fixed evaluation masks (seeded, 15%), and masked-token accuracy is reported too. For contrastive checkpoints " +
            "the loss is InfoNCE per text over consecutive texts of the split in batches (no perplexity). " +
            "Plain text is encoded with the checkpoint's tokenizer and split by position as in training (the last --val-fraction).");
        var model = new Option<string>("--model") { Description = "A checkpoint directory, or a run directory (its best/, else last/).", Required = true };
        var data = new Option<string>("--data") { Description = "A .txt file, a directory of .txt files, or a token-shard directory.", Required = true };
        var split = new Option<string>("--split") { Description = "Which split to score.", DefaultValueFactory = _ => "validation" };
        split.AcceptOnlyFromAmong("validation", "train");
        var valFraction = new Option<double>("--val-fraction") { Description = "Fraction of plain-text tokens, from the end, forming the validation split.", DefaultValueFactory = _ => 0.1 };
        var batch = new Option<int>("--batch-size") { Description = "Windows per forward pass (does not change the result).", DefaultValueFactory = _ => 32 };
        var blockSize = new Option<int?>("--block-size") { Description = "Window length (default: the model's context)." };
        var dtype = new Option<string>("--dtype") { Description = "fp32 (exact) or bf16 products.", DefaultValueFactory = _ => "fp32" };
        dtype.AcceptOnlyFromAmong("fp32", "bf16");
        var device = CommonOptions.Device();
        var threads = CommonOptions.Threads();
        foreach (var o in new Option[] { model, data, split, valFraction, batch, blockSize, dtype, device, threads }) command.Options.Add(o);
        command.SetAction((pr, ct) =>
        {
            CommonOptions.ApplyThreads(pr.GetValue(threads));
            var r = CheckpointEvaluation.Run(pr.GetValue(model)!, pr.GetValue(data)!, new EvaluateOptions
            {
                Split = pr.GetValue(split)!,
                ValidationFraction = pr.GetValue(valFraction),
                BatchSize = pr.GetValue(batch),
                BlockSize = pr.GetValue(blockSize),
                Device = pr.GetValue(device)!,
                Dtype = pr.GetValue(dtype)!,
            }, ct);
            var table = new Table().Border(TableBorder.Rounded).AddColumn("measure").AddColumn("value");
            string F(double v, string f) => v.ToString(f, CultureInfo.InvariantCulture);
            table.AddRow("checkpoint", Markup.Escape(r.Checkpoint));
            table.AddRow("data", Markup.Escape(r.Data));
            table.AddRow("task / block", $"{r.Task} / {r.BlockSize}");
            table.AddRow(r.Result.Unit == EvaluationUnit.Token ? "predicted tokens" : "texts", r.Result.Tokens.ToString("N0", CultureInfo.InvariantCulture));
            table.AddRow($"{Markup.Escape(pr.GetValue(split)!)} loss{(r.Result.Unit == EvaluationUnit.Text ? " (InfoNCE per text)" : "")}", F(r.Result.Loss, "F4"));
            if (r.Result.Perplexity is { } perplexity) table.AddRow("perplexity", F(perplexity, "F3"));
            if (r.Result.Accuracy is { } a) table.AddRow("masked-token accuracy", F(a * 100, "F2") + "%");
            AnsiConsole.Write(table);
            return Task.FromResult(0);
        });
        return command;
    }
}
