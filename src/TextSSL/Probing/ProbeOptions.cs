namespace TextSSL.Probing;

/// <summary>Everything a label-efficiency probe run is configured by.</summary>
/// <remarks>
/// Defaults: K = 8, 32, 128 and all examples per class; 10 experiments per K (one for <c>all</c>, whose sample
/// is the whole training split); the pretrained features alone; baselines TF-IDF, random weights and supervised from scratch; λ from
/// <see cref="RegularizationSearch.DefaultGrid"/>; no feature cache unless <see cref="CacheDirectory"/> is set.
/// </remarks>
public sealed record ProbeOptions
{
    /// <summary>Labelled examples per class for each point of the curve; null means all.</summary>
    public IReadOnlyList<int?> SamplesPerLabel { get; init; } = [8, 32, 128, null];

    /// <summary>Repetitions per K, each with its own sample.</summary>
    public int Experiments { get; init; } = 10;

    /// <summary>Seed of samples, folds, random weights and supervised training.</summary>
    public int Seed { get; init; } = 1337;

    /// <summary>How frozen features are read.</summary>
    public FeatureOptions Features { get; init; } = new();

    /// <summary>
    /// Frozen feature sets probed: <see cref="ProbeMethod.Pretrained"/> (always) and optionally
    /// <see cref="ProbeMethod.PretrainedTfidf"/> (pretrained and TF-IDF columns side by side).
    /// </summary>
    public IReadOnlyList<ProbeMethod> FeatureSets { get; init; } = [ProbeMethod.Pretrained];

    /// <summary>Baselines run beside the pretrained probe, on the same samples.</summary>
    public IReadOnlyList<ProbeMethod> Baselines { get; init; } = [ProbeMethod.Tfidf, ProbeMethod.RandomWeights, ProbeMethod.Supervised];

    /// <summary>Candidate L2 strengths.</summary>
    public IReadOnlyList<double> L2Grid { get; init; } = RegularizationSearch.DefaultGrid;

    /// <summary>Logistic-regression solver limits.</summary>
    public LogisticRegressionOptions Solver { get; init; } = new();

    /// <summary>TF-IDF baseline settings.</summary>
    public TfidfOptions Tfidf { get; init; } = new();

    /// <summary>End-to-end baseline settings.</summary>
    public SupervisedOptions Supervised { get; init; } = new();

    /// <summary>Where frozen features are cached; null disables the cache. Not part of a run's <c>config.json</c> (<see cref="ProbeRunOptions.Cache"/> is).</summary>
    [System.Text.Json.Serialization.JsonIgnore] public string? CacheDirectory { get; init; }

    /// <summary>The most <see cref="Experiments"/> per K.</summary>
    public const int ExperimentsLimit = 10_000;

    /// <summary>Checks every value (finite, in range), including <see cref="Features"/> and <see cref="Supervised"/>.</summary>
    /// <exception cref="OptionException">A value is out of range; the exception names the property.</exception>
    public ProbeOptions Validate()
    {
        OptionException.CheckRange(nameof(Experiments), Experiments, 1, ExperimentsLimit);
        if (SamplesPerLabel is null || SamplesPerLabel.Count == 0)
            throw new OptionException(nameof(SamplesPerLabel), "SamplesPerLabel is empty; give at least one K (null means all examples).");
        if (SamplesPerLabel.FirstOrDefault(k => k is < 1) is { } bad)
            throw new OptionException(nameof(SamplesPerLabel), $"SamplesPerLabel must hold positive numbers or null for all (got {bad}).");
        if (L2Grid is null || L2Grid.Count == 0 || L2Grid.Any(l => !double.IsFinite(l) || l < 0))
            throw new OptionException(nameof(L2Grid), "L2Grid needs one or more finite, non-negative values.");
        if (FeatureSets is null || !FeatureSets.Contains(ProbeMethod.Pretrained))
            throw new OptionException(nameof(FeatureSets), "FeatureSets must include the pretrained features (the thing being measured).");
        if (FeatureSets.FirstOrDefault(m => m is not (ProbeMethod.Pretrained or ProbeMethod.PretrainedTfidf), ProbeMethod.Pretrained) is var other && other != ProbeMethod.Pretrained)
            throw new OptionException(nameof(FeatureSets), $"FeatureSets: {other.Key()} is a baseline, not a frozen feature set; choose from {ProbeMethods.FeatureSetChoices}.");
        if (Baselines is null) throw new OptionException(nameof(Baselines), "Baselines is null; give an empty list for none.");
        if (Baselines.Contains(ProbeMethod.PretrainedTfidf))
            throw new OptionException(nameof(Baselines), "Baselines: pretrained+tfidf is a frozen feature set; list it in FeatureSets.");
        (Features ?? throw new OptionException(nameof(Features), "Features is null.")).Validate();
        var s = Supervised ?? throw new OptionException(nameof(Supervised), "Supervised is null.");
        OptionException.CheckRange(SupervisedOption(nameof(SupervisedOptions.Epochs)), s.Epochs, 1, 1_000_000);
        OptionException.CheckRange(SupervisedOption(nameof(SupervisedOptions.MaxSteps)), s.MaxSteps, 1, 10_000_000);
        OptionException.CheckRange(SupervisedOption(nameof(SupervisedOptions.MinSteps)), s.MinSteps, 0, 10_000_000);
        OptionException.CheckRange(SupervisedOption(nameof(SupervisedOptions.BatchSize)), s.BatchSize, 1, 65_536);
        OptionException.CheckRange(SupervisedOption(nameof(SupervisedOptions.LearningRate)), s.LearningRate, 0, 10);
        OptionException.CheckRange(SupervisedOption(nameof(SupervisedOptions.WeightDecay)), s.WeightDecay, 0, 10);
        return this;
    }

    /// <summary>How messages name a property of <see cref="Supervised"/>: <c>Supervised.MaxSteps</c>.</summary>
    public static string SupervisedOption(string property) => nameof(Supervised) + "." + property;
}
