namespace TextSSL.Probing;

/// <summary>Everything a label-efficiency probe run is configured by.</summary>
/// <remarks>
/// Defaults: K = 8, 32, 128 and all examples per class; 10 experiments per K (one for <c>all</c>, whose sample
/// is the whole training split); baselines TF-IDF, random weights and supervised from scratch; λ from
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

    /// <summary>Where frozen features are cached; null disables the cache.</summary>
    public string? CacheDirectory { get; init; }

    /// <summary>Checks ranges.</summary>
    /// <exception cref="TextSslException">A value is out of range.</exception>
    public ProbeOptions Validate()
    {
        if (Experiments < 1) throw new TextSslException($"--experiments must be at least 1 (got {Experiments}).");
        if (SamplesPerLabel.Count == 0) throw new TextSslException("--samples-per-label is empty.");
        if (L2Grid.Count == 0 || L2Grid.Any(l => l < 0 || double.IsNaN(l))) throw new TextSslException("the L2 grid needs one or more non-negative values.");
        return this;
    }
}
