using System.Text.Json;
using System.Text.Json.Nodes;

namespace TextSSL.Training;

/// <summary>
/// A run's full resolved configuration, <c>config.json</c> in its output directory: the <see cref="PretrainingOptions"/>
/// it trains with (snake_case JSON). Loading it gives back the same options, so the run can be repeated exactly.
/// </summary>
internal static class RunConfig
{
    /// <summary>The file's name inside a run directory.</summary>
    public const string FileName = "config.json";

    /// <summary>Writes <paramref name="options"/> (as a fresh run: <see cref="PretrainingOptions.Resume"/> off) into <paramref name="runDirectory"/>, atomically.</summary>
    public static void Save(string runDirectory, PretrainingOptions options) =>
        AtomicFile.WriteAllText(Path.Combine(runDirectory, FileName), ToJson(options with { Resume = false }).ToJsonString(ReadableJson.SnakeCase) + "\n");

    /// <summary>The options as a JSON tree (the form <see cref="Save"/> writes).</summary>
    public static JsonObject ToJson(PretrainingOptions options) =>
        JsonSerializer.SerializeToNode(options, ReadableJson.SnakeCase)!.AsObject();

    /// <summary>Reads a configuration file as a JSON tree, for callers that override some of its values before <see cref="FromJson"/>.</summary>
    /// <exception cref="TextSslException">Missing, unreadable or not a JSON object.</exception>
    public static JsonObject LoadJson(string path)
    {
        if (Directory.Exists(path) && File.Exists(Path.Combine(path, FileName))) path = Path.Combine(path, FileName);
        if (!File.Exists(path)) throw new TextSslException($"configuration file '{path}' does not exist; give a run's {FileName}.");
        try { return JsonNode.Parse(File.ReadAllText(path)) as JsonObject ?? throw new TextSslException($"'{path}' is not a run configuration (not a JSON object)."); }
        catch (Exception ex) when (ex is JsonException or IOException or UnauthorizedAccessException)
        {
            throw new TextSslException($"cannot read the run configuration '{path}': {ex.Message}", ex);
        }
    }

    /// <summary>Options from a JSON tree; values it lacks keep their defaults.</summary>
    /// <exception cref="TextSslException">A value of the wrong type or an unknown name.</exception>
    public static PretrainingOptions FromJson(JsonObject json, string source)
    {
        try
        {
            return json.Deserialize<PretrainingOptions>(ReadableJson.SnakeCase)
                   ?? throw new TextSslException($"'{source}' is not a run configuration.");
        }
        catch (Exception ex) when (ex is JsonException or NotSupportedException or InvalidOperationException)
        {
            throw new TextSslException($"'{source}' is not a valid run configuration: {ex.Message}", ex);
        }
    }

    /// <summary>Reads a run's configuration file (or a run directory holding one).</summary>
    public static PretrainingOptions Load(string path) => FromJson(LoadJson(path), path);
}
