using System.CommandLine;
using Spectre.Console;
using TextSSL.Corpora;

namespace TextSSL.Prep.Commands;

/// <summary><c>textssl-prep labels</c>: a labelled CSV (<c>text,label,split</c>) for probes.</summary>
internal static class LabelsCommand
{
    public static Command Create()
    {
        TextSSL.Cli.OptionFlags.Register(nameof(LabelledOptions.TestFraction), "--test");
        var inputs = new InputOptions();
        var output = new Option<string>("--out") { Description = "The CSV file to write.", Required = true };
        var labelFrom = new Option<string?>("--label-from") { Description = "Where labels come from: folder, file (name without extension) or field (--label-field). A catalog corpus brings its own." };
        labelFrom.AcceptOnlyFromAmong("folder", "file", "field");
        var labelField = new Option<string?>("--label-field") { Description = "JSON field or CSV/TSV/Parquet column holding the label (with --label-from field)." };
        var test = new Option<double>("--test") { Description = "Fraction of each label's documents in the test split (stratified, by document hash).", DefaultValueFactory = _ => 0.2 };
        var seed = new Option<ulong>("--split-seed") { Description = "Salt of the split hash.", DefaultValueFactory = _ => 0UL };
        var trainTexts = new Option<string?>("--train-texts") { Description = "Also write the train split's texts to this folder, one .txt file per document (read back from the CSV): pretraining text that holds no test item. The folder must be new, empty, or written by an earlier --train-texts." };
        var command = new Command("labels",
            "Write a labelled set for probes as CSV with columns text,label,split: cleaned, exact duplicates dropped, and a deterministic " +
            "stratified train/test split. Example: textssl-prep labels --corpus spam-assassin --out spam.csv");
        inputs.AddTo(command);
        foreach (var o in new Option[] { output, labelFrom, labelField, test, seed, trainTexts }) command.Options.Add(o);
        command.SetAction(async (ParseResult pr, CancellationToken ct) =>
        {
            var from = pr.GetValue(labelFrom) switch { "folder" => LabelSource.Folder, "file" => LabelSource.File, "field" => LabelSource.Field, _ => (LabelSource?)null };
            if (from == LabelSource.Field && pr.GetValue(labelField) is null) throw new TextSslException("--label-from field needs --label-field NAME.");
            // before the long work: a --train-texts folder TextSSL did not write is refused, never replaced
            if (pr.GetValue(trainTexts) is { } textsDir) OutputOwnership.EnsureReplaceable(textsDir, OutputKind.SplitTexts);
            var sources = inputs.Sources(pr, spec => from is null ? spec : spec with { LabelFrom = from.Value, LabelField = pr.GetValue(labelField) });
            var options = new LabelledOptions { Cleaning = inputs.Cleaning(pr), TestFraction = pr.GetValue(test), Seed = pr.GetValue(seed), OnError = inputs.Errors(pr) };
            var r = await LabelledCsv.WriteAsync(sources, pr.GetValue(output)!, options, ct);
            var table = new Table().Border(TableBorder.Rounded).AddColumn("label").AddColumn("train", c => c.RightAligned()).AddColumn("test", c => c.RightAligned());
            foreach (var (label, (train, t)) in r.PerLabel) table.AddRow(Markup.Escape(label), $"{train:N0}", $"{t:N0}");
            AnsiConsole.Write(table);
            AnsiConsole.MarkupLine($"read {r.Read:N0}; dropped {r.Dropped:N0} by filters, {r.Duplicates:N0} exact duplicates; skipped {r.Skipped:N0} unreadable");
            AnsiConsole.MarkupLine($"[green]wrote[/] {Markup.Escape(r.Path)}");
            if (pr.GetValue(trainTexts) is { } dir)
            {
                var n = await LabelledCsv.WriteSplitTextsAsync(r.Path, "train", dir, ct);
                AnsiConsole.MarkupLine($"[green]wrote[/] {n:N0} train texts to {Markup.Escape(Path.GetFullPath(dir))}");
            }
            return 0;
        });
        return command;
    }
}
