using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using TextSSL.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace TextSSL.Probing;

/// <summary>
/// Runs the label-efficiency protocol (MTEB classification style): for each K and each experiment, one
/// sample of K training examples per class is drawn, every method is fitted on that same sample, and every
/// fit is scored on the whole, fixed test split.
/// </summary>
public static class LabelEfficiencyRunner
{
    /// <summary>Runs the protocol for <paramref name="model"/> on <paramref name="data"/>.</summary>
    /// <param name="model">The pretrained model, loaded with <see cref="PretrainedModel.Load"/>.</param>
    /// <param name="data">Fixed train/test splits.</param>
    /// <param name="options">K values, experiments, baselines and settings.</param>
    /// <param name="device">Where features, probes and end-to-end training run.</param>
    /// <param name="progress">Receives one line per step worth reporting.</param>
    /// <param name="ct">Cancels between runs and batches.</param>
    public static ProbeResult Run(PretrainedModel model, ProbeDataset data, ProbeOptions options, Device device, IProgress<string>? progress = null, CancellationToken ct = default)
    {
        options.Validate();
        var clock = Stopwatch.StartNew();
        var config = model.Model.Config;
        var notes = new List<string>(data.Notes);
        var k = data.Classes.Count;
        var trainTexts = data.Train.Select(e => e.Text).ToList();
        var testTexts = data.Test.Select(e => e.Text).ToList();
        var allTexts = trainTexts.Concat(testTexts).ToList();

        progress?.Report($"tokenizing {allTexts.Count:N0} texts");
        var encoded = EncodedTexts.Encode(model.Tokenizer, config, allTexts, options.Features.MaxTokens, options.Features.MaxWindows, ct);
        var window = Math.Min(options.Features.MaxTokens ?? config.BlockSize, config.BlockSize);
        var maxWindows = options.Features.MaxWindows;
        if (encoded.Windowed > 0)
            notes.Add($"{encoded.Windowed:N0} of {allTexts.Count:N0} text(s) were longer than one window of {window} tokens and were read in consecutive windows " +
                      $"(at most {maxWindows}; {encoded.WindowCount:N0} windows in all), each window's vector pooled into the text's ({options.Features.Pooling.ToString().ToLowerInvariant()}" +
                      (options.Features.Pooling == Pooling.Mean ? ", weighted by the window's tokens" : "") + ").");
        if (encoded.Truncated > 0)
            notes.Add(maxWindows == 1
                ? $"{encoded.Truncated:N0} of {allTexts.Count:N0} text(s) were longer than {window} tokens and were cut to their start (one window per text)."
                : $"{encoded.Truncated:N0} of {allTexts.Count:N0} text(s) were longer than {maxWindows} windows of {window} tokens and were cut after the last window.");
        if (maxWindows > 1) notes.Add("The end-to-end baselines (supervised from scratch, fine-tuned) read only each text's first window.");
        if (encoded.LossyEncoded > 0) notes.Add($"{encoded.LossyEncoded} text(s) held characters the tokenizer cannot encode; those characters were left out.");
        var encTrain = Subset(encoded, Enumerable.Range(0, trainTexts.Count));
        var encTest = Subset(encoded, Enumerable.Range(trainTexts.Count, testTexts.Count));

        // Feature matrices for the probe methods: rows = train then test.
        var features = new Dictionary<ProbeMethod, Tensor>();
        var cache = options.CacheDirectory is { } dir ? new FeatureCache(dir) : null;
        var dataFingerprint = FeatureCache.DataFingerprint(allTexts);
        TfidfBaseline? tfidf = null; // sparse features, fitted by the sparse solver on the CPU
        TfidfBaseline? combined = null; // TF-IDF and pretrained columns side by side, also sparse
        try
        {
            features[ProbeMethod.Pretrained] = Frozen("pretrained", model.Model, () => FeatureCache.ModelFingerprintOf(model.WeightsSha256, model.Tokenizer.Fingerprint));
            if (options.Baselines.Contains(ProbeMethod.RandomWeights))
            {
                manual_seed(options.Seed);
                using var random = new Transformer(config);
                random.to(device);
                var configJson = JsonSerializer.Serialize(config);
                features[ProbeMethod.RandomWeights] = Frozen("random weights", random, () => $"random:{options.Seed};{configJson};tokenizer:{model.Tokenizer.Fingerprint}");
            }
            var combine = options.FeatureSets.Contains(ProbeMethod.PretrainedTfidf);
            if (options.Baselines.Contains(ProbeMethod.Tfidf) || combine)
            {
                progress?.Report("TF-IDF: fitting the vocabulary on the training texts");
                tfidf = TfidfBaseline.Create(trainTexts, testTexts, options.Tfidf, ct);
                notes.Add($"TF-IDF: {tfidf.Vectorizer.FeatureCount:N0} word 1–{options.Tfidf.WordNgramMax}-gram and character {options.Tfidf.CharNgramMin}–{options.Tfidf.CharNgramMax}-gram features; vocabulary and IDF from all training texts (their labels unused, as pretraining uses unlabelled text), never from test texts.");
            }

            if (combine)
            {
                // Sparse TF-IDF columns with the pretrained columns appended: one CSR matrix, fitted by the sparse
                // solver, which scales every column by its standard deviation on the training sample.
                progress?.Report("pretrained + TF-IDF: appending the pretrained features to the TF-IDF rows");
                combined = tfidf!.WithDenseColumns(features[ProbeMethod.Pretrained]);
                notes.Add($"pretrained + TF-IDF: the {features[ProbeMethod.Pretrained].shape[1]:N0} pretrained feature columns appended to the {tfidf.Vectorizer.FeatureCount:N0} TF-IDF columns; every column standardised on the training sample (scaled by its standard deviation; its mean goes into the unpenalised bias), one L2 penalty for all.");
            }

            var methods = new List<ProbeMethod>(options.FeatureSets);
            methods.AddRange(options.Baselines.Where(m => !methods.Contains(m)));
            var runs = new List<ProbeRun>();
            var shortfalls = new Dictionary<int, IReadOnlyDictionary<string, int>>();
            foreach (var perClass in options.SamplesPerLabel)
            {
                // With every example taken, repeated draws are identical: one run says all there is.
                var experiments = perClass is null ? 1 : options.Experiments;
                for (var e = 0; e < experiments; e++)
                {
                    var seed = unchecked(options.Seed + 1_000 * (e + 1) + (perClass ?? 0));
                    var sample = FewShotSampler.Sample(data.TrainLabels, k, perClass, seed);
                    if (perClass is { } kk && e == 0)
                        shortfalls[kk] = sample.Shortfall.ToDictionary(p => data.Classes[p.Key], p => p.Value);
                    var trainIds = sample.Indices.Select(i => data.Train[i].Id).ToArray();
                    var yTrain = sample.Indices.Select(i => data.TrainLabels[i]).ToArray();
                    foreach (var method in methods)
                    {
                        ct.ThrowIfCancellationRequested();
                        var watch = Stopwatch.StartNew();
                        ClassificationMetrics metrics;
                        double? l2 = null;
                        string? l2Method = null;
                        if ((method == ProbeMethod.Tfidf ? tfidf : method == ProbeMethod.PretrainedTfidf ? combined : null) is { } sparse)
                        {
                            (var predicted, var choice) = sparse.FitAndPredict(sample.Indices, yTrain, k, options.L2Grid, seed, options.Solver, ct);
                            metrics = ClassificationMetrics.FromPredictions(data.TestLabels, predicted, data.Classes);
                            l2 = choice.L2;
                            l2Method = choice.Method;
                        }
                        else if (features.TryGetValue(method, out var x))
                        {
                            (metrics, var choice) = Probe(x, data, sample.Indices, yTrain, options, seed, ct);
                            l2 = choice.L2;
                            l2Method = choice.Method;
                        }
                        else
                        {
                            var predicted = SupervisedTrainer.TrainAndPredict(config, method == ProbeMethod.FineTuned ? model : null,
                                Subset(encTrain, sample.Indices), yTrain, encTest, k, options.Supervised, seed, device, ct);
                            metrics = ClassificationMetrics.FromPredictions(data.TestLabels, predicted, data.Classes);
                        }
                        var run = new ProbeRun(method, perClass, e, seed, trainIds, metrics, l2, l2Method, watch.Elapsed.TotalSeconds);
                        runs.Add(run);
                        progress?.Report($"{method.Title()} · K={KText(perClass)} · run {e + 1}/{experiments}: accuracy {metrics.Accuracy:P1}, macro-F1 {metrics.MacroF1:P1}" +
                                         (l2 is { } l ? $" (λ={l.ToString("G2", CultureInfo.InvariantCulture)})" : "") + $" [{watch.Elapsed.TotalSeconds:F1}s]");
                    }
                }
            }
            var summaries = Summarise(runs, methods, options.SamplesPerLabel);
            var modelText = $"{Path.GetFullPath(model.Directory)} ({config.Kind.ToString().ToLowerInvariant()}, {config.Layers} layers × {config.Dim} dims, " +
                            $"{model.Model.ParameterCount:N0} parameters, task {model.Info.Task}, step {model.Info.Step:N0}, {model.Tokenizer.Kind} tokenizer)";
            var dataText = $"{data.Train.Count:N0} training / {data.Test.Count:N0} test texts, {k} classes";
            return new ProbeResult(modelText, dataText, data, options, device.ToString(), runs, summaries, shortfalls, notes, clock.Elapsed.TotalSeconds);
        }
        finally
        {
            foreach (var f in features.Values) f.Dispose();
        }

        Tensor Frozen(string what, Transformer network, Func<string> modelFingerprint)
        {
            Tensor Compute()
            {
                progress?.Report($"{what}: extracting features of {allTexts.Count:N0} texts ({options.Features.Describe()})");
                var last = -1;
                var reporter = progress is null ? null : new InlineProgress<(int Done, int Total)>(p =>
                {
                    var pct = 100 * p.Done / Math.Max(1, p.Total);
                    if (pct / 25 != last / 25) { last = pct; progress.Report($"{what}: {p.Done:N0}/{p.Total:N0} texts"); }
                });
                return FeatureExtractor.Extract(network, encoded, options.Features, device, reporter, ct);
            }
            Tensor result;
            if (cache is null) result = Compute();
            else
            {
                var key = FeatureCache.Key("textssl-features-v1", modelFingerprint(), dataFingerprint, options.Features.Describe());
                result = cache.GetOrCreate(key, Compute, out var hit);
                if (hit) progress?.Report($"{what}: features read from the cache ({cache.Directory})");
            }
            return OnDevice(result, device);
        }
    }

    // Features are computed and cached on the CPU; probes then run where the model does.
    private static Tensor OnDevice(Tensor t, Device device)
    {
        if (device.type == DeviceType.CPU) return t;
        using (t) return t.to(device);
    }

    private static (ClassificationMetrics Metrics, RegularizationChoice Choice) Probe(Tensor x, ProbeDataset data, int[] sample, int[] yTrain, ProbeOptions options, int seed, CancellationToken ct)
    {
        using var scope = NewDisposeScope();
        var n = data.Train.Count;
        var xTrain = x.index_select(0, tensor(sample.Select(i => (long)i).ToArray(), device: x.device));
        var xTest = x[n..];
        var choice = RegularizationSearch.Choose(xTrain, yTrain, data.Classes.Count, options.L2Grid, seed, options.Solver, ct);
        using var model = LogisticRegression.Fit(xTrain, yTrain, data.Classes.Count, options.Solver with { L2 = choice.L2 });
        var predicted = model.Predict(xTest);
        return (ClassificationMetrics.FromPredictions(data.TestLabels, predicted, data.Classes), choice);
    }

    private static List<ProbeSummary> Summarise(List<ProbeRun> runs, List<ProbeMethod> methods, IReadOnlyList<int?> ks)
    {
        var summaries = new List<ProbeSummary>();
        foreach (var method in methods)
            foreach (var k in ks)
            {
                var group = runs.Where(r => r.Method == method && r.SamplesPerLabel == k).ToList();
                if (group.Count == 0) continue;
                var acc = group.Select(r => r.Metrics.Accuracy).ToArray();
                var f1 = group.Select(r => r.Metrics.MacroF1).ToArray();
                summaries.Add(new ProbeSummary(method, k, group.Count, group[0].TrainIds.Count, acc.Average(), Std(acc), f1.Average(), Std(f1)));
            }
        return summaries;
    }

    /// <summary>Sample standard deviation (n − 1); 0 for fewer than two values.</summary>
    public static double Std(IReadOnlyList<double> values)
    {
        if (values.Count < 2) return 0;
        var mean = values.Average();
        return Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1));
    }

    /// <summary>K as text: the number, or <c>all</c>.</summary>
    public static string KText(int? k) => k?.ToString(CultureInfo.InvariantCulture) ?? "all";

    // The end-to-end baselines read one sequence per text: its first window.
    private static EncodedTexts Subset(EncodedTexts texts, IEnumerable<int> rows) =>
        EncodedTexts.FromSequences(rows.Select(i => texts.Ids[i]));
}
