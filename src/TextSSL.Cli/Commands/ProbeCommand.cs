using System.CommandLine;
using System.Globalization;
using Spectre.Console;
using TextSSL.Modeling;
using TextSSL.Probing;
using TextSSL.Reports;
using TextSSL.Runtime;

namespace TextSSL.Cli.Commands;

/// <summary><c>textssl probe</c>: how much does pretraining help with few labels? The label-efficiency report.</summary>
internal static class ProbeCommand
{
    public static Command Create()
    {
        // Library option names whose flags are not their kebab-case names.
        OptionFlags.Register("LabelledColumns.Text", "--text-column");
        OptionFlags.Register("LabelledColumns.Label", "--label-column");
        OptionFlags.Register("LabelledColumns.Split", "--split-column");
        OptionFlags.Register(nameof(SplitOptions.TestDataPath), "--test-data");
        OptionFlags.Register(nameof(ProbeOptions.FeatureSets), "--features");
        OptionFlags.Register(ProbeOptions.SupervisedOption(nameof(SupervisedOptions.MaxSteps)), "--supervised-max-steps");
        // Each option names the property of ProbeRunOptions (the run's config.json) it sets, for --config.
        const string Probe = nameof(ProbeRunOptions.Probe), Features = nameof(ProbeOptions.Features);
        var model = new Option<string>("--model") { Description = "Checkpoint directory (or a training run's output directory, whose best/ or last/ is used).", Required = true }
            .Sets(nameof(ProbeRunOptions.Model));
        var data = new Option<string>("--data") { Description = "Labelled texts: .csv, .tsv or .jsonl with a text and a label column (and optionally a split column with train/test).", Required = true }
            .Sets(nameof(ProbeRunOptions.Data));
        var textColumn = new Option<string>("--text-column") { Description = "Column holding the text.", DefaultValueFactory = _ => "text" }
            .Sets(nameof(ProbeRunOptions.Columns), nameof(LabelledColumns.Text));
        var labelColumn = new Option<string>("--label-column") { Description = "Column holding the label.", DefaultValueFactory = _ => "label" }
            .Sets(nameof(ProbeRunOptions.Columns), nameof(LabelledColumns.Label));
        var splitColumn = new Option<string>("--split-column") { Description = "Column naming each row's split (train/test); used when present and no --test-data is given.", DefaultValueFactory = _ => "split" }
            .Sets(nameof(ProbeRunOptions.Columns), nameof(LabelledColumns.Split));
        var testData = new Option<string?>("--test-data") { Description = "A separate labelled test file (same columns). Then every row of --data is training data." }
            .Sets(nameof(ProbeRunOptions.Split), nameof(SplitOptions.TestDataPath));
        var testFraction = new Option<double>("--test-fraction") { Description = "Without --test-data or a split column: the fraction of each class held out for testing.", DefaultValueFactory = _ => 0.2 }
            .Sets(nameof(ProbeRunOptions.Split), nameof(SplitOptions.TestFraction));
        var topClasses = new Option<int?>("--top-classes") { Description = "Keep only the N most frequent labels of the training split (e.g. 10 for a long-tailed set); rows of other labels are left out of both splits." }
            .Sets(nameof(ProbeRunOptions.Split), nameof(SplitOptions.TopClasses));
        var pooling = new Option<string>("--pooling") { Description = "How token states become one vector: mean (over real tokens), first (the [CLS] position of encoders), last (the last real token; natural for decoders), max.", DefaultValueFactory = _ => "mean" }
            .Sets(Probe, Features, nameof(FeatureOptions.Pooling));
        var layer = new Option<string>("--layer") { Description = "Hidden state to read: last, an index (0 = embeddings, -2 = the block before the last), or mean:K (average of the last K).", DefaultValueFactory = _ => "last" }
            .Sets(Probe, Features, nameof(FeatureOptions.Layer));
        var samples = new Option<string>("--samples-per-label") { Description = "Labelled training examples per class at each point of the curve; 'all' uses the whole training split.", DefaultValueFactory = _ => "8,32,128,all" }
            .Sets(Probe, nameof(ProbeOptions.SamplesPerLabel));
        var experiments = new Option<int>("--experiments") { Description = "Repetitions per K, each with its own random sample (mean ± std are reported).", DefaultValueFactory = _ => 10 }
            .Sets(Probe, nameof(ProbeOptions.Experiments));
        var baselines = new Option<string>("--baselines") { Description = $"Baselines on the same samples: {ProbeMethods.BaselineChoices}.", DefaultValueFactory = _ => "tfidf,random,supervised" }
            .Sets(Probe, nameof(ProbeOptions.Baselines));
        var featureSets = new Option<string>("--features") { Description = $"Frozen feature sets probed: {ProbeMethods.FeatureSetChoices} (pretrained and TF-IDF columns side by side, each standardised; an extra method in the report). The pretrained features are always probed.", DefaultValueFactory = _ => "pretrained" }
            .Sets(Probe, nameof(ProbeOptions.FeatureSets));
        var maxTokens = new Option<int?>("--max-tokens") { Description = "Tokens per window (framing included); default and cap: the model's block size." }
            .Sets(Probe, Features, nameof(FeatureOptions.MaxTokens));
        var maxWindows = new Option<int>("--max-windows") { Description = "Windows of --max-tokens read per text: a longer text is split into consecutive, non-overlapping windows, each run through the model, and their vectors pooled into one (mean: weighted by tokens, i.e. the mean over every token read; max: element-wise; first/last: the first/last window's). Tokens past the last window are left out; 1 reads only the text's start.", DefaultValueFactory = _ => FeatureOptions.DefaultMaxWindows }
            .Sets(Probe, Features, nameof(FeatureOptions.MaxWindows));
        var batchSize = new Option<int>("--batch-size") { Description = "Windows (texts, or pieces of longer texts) per forward pass when extracting features.", DefaultValueFactory = _ => 32 }
            .Sets(Probe, Features, nameof(FeatureOptions.BatchSize));
        var supervisedSteps = new Option<int>("--supervised-max-steps") { Description = "Step cap of each end-to-end baseline run (bounds its time).", DefaultValueFactory = _ => 300 }
            .Sets(Probe, nameof(ProbeOptions.Supervised), nameof(SupervisedOptions.MaxSteps));
        var tfidfFeatures = new Option<int>("--tfidf-features") { Description = "Vocabulary cap of the TF-IDF baseline (half word, half character n-grams).", DefaultValueFactory = _ => 20_000 }
            .Sets(Probe, nameof(ProbeOptions.Tfidf), nameof(TfidfOptions.MaxFeatures));
        var cache = new Option<string?>("--cache") { Description = $"Feature cache directory (default: {FeatureCache.DefaultDirectory()}); '{ProbeRunOptions.NoCache}' disables it." }
            .Sets(nameof(ProbeRunOptions.Cache));
        var outDir = new Option<string>("--out") { Description = $"Where report.md, the chart (PNG, SVG), the CSV files and {ConfigFile.FileName} (this run's configuration, for --config) go.", Required = true }
            .Sets(nameof(ProbeRunOptions.OutputDirectory));
        var device = CommonOptions.Device().Sets(nameof(ProbeRunOptions.Device));
        var seed = CommonOptions.Seed().Sets(Probe, nameof(ProbeOptions.Seed)).Sets(nameof(ProbeRunOptions.Split), nameof(SplitOptions.Seed));
        var threads = CommonOptions.Threads().Sets(nameof(ProbeRunOptions.Threads));

        var command = new Command("probe",
            "Measure what pretraining buys on a labelled task: frozen features + logistic regression at several numbers of labels per class, " +
            "against TF-IDF, the same network with random weights and the same network trained from scratch, on the same samples and the same test split. " +
            "Writes a label-efficiency report (Markdown, chart, CSV) and its configuration (config.json; --config repeats the run) and prints the table.");
        foreach (var o in new Option[] { model, data, textColumn, labelColumn, splitColumn, testData, testFraction, topClasses, pooling, layer, samples, experiments, baselines,
                     featureSets, maxTokens, maxWindows, batchSize, supervisedSteps, tfidfFeatures, cache, outDir, device, seed, threads })
            command.Options.Add(o);
        var configFile = ConfigFileOption.Add(command, "a probe's config.json", model, data);

        command.SetAction((pr, ct) =>
        {
            var run = new ProbeRunOptions
            {
                Model = pr.GetValue(model)!,
                Data = pr.GetValue(data)!,
                Columns = new LabelledColumns(pr.GetValue(textColumn)!, pr.GetValue(labelColumn)!, pr.GetValue(splitColumn)!),
                Split = new SplitOptions(pr.GetValue(testData), pr.GetValue(testFraction), pr.GetValue(seed), pr.GetValue(topClasses)),
                Probe = new ProbeOptions
                {
                    SamplesPerLabel = FewShotSampler.ParseList(pr.GetValue(samples)!),
                    Experiments = pr.GetValue(experiments),
                    Seed = pr.GetValue(seed),
                    Features = new FeatureOptions(ParsePooling(pr.GetValue(pooling)!), LayerSelection.Parse(pr.GetValue(layer)), pr.GetValue(batchSize), pr.GetValue(maxTokens), MaxWindows: pr.GetValue(maxWindows)),
                    Baselines = ProbeMethods.ParseBaselines(pr.GetValue(baselines)!),
                    FeatureSets = ProbeMethods.ParseFeatureSets(pr.GetValue(featureSets)!),
                    Tfidf = new TfidfOptions(MaxFeatures: pr.GetValue(tfidfFeatures)),
                    Supervised = new SupervisedOptions(MaxSteps: pr.GetValue(supervisedSteps)),
                },
                Cache = pr.GetValue(cache),
                Device = pr.GetValue(device)!,
                Threads = pr.GetValue(threads),
                OutputDirectory = pr.GetValue(outDir)!,
            };
            if (pr.GetValue(configFile) is { } configPath)
                run = ConfigFile.FromJson<ProbeRunOptions>(ConfigFileOption.Overlay(ConfigFile.Load(configPath, ProbeRunOptions.ConfigKind), ConfigFile.ToJson(run, ProbeRunOptions.ConfigKind), pr),
                                                           ProbeRunOptions.ConfigKind, configPath);
            CommonOptions.ApplyThreads(run.Validate().Threads);
            return Task.FromResult(Run(AnsiConsole.Console, run, ct));
        });
        return command;
    }

    /// <summary>Runs the probe <paramref name="run"/> describes: writes its report and its <c>config.json</c>, prints the table.</summary>
    public static int Run(IAnsiConsole console, ProbeRunOptions run, CancellationToken ct)
    {
        var (dataPath, outDir, options) = (run.Data, run.OutputDirectory, run.Validate().ResolvedProbe);
        OutputChecks.EnsureWritable(outDir, nameof(ProbeRunOptions.OutputDirectory)); // before any computation: a read-only --out fails in a second
        using var outputLock = OutputLock.Acquire(outDir, "probe");
        // Check the data before loading the model: a wrong column name should fail in a second, not after a model load.
        var dataset = ProbeDataLoader.Load(dataPath, run.Columns, run.Split);
        var device = DeviceSelector.Resolve(run.Device);
        using var loaded = PretrainedModel.Load(run.Model, device);
        run.Save(); // what this run is given, so that --config repeats it
        console.MarkupLine($"[grey]probe:[/] {Markup.Escape(Path.GetFileName(dataPath))}: {dataset.Train.Count:N0} train / {dataset.Test.Count:N0} test texts, {dataset.Classes.Count} classes; device {Markup.Escape(device.ToString())}");
        foreach (var note in dataset.Notes) console.MarkupLine($"[grey]  note:[/] {Markup.Escape(note)}");
        var progress = new SyncProgress(line => console.MarkupLine($"[grey]{Markup.Escape(line)}[/]"));
        var result = LabelEfficiencyRunner.Run(loaded, dataset, options, device, progress, ct);
        var files = LabelEfficiencyReport.Write(result, outDir);

        var table = new Table().Border(TableBorder.Rounded).Title("accuracy, % (mean ± std over runs)");
        table.AddColumn("labels per class");
        foreach (var m in result.Methods) table.AddColumn(new TableColumn(Markup.Escape(m.Title())).RightAligned());
        foreach (var k in options.SamplesPerLabel)
        {
            var row = result.Methods.Select(m => result.Summary(m, k)).ToList();
            if (row.All(s => s is null)) continue;
            var best = row.Where(s => s is not null).Max(s => s!.AccuracyMean);
            var cells = new List<string> { (k?.ToString(CultureInfo.InvariantCulture) ?? $"all ({dataset.Train.Count:N0})") + (result.IsShort(k) ? " †" : "") };
            foreach (var s in row)
            {
                if (s is null) { cells.Add("–"); continue; }
                var text = s.Runs > 1 ? $"{100 * s.AccuracyMean:F1} ± {100 * s.AccuracyStd:F1}" : $"{100 * s.AccuracyMean:F1}";
                cells.Add(s.AccuracyMean >= best - 1e-12 ? $"[bold green]{text}[/]" : text);
            }
            table.AddRow(cells.ToArray());
        }
        console.Write(table);
        if (result.Shortfalls.Any(p => p.Value.Count > 0)) console.MarkupLine("[yellow]†[/] some class had fewer training examples than K; it used all it had (see report.md).");
        console.WriteLine();
        console.WriteLine(LabelEfficiencyReading.Paragraph(result));
        console.WriteLine();
        console.MarkupLine($"[green]wrote[/] {Markup.Escape(string.Join(", ", files.Select(Path.GetFileName)))} to {Markup.Escape(Path.GetFullPath(outDir))}");
        return 0;
    }

    private static Pooling ParsePooling(string s) => s.Trim().ToLowerInvariant() switch
    {
        "mean" => Pooling.Mean,
        "first" or "cls" => Pooling.First,
        "last" => Pooling.Last,
        "max" => Pooling.Max,
        _ => throw new TextSslException($"--pooling '{s}': choose mean, first (cls), last or max."),
    };

    // Progress<T> posts to the thread pool; reports must print in order and before the table.
    private sealed class SyncProgress(Action<string> report) : IProgress<string>
    {
        public void Report(string value) => report(value);
    }
}
