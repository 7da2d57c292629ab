using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using TextSSL.Benchmarks;
using TextSSL.Probing;
using TextSSL.Runtime;
using static TorchSharp.torch;

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
        var threads = CommonOptions.Threads();
        var outDir = BenchOptions.Out();
        var cmd = new Command("tfidf",
            "Fits the probe's TF-IDF baseline (vectorizer, λ by cross-validation, final fit) on every training example of a labelled file, " +
            "exactly as textssl probe does at K = all, and prints the seconds of each stage, the peak resident memory and the test accuracy; " +
            "writes bench-tfidf.csv/.md.");
        foreach (var o in new Option[] { data, topClasses, features, seed, threads, outDir }) cmd.Options.Add(o);
        cmd.SetAction((ParseResult pr, CancellationToken ct) => Task.Run(() =>
        {
            CommonOptions.ApplyThreads(pr.GetValue(threads));
            TorchRuntime.EnsureLoaded();
            var dataset = ProbeDataLoader.Load(pr.GetValue(data)!, new LabelledColumns(), new SplitOptions(TopClasses: pr.GetValue(topClasses)));
            var probe = new ProbeOptions { Seed = pr.GetValue(seed), Tfidf = new TfidfOptions(MaxFeatures: pr.GetValue(features)) }.Validate();
            Console.Error.WriteLine($"{dataset.Train.Count:N0} training / {dataset.Test.Count:N0} test texts, {dataset.Classes.Count} classes; fitting TF-IDF at K = all ...");

            var total = Stopwatch.StartNew();
            var watch = Stopwatch.StartNew();
            var trainTexts = dataset.Train.Select(e => e.Text).ToList();
            var allTexts = trainTexts.Concat(dataset.Test.Select(e => e.Text)).ToList();
            var vectorizer = TfidfVectorizer.Fit(trainTexts, probe.Tfidf, ct);
            using var x = vectorizer.Transform(allTexts, ct);
            var featureSeconds = watch.Elapsed.TotalSeconds;

            // The same sample and seed as the probe's K = all run.
            var sampleSeed = unchecked(probe.Seed + 1_000);
            var sample = FewShotSampler.Sample(dataset.TrainLabels, dataset.Classes.Count, null, sampleSeed);
            var yTrain = sample.Indices.Select(i => dataset.TrainLabels[i]).ToArray();
            using var scope = NewDisposeScope();
            var xTrain = x.index_select(0, tensor(sample.Indices.Select(i => (long)i).ToArray()));
            var xTest = x[dataset.Train.Count..];
            watch.Restart();
            var choice = RegularizationSearch.Choose(xTrain, yTrain, dataset.Classes.Count, probe.L2Grid, sampleSeed, probe.Solver, ct);
            var searchSeconds = watch.Elapsed.TotalSeconds;
            watch.Restart();
            using var model = LogisticRegression.Fit(xTrain, yTrain, dataset.Classes.Count, probe.Solver with { L2 = choice.L2 });
            var predicted = model.Predict(xTest);
            var fitSeconds = watch.Elapsed.TotalSeconds;
            var accuracy = ClassificationMetrics.FromPredictions(dataset.TestLabels, predicted, dataset.Classes).Accuracy;
            var seconds = total.Elapsed.TotalSeconds;
            var peakMb = Process.GetCurrentProcess().PeakWorkingSet64 / (1024.0 * 1024.0);

            var table = new BenchTable("TF-IDF baseline at K = all",
                "train texts", "test texts", "classes", "features", "lambda", "features s", "lambda search s", "final fit s", "total s", "peak resident MB", "test accuracy");
            table.Add(dataset.Train.Count, dataset.Test.Count, dataset.Classes.Count, vectorizer.FeatureCount,
                choice.L2.ToString("G2", CultureInfo.InvariantCulture), Math.Round(featureSeconds, 2), Math.Round(searchSeconds, 2), Math.Round(fitSeconds, 2),
                Math.Round(seconds, 2), Math.Round(peakMb, 0), Math.Round(accuracy, 4));
            BenchOptions.Report(table, pr.GetValue(outDir)!, "bench-tfidf");
            return 0;
        }, ct));
        return cmd;
    }
}
