namespace TextSSL.Probing;

/// <summary>A way of classifying the probe's texts; the pretrained probe and its baselines.</summary>
public enum ProbeMethod
{
    /// <summary>The checkpoint's frozen features + logistic regression (the thing being measured).</summary>
    Pretrained,
    /// <summary>Baseline (a): TF-IDF of word and character n-grams + the same logistic regression.</summary>
    Tfidf,
    /// <summary>Baseline (b): the same architecture with random weights, frozen, + the same logistic regression.</summary>
    RandomWeights,
    /// <summary>Baseline (c): the same architecture trained end to end on the labelled sample only.</summary>
    Supervised,
    /// <summary>Optional (d): the pretrained model fine-tuned end to end on the labelled sample.</summary>
    FineTuned,
    /// <summary>
    /// The checkpoint's frozen features and the TF-IDF features side by side (each column standardised) + the same
    /// logistic regression: what a practitioner with both in hand would try.
    /// </summary>
    PretrainedTfidf,
}

/// <summary>Names and parsing of <see cref="ProbeMethod"/>.</summary>
internal static class ProbeMethods
{
    /// <summary>The names <see cref="ParseBaselines"/> accepts.</summary>
    public const string BaselineChoices = "tfidf, random, supervised, finetune (or none)";

    /// <summary>The names <see cref="ParseFeatureSets"/> accepts.</summary>
    public const string FeatureSetChoices = "pretrained, pretrained+tfidf";

    /// <summary>The short name used in CSV files and on the command line.</summary>
    public static string Key(this ProbeMethod method) => method switch
    {
        ProbeMethod.Pretrained => "pretrained",
        ProbeMethod.Tfidf => "tfidf",
        ProbeMethod.RandomWeights => "random",
        ProbeMethod.Supervised => "supervised",
        ProbeMethod.FineTuned => "finetune",
        ProbeMethod.PretrainedTfidf => "pretrained+tfidf",
        _ => throw new ArgumentOutOfRangeException(nameof(method)),
    };

    /// <summary>The name shown in tables, charts and prose.</summary>
    public static string Title(this ProbeMethod method) => method switch
    {
        ProbeMethod.Pretrained => "pretrained + probe",
        ProbeMethod.Tfidf => "TF-IDF + probe",
        ProbeMethod.RandomWeights => "random weights + probe",
        ProbeMethod.Supervised => "supervised from scratch",
        ProbeMethod.FineTuned => "pretrained, fine-tuned",
        ProbeMethod.PretrainedTfidf => "pretrained + TF-IDF + probe",
        _ => throw new ArgumentOutOfRangeException(nameof(method)),
    };

    /// <summary>Parses a comma-separated baseline list such as <c>tfidf,random,supervised</c>.</summary>
    /// <exception cref="OptionException">An unknown name (names <see cref="ProbeOptions.Baselines"/>).</exception>
    public static IReadOnlyList<ProbeMethod> ParseBaselines(string spec)
    {
        var result = new List<ProbeMethod>();
        foreach (var part in spec.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var m = part.ToLowerInvariant() switch
            {
                "none" => (ProbeMethod?)null,
                "tfidf" or "tf-idf" => ProbeMethod.Tfidf,
                "random" => ProbeMethod.RandomWeights,
                "supervised" or "scratch" => ProbeMethod.Supervised,
                "finetune" or "fine-tune" => ProbeMethod.FineTuned,
                _ => throw new OptionException(nameof(ProbeOptions.Baselines), $"Baselines: unknown baseline '{part}'. Choose from {BaselineChoices}."),
            };
            if (m is { } method && !result.Contains(method)) result.Add(method);
        }
        return result;
    }

    /// <summary>
    /// Parses a comma-separated list of frozen feature sets such as <c>pretrained,pretrained+tfidf</c>. The
    /// pretrained features are always probed (they are what is measured), so the result starts with
    /// <see cref="ProbeMethod.Pretrained"/> whatever the list says.
    /// </summary>
    /// <exception cref="OptionException">An unknown name (names <see cref="ProbeOptions.FeatureSets"/>).</exception>
    public static IReadOnlyList<ProbeMethod> ParseFeatureSets(string spec)
    {
        var result = new List<ProbeMethod> { ProbeMethod.Pretrained };
        foreach (var part in spec.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var m = part.ToLowerInvariant() switch
            {
                "pretrained" => ProbeMethod.Pretrained,
                "pretrained+tfidf" or "pretrained+tf-idf" => ProbeMethod.PretrainedTfidf,
                _ => throw new OptionException(nameof(ProbeOptions.FeatureSets), $"FeatureSets: unknown feature set '{part}'. Choose from {FeatureSetChoices}."),
            };
            if (!result.Contains(m)) result.Add(m);
        }
        return result;
    }
}
