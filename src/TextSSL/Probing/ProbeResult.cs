namespace TextSSL.Probing;

/// <summary>One fit-and-score: a method on one sample.</summary>
/// <param name="Method">The method.</param>
/// <param name="SamplesPerLabel">K, or null for all.</param>
/// <param name="Experiment">Repetition index (0-based).</param>
/// <param name="Seed">Seed of the sample.</param>
/// <param name="TrainIds">Ids of the training examples the method saw.</param>
/// <param name="Metrics">Scores on the whole test split.</param>
/// <param name="L2">The λ chosen (probe methods only).</param>
/// <param name="L2Method">How λ was chosen.</param>
/// <param name="Seconds">Wall time of the fit and prediction.</param>
public sealed record ProbeRun(ProbeMethod Method, int? SamplesPerLabel, int Experiment, int Seed, IReadOnlyList<long> TrainIds,
    ClassificationMetrics Metrics, double? L2, string? L2Method, double Seconds);

/// <summary>Mean and standard deviation over a method's runs at one K.</summary>
/// <param name="Method">The method.</param>
/// <param name="SamplesPerLabel">K, or null for all.</param>
/// <param name="Runs">Number of runs.</param>
/// <param name="TrainExamples">Training examples per run (all classes).</param>
/// <param name="AccuracyMean">Mean accuracy.</param>
/// <param name="AccuracyStd">Sample standard deviation of accuracy (0 for one run).</param>
/// <param name="MacroF1Mean">Mean macro-F1.</param>
/// <param name="MacroF1Std">Sample standard deviation of macro-F1.</param>
public sealed record ProbeSummary(ProbeMethod Method, int? SamplesPerLabel, int Runs, int TrainExamples,
    double AccuracyMean, double AccuracyStd, double MacroF1Mean, double MacroF1Std);

/// <summary>What was probed, with what, and every result.</summary>
/// <param name="Model">A one-line description of the checkpoint.</param>
/// <param name="Data">A one-line description of the data.</param>
/// <param name="Dataset">The fixed splits.</param>
/// <param name="Options">The configuration.</param>
/// <param name="Device">Where it ran.</param>
/// <param name="Runs">Every run.</param>
/// <param name="Summaries">Per method and K.</param>
/// <param name="Shortfalls">Per K: classes with fewer than K training examples → examples used.</param>
/// <param name="Notes">Handling of the input worth knowing when reading the numbers.</param>
/// <param name="Seconds">Total wall time.</param>
public sealed record ProbeResult(string Model, string Data, ProbeDataset Dataset, ProbeOptions Options, string Device,
    IReadOnlyList<ProbeRun> Runs, IReadOnlyList<ProbeSummary> Summaries,
    IReadOnlyDictionary<int, IReadOnlyDictionary<string, int>> Shortfalls, IReadOnlyList<string> Notes, double Seconds)
{
    /// <summary>The methods in result order (the pretrained probe first).</summary>
    public IReadOnlyList<ProbeMethod> Methods => Summaries.Select(s => s.Method).Distinct().ToList();

    /// <summary>The summary of <paramref name="method"/> at <paramref name="k"/>, if it ran.</summary>
    public ProbeSummary? Summary(ProbeMethod method, int? k) => Summaries.FirstOrDefault(s => s.Method == method && s.SamplesPerLabel == k);

    /// <summary>Whether some class had fewer than <paramref name="k"/> training examples.</summary>
    public bool IsShort(int? k) => k is { } v && Shortfalls.TryGetValue(v, out var s) && s.Count > 0;
}
