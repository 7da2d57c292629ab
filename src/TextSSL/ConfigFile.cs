using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;

namespace TextSSL;

/// <summary>
/// A run's full resolved configuration, <c>config.json</c> in its output directory: one of the library's options
/// records as readable snake_case JSON, with a <c>kind</c> field first (<c>pretraining</c>, <c>probe</c>,
/// <c>corpus-build</c>) so that a file given to the wrong kind of run is refused. Reading it back gives the same
/// options; fields the record does not have are refused, not ignored.
/// </summary>
internal static partial class ConfigFile
{
    /// <summary>The file's name inside an output directory.</summary>
    public const string FileName = "config.json";

    /// <summary>The field naming what the configuration is for.</summary>
    public const string KindField = "kind";

    // reading: every field must be a property of the record (a misspelt name is an error, not a silent default)
    private static readonly JsonSerializerOptions Strict = new(ReadableJson.SnakeCase) { UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow };

    /// <summary>The JSON name of an options property: <c>LearningRate</c> → <c>learning_rate</c>.</summary>
    public static string JsonName(string property) => JsonNamingPolicy.SnakeCaseLower.ConvertName(property);

    /// <summary>The options as a JSON tree, <paramref name="kind"/> first (the form <see cref="Save{T}"/> writes).</summary>
    public static JsonObject ToJson<T>(T options, string kind)
    {
        var json = new JsonObject { [KindField] = kind };
        foreach (var (name, value) in JsonSerializer.SerializeToNode(options, ReadableJson.SnakeCase)!.AsObject()) json[name] = value?.DeepClone();
        return json;
    }

    /// <summary>Writes <paramref name="options"/> as <c>config.json</c> into <paramref name="directory"/>, atomically.</summary>
    public static void Save<T>(string directory, T options, string kind) =>
        AtomicFile.WriteAllText(Path.Combine(directory, FileName), ToJson(options, kind).ToJsonString(ReadableJson.SnakeCase) + "\n");

    /// <summary>
    /// Reads a configuration file (or a directory holding <c>config.json</c>) as a JSON tree of <paramref name="kind"/>,
    /// for callers that override some of its values before <see cref="FromJson{T}"/>. A file without a kind field is
    /// taken as <paramref name="kind"/> (its fields are still checked).
    /// </summary>
    /// <exception cref="TextSslException">Missing, unreadable, not a JSON object, or of another kind.</exception>
    public static JsonObject Load(string path, string kind)
    {
        if (Directory.Exists(path))
        {
            if (!File.Exists(Path.Combine(path, FileName)))
                throw new TextSslException($"'{path}' is a directory without a {FileName}; give a {kind} run's output directory or its {FileName}.");
            path = Path.Combine(path, FileName);
        }
        if (!File.Exists(path)) throw new TextSslException($"configuration file '{path}' does not exist; give the {FileName} that a {kind} run wrote into its output directory.");
        JsonNode? node;
        try { node = JsonNode.Parse(File.ReadAllText(path)); }
        catch (Exception ex) when (ex is JsonException or IOException or UnauthorizedAccessException)
        {
            throw new TextSslException($"cannot read the configuration file '{path}': {OneLine(ex.Message)} Fix it, or take the {FileName} a {kind} run wrote.", ex);
        }
        if (node is not JsonObject json) throw new TextSslException($"'{path}' is not a run configuration (not a JSON object); give the {FileName} a {kind} run wrote.");
        CheckKind(json, kind, path);
        return json;
    }

    /// <summary>Options from a JSON tree (its kind checked and dropped); values it lacks keep the record's defaults.</summary>
    /// <exception cref="TextSslException">Another kind, a value of the wrong type, or a field the record does not have.</exception>
    public static T FromJson<T>(JsonObject json, string kind, string source)
    {
        CheckKind(json, kind, source);
        var fields = new JsonObject();
        foreach (var (name, value) in json)
            if (name != KindField) fields[name] = value?.DeepClone();
        try
        {
            return fields.Deserialize<T>(Strict) ?? throw new TextSslException($"'{source}' is not a {kind} configuration.");
        }
        catch (JsonException ex) when (UnknownField().Match(ex.Message) is { Success: true } m)
        {
            var field = ex.Path is { Length: > 2 } p ? p[2..] : m.Groups["name"].Value; // the path ends at the unknown field
            throw new TextSslException($"'{source}' has an unknown field '{field}' for a {kind} configuration; remove it or correct its name (names are snake_case, as the file a run writes spells them).", ex);
        }
        catch (Exception ex) when (ex is JsonException or NotSupportedException or InvalidOperationException or ArgumentException)
        {
            var at = ex is JsonException { Path: { Length: > 2 } p } ? $" at '{p[2..]}'" : "";
            throw new TextSslException($"'{source}' is not a valid {kind} configuration{at}: {OneLine(ex.Message)} Fix that value, or take the {FileName} a {kind} run wrote.", ex);
        }
    }

    /// <summary>Reads a configuration file (or a directory holding one).</summary>
    public static T Read<T>(string path, string kind) => FromJson<T>(Load(path, kind), kind, path);

    private static void CheckKind(JsonObject json, string kind, string source)
    {
        if (!json.TryGetPropertyValue(KindField, out var node) || node is null) return;
        var found = node.GetValueKind() == JsonValueKind.String ? node.GetValue<string>() : node.ToJsonString();
        if (found != kind)
            throw new TextSslException($"'{source}' is a {found} configuration, not a {kind} one; give it to the command that runs {found} runs, or give a {kind} run's {FileName}.");
    }

    private static string OneLine(string message)
    {
        var line = message.ReplaceLineEndings(" ").Trim();
        return line.EndsWith('.') ? line : line + ".";
    }

    [GeneratedRegex("The JSON property '(?<name>[^']+)' could not be mapped")]
    private static partial Regex UnknownField();
}
