using System.Globalization;
using System.Text;
using CsvHelper;
using TextSSL.Probing;

namespace TextSSL.Reports;

/// <summary>
/// Writes a probe's results: <c>report.md</c> (reading, chart, tables, setup), <c>label-efficiency.png</c>
/// and <c>.svg</c>, <c>summary.csv</c>, <c>runs.csv</c> and <c>per-class.csv</c>. Every file is written atomically.
/// </summary>
public static class LabelEfficiencyReport
{
    /// <summary>The Markdown report's file name.</summary>
    public const string MarkdownFile = "report.md";

    /// <summary>The chart's file name without extension.</summary>
    public const string ChartName = "label-efficiency";

    /// <summary>Writes every file into <paramref name="directory"/>; returns the paths written.</summary>
    public static IReadOnlyList<string> Write(ProbeResult result, string directory)
    {
        Directory.CreateDirectory(directory);
        var written = new List<string>();
        written.AddRange(LabelEfficiencyChart.Save(result, Path.Combine(directory, ChartName)));
        written.Add(WriteCsv(Path.Combine(directory, "summary.csv"), csv => SummaryCsv(result, csv)));
        written.Add(WriteCsv(Path.Combine(directory, "runs.csv"), csv => RunsCsv(result, csv)));
        written.Add(WriteCsv(Path.Combine(directory, "per-class.csv"), csv => PerClassCsv(result, csv)));
        var md = Path.Combine(directory, MarkdownFile);
        AtomicFile.WriteAllText(md, Markdown(result));
        written.Add(md);
        return written;
    }

    /// <summary>
    /// <paramref name="model"/> (an absolute checkpoint path, then its description in parentheses) as a report shows it,
    /// so that it stays right wherever the report is copied and names no absolute path of the machine that made it:
    /// relative to the root of the repository holding the model (the nearest folder above it with a <c>.git</c>
    /// entry), else relative to <paramref name="workingDirectory"/> (where the probe ran) when the model lies below it,
    /// else only its last two folders. Forward slashes; the base is said.
    /// </summary>
    internal static string ModelForReport(string model, string? workingDirectory)
    {
        var cut = model.LastIndexOf(" (", StringComparison.Ordinal);
        var path = cut < 0 ? model : model[..cut];
        if (!Path.IsPathFullyQualified(path)) return model;
        var full = Path.GetFullPath(path);
        var description = cut < 0 ? null : model[(cut + 2)..^1]; // without its parentheses
        string From(string relative, string from) => $"{relative.Replace('\\', '/')} (from {from}{(description is null ? "" : "; " + description)})";
        if (RepositoryRoot(full) is { } root) return From(Path.GetRelativePath(root, full), "the repository root");
        var below = Path.GetRelativePath(Path.GetFullPath(workingDirectory ?? Directory.GetCurrentDirectory()), full);
        if (below != ".." && !below.StartsWith(".." + Path.DirectorySeparatorChar, StringComparison.Ordinal) && !Path.IsPathRooted(below))
            return From(below, "the directory the probe ran in");
        var lastTwo = full.Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries).TakeLast(2);
        return $"…/{string.Join('/', lastTwo)}{(description is null ? "" : $" ({description})")}";
    }

    private static string? RepositoryRoot(string path)
    {
        for (var dir = new DirectoryInfo(path); dir is not null; dir = dir.Parent)
            if (Directory.Exists(Path.Combine(dir.FullName, ".git")) || File.Exists(Path.Combine(dir.FullName, ".git"))) return dir.FullName;
        return null;
    }

    /// <summary>The Markdown report.</summary>
    /// <param name="result">The probe's results.</param>
    /// <param name="workingDirectory">Where the probe ran (default: the current directory), the base of the model's path when it lies in no repository.</param>
    public static string Markdown(ProbeResult result, string? workingDirectory = null)
    {
        var sb = new StringBuilder();
        var methods = result.Methods;
        sb.AppendLine($"# Label efficiency on {Cell(result.Dataset.Source)}").AppendLine();
        sb.AppendLine(LabelEfficiencyReading.Paragraph(result)).AppendLine();
        sb.AppendLine($"![Test accuracy against labelled examples per class, one line per method; error bars are one standard deviation over runs]({ChartName}.png)").AppendLine();
        sb.AppendLine("## Accuracy").AppendLine();
        sb.AppendLine(Table(result, s => (s.AccuracyMean, s.AccuracyStd))).AppendLine();
        sb.AppendLine("## Macro-F1").AppendLine();
        sb.AppendLine(Table(result, s => (s.MacroF1Mean, s.MacroF1Std))).AppendLine();
        sb.AppendLine("Mean ± standard deviation over runs, in percent; the best method of each row is in bold. " +
                      "Each run draws its own K examples per class from the training split, every method is fitted on that same sample, " +
                      "and every run is scored on the whole test split. With all labels the sample is the whole split, so there is one run.").AppendLine();
        if (result.Shortfalls.Any(p => p.Value.Count > 0))
        {
            sb.AppendLine("† Some class had fewer than K training examples; it contributed all it had:").AppendLine();
            foreach (var (k, classes) in result.Shortfalls.Where(p => p.Value.Count > 0).OrderBy(p => p.Key))
                sb.AppendLine(CultureInfo.InvariantCulture, $"- K = {k}: {string.Join(", ", classes.Select(c => $"`{c.Key}` ({c.Value})"))}");
            sb.AppendLine();
        }

        var largest = result.Options.SamplesPerLabel[^1];
        var pooled = methods.Select(m => (Method: m, Metrics: PooledMetrics(result, m, largest))).Where(p => p.Metrics is not null).ToList();
        if (pooled.Count > 0)
        {
            sb.AppendLine(CultureInfo.InvariantCulture, $"## Per class at {LabelEfficiencyReading.LabelText(result, largest)}").AppendLine();
            sb.AppendLine("Precision / recall / F1 in percent, from the confusion matrices of all runs added together.").AppendLine();
            sb.Append("| class | support |");
            foreach (var (m, _) in pooled) sb.Append(CultureInfo.InvariantCulture, $" {m.Title()} |");
            sb.AppendLine().Append("|---|---:|");
            foreach (var _ in pooled) sb.Append("---:|");
            sb.AppendLine();
            for (var c = 0; c < result.Dataset.Classes.Count; c++)
            {
                sb.Append(CultureInfo.InvariantCulture, $"| {Cell(result.Dataset.Classes[c])} | {result.Dataset.TestCounts()[c]:N0} |");
                foreach (var (_, metrics) in pooled)
                {
                    var pc = metrics!.PerClass[c];
                    sb.Append(CultureInfo.InvariantCulture, $" {100 * pc.Precision:F0} / {100 * pc.Recall:F0} / {100 * pc.F1:F0} |");
                }
                sb.AppendLine();
            }
            sb.AppendLine();
            var pretrained = pooled.First().Metrics!;
            if (result.Dataset.Classes.Count <= 15)
            {
                sb.AppendLine(CultureInfo.InvariantCulture, $"Confusion matrix of {ProbeMethod.Pretrained.Title()} (rows: true class, columns: predicted; summed over runs):").AppendLine();
                sb.Append("| true \\ predicted |");
                foreach (var name in result.Dataset.Classes) sb.Append(CultureInfo.InvariantCulture, $" {Cell(name)} |");
                sb.AppendLine().Append("|---|");
                foreach (var _ in result.Dataset.Classes) sb.Append("---:|");
                sb.AppendLine();
                for (var i = 0; i < result.Dataset.Classes.Count; i++)
                {
                    sb.Append(CultureInfo.InvariantCulture, $"| {Cell(result.Dataset.Classes[i])} |");
                    for (var j = 0; j < result.Dataset.Classes.Count; j++)
                        sb.Append(i == j ? $" **{pretrained.Confusion[i, j]}** |" : $" {pretrained.Confusion[i, j]} |");
                    sb.AppendLine();
                }
                sb.AppendLine();
            }
        }

        sb.AppendLine("## Setup").AppendLine();
        var o = result.Options;
        sb.AppendLine(CultureInfo.InvariantCulture, $"- **Model:** {ModelForReport(result.Model, workingDirectory)}");
        sb.AppendLine($"- **Data:** {result.Data}. Training / test texts per class: " +
            string.Join(", ", result.Dataset.Classes.Select((c, i) => $"`{c}` {result.Dataset.TrainCounts()[i]:N0}/{result.Dataset.TestCounts()[i]:N0}")) + ".");
        sb.AppendLine($"- **Features:** {o.Features.Pooling.ToString().ToLowerInvariant()} pooling of hidden state(s) `{o.Features.EffectiveLayer}`" +
            $" (0 = embeddings, -1 = last block after the final LayerNorm), " +
            (o.Features.MaxWindows == 1
                ? $"at most {o.Features.MaxTokens?.ToString(CultureInfo.InvariantCulture) ?? "block-size"} tokens per text (its start)"
                : $"each text read in up to {o.Features.MaxWindows} consecutive windows of {o.Features.MaxTokens?.ToString(CultureInfo.InvariantCulture) ?? "block-size"} tokens, pooled across windows") +
            "; frozen weights.");
        var l2Methods = result.Runs.Where(r => r.L2Method is not null).Select(r => r.L2Method!).Distinct().ToList();
        sb.AppendLine($"- **Probe:** multinomial logistic regression on standardized features, L2 penalty λ chosen from " +
            $"{{{string.Join(", ", o.L2Grid.Select(l => l.ToString("G3", CultureInfo.InvariantCulture)))}}} on the training sample only ({string.Join("; ", l2Methods)}), solved to convergence by L-BFGS.");
        sb.AppendLine(CultureInfo.InvariantCulture, $"- **Protocol:** {o.Experiments} experiment(s) per K (seed {o.Seed}); K ∈ {{{string.Join(", ", o.SamplesPerLabel.Select(LabelEfficiencyRunner.KText))}}}.");
        foreach (var m in methods.Where(m => m != ProbeMethod.Pretrained))
            sb.AppendLine(CultureInfo.InvariantCulture, $"- **{m.Title()}:** {Describe(m, o)}");
        sb.AppendLine(CultureInfo.InvariantCulture, $"- **Device:** {result.Device}; total time {result.Seconds:F0} s.");
        if (result.Notes.Count > 0)
        {
            sb.AppendLine().AppendLine("### Notes on the input").AppendLine();
            foreach (var note in result.Notes) sb.AppendLine(CultureInfo.InvariantCulture, $"- {note}");
        }
        sb.AppendLine().AppendLine("Files: `summary.csv` (this table), `runs.csv` (every run), `per-class.csv` (per-class scores), `label-efficiency.png`/`.svg` (the chart).");
        return sb.ToString();
    }

    /// <summary>The main table: rows K, columns methods, cells mean ± std in percent, row best in bold.</summary>
    public static string Table(ProbeResult result, Func<ProbeSummary, (double Mean, double Std)> value)
    {
        var sb = new StringBuilder();
        var methods = result.Methods;
        sb.Append("| labels per class |");
        foreach (var m in methods) sb.Append(CultureInfo.InvariantCulture, $" {m.Title()} |");
        sb.AppendLine().Append("|---|");
        foreach (var _ in methods) sb.Append("---:|");
        sb.AppendLine();
        foreach (var k in result.Options.SamplesPerLabel)
        {
            var row = methods.Select(m => result.Summary(m, k)).ToList();
            if (row.All(s => s is null)) continue;
            var best = row.Where(s => s is not null).Max(s => value(s!).Mean);
            var label = k is null ? $"all ({result.Dataset.Train.Count:N0})" : k.Value.ToString(CultureInfo.InvariantCulture);
            sb.Append(CultureInfo.InvariantCulture, $"| {label}{(result.IsShort(k) ? " †" : "")} |");
            foreach (var s in row)
            {
                if (s is null) { sb.Append(" – |"); continue; }
                var (mean, std) = value(s);
                var text = s.Runs > 1 ? $"{100 * mean:F1} ± {100 * std:F1}" : $"{100 * mean:F1}";
                sb.Append(mean >= best - 1e-12 ? $" **{text}** |" : $" {text} |");
            }
            sb.AppendLine();
        }
        return sb.ToString().TrimEnd();
    }

    /// <summary>The confusion matrices of all runs of <paramref name="method"/> at <paramref name="k"/>, added.</summary>
    public static ClassificationMetrics? PooledMetrics(ProbeResult result, ProbeMethod method, int? k)
    {
        var runs = result.Runs.Where(r => r.Method == method && r.SamplesPerLabel == k).Select(r => r.Metrics).ToList();
        return runs.Count == 0 ? null : ClassificationMetrics.Sum(runs);
    }

    private static string Describe(ProbeMethod method, ProbeOptions o) => method switch
    {
        ProbeMethod.Tfidf => $"TF-IDF of word 1–{o.Tfidf.WordNgramMax}-grams and character {o.Tfidf.CharNgramMin}–{o.Tfidf.CharNgramMax}-grams (at most {o.Tfidf.MaxFeatures:N0} features, sublinear TF, L2-normalised), then the same probe.",
        ProbeMethod.RandomWeights => $"the same architecture with random initial weights (seed {o.Seed}), frozen, features read the same way, then the same probe.",
        ProbeMethod.Supervised => $"the same architecture from random weights plus a linear head on mean-pooled states, trained end to end on the sample only (AdamW, lr {o.Supervised.LearningRate.ToString("G3", CultureInfo.InvariantCulture)}, batch {o.Supervised.BatchSize}, {o.Supervised.Epochs} epochs bounded to {Math.Min(o.Supervised.MinSteps, o.Supervised.MaxSteps)}–{o.Supervised.MaxSteps} steps).",
        ProbeMethod.FineTuned => $"the pretrained checkpoint plus a linear head, fine-tuned end to end on the sample (same schedule as supervised from scratch).",
        ProbeMethod.PretrainedTfidf => "the pretrained features (read as above) and the TF-IDF features side by side in one sparse matrix, every column standardised on the training sample, then the same probe (one λ for both blocks).",
        _ => "",
    };

    private static string Cell(string s) => s.Replace("|", "\\|", StringComparison.Ordinal).Replace("\n", " ", StringComparison.Ordinal);

    private static string WriteCsv(string path, Action<CsvWriter> write)
    {
        AtomicFile.Write(path, stream =>
        {
            using var csv = CsvWriter.Create(stream, CsvWriterOptions.Default with { NewLine = "\n" }, leaveOpen: true);
            write(csv);
        });
        return path;
    }

    private static void Fields(CsvWriter csv, params object?[] values)
    {
        foreach (var v in values) csv.WriteField(v is double d ? d.ToString("R", CultureInfo.InvariantCulture) : Convert.ToString(v, CultureInfo.InvariantCulture) ?? "");
        csv.EndRecord();
    }

    private static void SummaryCsv(ProbeResult result, CsvWriter csv)
    {
        Fields(csv, "method", "samples_per_label", "runs", "train_examples", "accuracy_mean", "accuracy_std", "macro_f1_mean", "macro_f1_std", "short_classes");
        foreach (var s in result.Summaries)
        {
            var shortClasses = s.SamplesPerLabel is { } k && result.Shortfalls.TryGetValue(k, out var sf) ? string.Join(";", sf.Select(p => $"{p.Key}={p.Value}")) : "";
            Fields(csv, s.Method.Key(), LabelEfficiencyRunner.KText(s.SamplesPerLabel), s.Runs, s.TrainExamples, s.AccuracyMean, s.AccuracyStd, s.MacroF1Mean, s.MacroF1Std, shortClasses);
        }
    }

    private static void RunsCsv(ProbeResult result, CsvWriter csv)
    {
        Fields(csv, "method", "samples_per_label", "experiment", "seed", "train_examples", "accuracy", "macro_f1", "l2", "l2_choice", "seconds");
        foreach (var r in result.Runs)
            Fields(csv, r.Method.Key(), LabelEfficiencyRunner.KText(r.SamplesPerLabel), r.Experiment, r.Seed, r.TrainIds.Count, r.Metrics.Accuracy, r.Metrics.MacroF1, r.L2, r.L2Method, r.Seconds);
    }

    private static void PerClassCsv(ProbeResult result, CsvWriter csv)
    {
        Fields(csv, "method", "samples_per_label", "class", "precision", "recall", "f1", "support_per_run");
        foreach (var s in result.Summaries)
        {
            var pooled = PooledMetrics(result, s.Method, s.SamplesPerLabel)!;
            foreach (var c in pooled.PerClass)
                Fields(csv, s.Method.Key(), LabelEfficiencyRunner.KText(s.SamplesPerLabel), c.Label, c.Precision, c.Recall, c.F1, c.Support / s.Runs);
        }
    }
}
