using System.Text.Json.Nodes;

namespace TextSSL.Training;

/// <summary>
/// A training run's full resolved configuration, <c>config.json</c> in its output directory: the
/// <see cref="PretrainingOptions"/> it trains with (<see cref="ConfigFile"/>, kind <c>pretraining</c>). Loading it gives
/// back the same options, so the run can be repeated exactly.
/// </summary>
internal static class RunConfig
{
    /// <summary>The file's name inside a run directory.</summary>
    public const string FileName = ConfigFile.FileName;

    /// <summary>The configuration's kind.</summary>
    public const string Kind = "pretraining";

    /// <summary>Writes <paramref name="options"/> (as a fresh run: <see cref="PretrainingOptions.Resume"/> off) into <paramref name="runDirectory"/>, atomically.</summary>
    public static void Save(string runDirectory, PretrainingOptions options) => ConfigFile.Save(runDirectory, options with { Resume = false }, Kind);

    /// <summary>The options as a JSON tree (the form <see cref="Save"/> writes).</summary>
    public static JsonObject ToJson(PretrainingOptions options) => ConfigFile.ToJson(options, Kind);

    /// <summary>Reads a configuration file as a JSON tree, for callers that override some of its values before <see cref="FromJson"/>.</summary>
    /// <exception cref="TextSslException">Missing, unreadable, not a JSON object, or another kind of configuration.</exception>
    public static JsonObject LoadJson(string path) => ConfigFile.Load(path, Kind);

    /// <summary>Options from a JSON tree; values it lacks keep their defaults.</summary>
    /// <exception cref="TextSslException">A value of the wrong type or an unknown name.</exception>
    public static PretrainingOptions FromJson(JsonObject json, string source) => ConfigFile.FromJson<PretrainingOptions>(json, Kind, source);

    /// <summary>Reads a run's configuration file (or a run directory holding one).</summary>
    public static PretrainingOptions Load(string path) => ConfigFile.Read<PretrainingOptions>(path, Kind);
}
