using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using TextSSL.Benchmarks;
using TextSSL.Probing;

namespace TextSSL.Cli.Commands;

/// <summary><c>textssl bench tfidf</c>: the probe's TF-IDF baseline at K = all, timed, with its peak memory and accuracy.</summary>
internal static class BenchTfidfCommand
{
    public static Command Create()
    {
        var data = new Option<string>("--data") { Description = "Labelled texts (.csv, .tsv or .jsonl with text, label and optionally split columns), as for textssl probe.", Required = true };
        var topClasses = new Option<int?>("--top-classes") { Description = "Keep only the N most frequent training labels (as textssl probe --top-classes)." };
        var features = new Option<int>("--tfidf-features") { Description = "Vocabulary cap (half word, half character n-grams).", DefaultValueFactory = _ => 20_000 };
        var seed = CommonOptions.Seed();
        var outDir = BenchOptions.Out();
        var cmd = new Command("tfidf",
            "Fits the probe's TF-IDF baseline (vectorizer, λ by cross-validation, final fit) on every training example of a labelled file, " +
            "exactly as textssl probe does at K = all, and prints the seconds of each stage, the peak resident memory and the test accuracy; " +
            "writes bench-tfidf.csv/.md. Runs on the CPU cores .NET sees (limit them with taskset).");
        foreach (var o in new Option[] { data, topClasses, features, seed, outDir }) cmd.Options.Add(o);
        cmd.SetAction((ParseResult pr, CancellationToken ct) => Task.Run(() =>
        {
            var dataset = ProbeDataLoader.Load(pr.GetValue(data)!, new LabelledColumns(), new SplitOptions(TopClasses: pr.GetValue(topClasses)));
            var probe = new ProbeOptions { Seed = pr.GetValue(seed), Tfidf = new TfidfOptions(MaxFeatures: pr.GetValue(features)) }.Validate();
            Console.Error.WriteLine($"{dataset.Train.Count:N0} training / {dataset.Test.Count:N0} test texts, {dataset.Classes.Count} classes; fitting TF-IDF at K = all ...");

            var process = Process.GetCurrentProcess();
            var cpu0 = process.TotalProcessorTime;
            var total = Stopwatch.StartNew();
            var watch = Stopwatch.StartNew();
            var baseline = TfidfBaseline.Create(dataset.Train.Select(e => e.Text).ToList(), dataset.Test.Select(e => e.Text).ToList(), probe.Tfidf, ct);
            var featureSeconds = watch.Elapsed.TotalSeconds;
            process.Refresh();
            var cpu1 = process.TotalProcessorTime;

            // The same sample and seed as the probe's K = all run.
            var sampleSeed = unchecked(probe.Seed + 1_000);
            var sample = FewShotSampler.Sample(dataset.TrainLabels, dataset.Classes.Count, null, sampleSeed);
            var yTrain = sample.Indices.Select(i => dataset.TrainLabels[i]).ToArray();
            watch.Restart();
            var (predicted, choice) = baseline.FitAndPredict(sample.Indices, yTrain, dataset.Classes.Count, probe.L2Grid, sampleSeed, probe.Solver, ct);
            var fitSeconds = watch.Elapsed.TotalSeconds;
            process.Refresh();
            var cpu2 = process.TotalProcessorTime;
            var accuracy = ClassificationMetrics.FromPredictions(dataset.TestLabels, predicted, dataset.Classes).Accuracy;
            var seconds = total.Elapsed.TotalSeconds;
            var peakMb = process.PeakWorkingSet64 / (1024.0 * 1024.0);

            var table = new BenchTable("TF-IDF baseline at K = all",
                "train texts", "test texts", "classes", "features", "non-zeros", "lambda", "features s (CPU s)", "lambda search + fit s (CPU s)", "total s (CPU s)", "peak resident MB", "test accuracy");
            table.Add(dataset.Train.Count, dataset.Test.Count, dataset.Classes.Count, baseline.Vectorizer.FeatureCount, baseline.Features.NonZeros,
                choice.L2.ToString("G2", CultureInfo.InvariantCulture), Pair(featureSeconds, cpu1 - cpu0), Pair(fitSeconds, cpu2 - cpu1),
                Pair(seconds, cpu2 - cpu0), Math.Round(peakMb), accuracy.ToString("P2", CultureInfo.InvariantCulture));
            BenchOptions.Report(table, pr.GetValue(outDir)!, "bench-tfidf");
            return 0;
        }, ct));
        return cmd;
    }

    // Wall seconds with the CPU seconds of the process beside them (on a shared machine the CPU figure is the steadier one).
    private static string Pair(double wall, TimeSpan cpu) =>
        string.Create(CultureInfo.InvariantCulture, $"{wall:F1} ({cpu.TotalSeconds:F1})");
}
