using System.Text.Json.Serialization;

namespace TextSSL.Probing;

/// <summary>
/// Everything one probe run is given: the model, the labelled data and how to read and split it, the probe's
/// settings, the device and the output directory. The run writes it as <c>config.json</c> into
/// <see cref="OutputDirectory"/> (<see cref="Save"/>), so the run can be repeated from that file. Paths are kept as
/// given (relative ones relative to the directory the run was started in).
/// </summary>
public sealed record ProbeRunOptions
{
    /// <summary>The configuration kind of <c>config.json</c>.</summary>
    public const string ConfigKind = "probe";

    /// <summary>The value of <see cref="Cache"/> that disables the feature cache.</summary>
    public const string NoCache = "none";

    /// <summary>A checkpoint directory, or a training run's output directory (its best/ or last/ is read).</summary>
    public required string Model { get; init; }

    /// <summary>The labelled texts (.csv, .tsv or .jsonl).</summary>
    public required string Data { get; init; }

    /// <summary>The columns holding the text, label and split.</summary>
    public LabelledColumns Columns { get; init; } = new();

    /// <summary>How the data is split into training and test texts.</summary>
    public SplitOptions Split { get; init; } = new();

    /// <summary>The probe's settings (<see cref="ProbeOptions.CacheDirectory"/> comes from <see cref="Cache"/>).</summary>
    public ProbeOptions Probe { get; init; } = new();

    /// <summary>The feature cache directory: null for <see cref="FeatureCache.DefaultDirectory"/>, <see cref="NoCache"/> for none.</summary>
    public string? Cache { get; init; }

    /// <summary>Where to run (<c>auto</c>, <c>cpu</c>, <c>cuda</c>, <c>cuda:N</c>).</summary>
    public string Device { get; init; } = "auto";

    /// <summary>CPU threads for libtorch; null for all cores.</summary>
    public int? Threads { get; init; }

    /// <summary>Where the report, chart, CSV files and <c>config.json</c> go.</summary>
    public required string OutputDirectory { get; init; }

    /// <summary><see cref="Probe"/> with its cache directory resolved from <see cref="Cache"/>, checked.</summary>
    /// <exception cref="OptionException">A value is out of range.</exception>
    [JsonIgnore]
    public ProbeOptions ResolvedProbe => Probe with
    {
        CacheDirectory = Cache is null ? FeatureCache.DefaultDirectory() : Cache.Equals(NoCache, StringComparison.OrdinalIgnoreCase) ? null : Cache,
    };

    /// <summary>Checks the paths and <see cref="Probe"/> (the split's numbers are checked where the data is split).</summary>
    /// <exception cref="OptionException">A value is out of range or missing; the exception names the property.</exception>
    public ProbeRunOptions Validate()
    {
        if (string.IsNullOrWhiteSpace(Model)) throw new OptionException(nameof(Model), "Model is empty; give a checkpoint or run directory.");
        if (string.IsNullOrWhiteSpace(Data)) throw new OptionException(nameof(Data), "Data is empty; give a labelled .csv, .tsv or .jsonl file.");
        if (string.IsNullOrWhiteSpace(OutputDirectory)) throw new OptionException(nameof(OutputDirectory), "OutputDirectory is empty.");
        if (Columns is null) throw new OptionException(nameof(Columns), "Columns is null.");
        if (Split is null) throw new OptionException(nameof(Split), "Split is null.");
        (Probe ?? throw new OptionException(nameof(Probe), "Probe is null.")).Validate();
        return this;
    }

    /// <summary>Writes these options as <c>config.json</c> into <see cref="OutputDirectory"/>, atomically.</summary>
    public void Save() => ConfigFile.Save(OutputDirectory, this, ConfigKind);

    /// <summary>Reads a probe's <c>config.json</c> (or the directory holding it).</summary>
    /// <exception cref="TextSslException">Missing, unreadable, malformed, another kind, or a field the record does not have.</exception>
    public static ProbeRunOptions Load(string path) => ConfigFile.Read<ProbeRunOptions>(path, ConfigKind);
}
