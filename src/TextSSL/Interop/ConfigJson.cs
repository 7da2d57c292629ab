using System.Text.Json;
using System.Text.Json.Nodes;

namespace TextSSL.Interop;

/// <summary>
/// Typed reads of a Hugging Face <c>config.json</c>: every failure is a <see cref="TextSslException"/> naming the file
/// and the field (<c>/m/config.json: "n_embd" must be a positive integer (got -1).</c>).
/// </summary>
internal sealed class ConfigJson
{
    private readonly JsonObject _o;

    private ConfigJson(string path, JsonObject o) => (Path, _o) = (path, o);

    /// <summary>The file, for messages.</summary>
    public string Path { get; }

    /// <summary>Reads <paramref name="path"/>.</summary>
    /// <exception cref="TextSslException">The file is missing or is not a JSON object.</exception>
    public static ConfigJson Read(string path)
    {
        if (!File.Exists(path)) throw new TextSslException($"{path} is missing: a Hugging Face model directory needs config.json.");
        try { return new ConfigJson(path, JsonNode.Parse(File.ReadAllText(path)) as JsonObject ?? throw new TextSslException($"{path} is not a JSON object.")); }
        catch (JsonException ex) { throw new TextSslException($"{path} is not valid JSON: {ex.Message}", ex); }
    }

    /// <summary><c>path: "name"</c>, the way messages name a field.</summary>
    public string Field(string name) => $"{Path}: \"{name}\"";

    /// <summary>The <c>model_type</c>, or null when absent.</summary>
    public string? ModelType => Str("model_type");

    /// <summary>The <c>architectures</c> list as text, for messages.</summary>
    public string Architectures => _o["architectures"] is JsonArray a ? string.Join(", ", a.Select(x => x?.ToString())) : "none";

    /// <summary>Whether the field is present and not null.</summary>
    public bool Has(string name) => _o[name] is { } n && n.GetValueKind() != JsonValueKind.Null;

    /// <summary>A string field, or null when absent.</summary>
    public string? Str(string name)
    {
        var n = _o[name];
        if (n is null || n.GetValueKind() == JsonValueKind.Null) return null;
        if (n.GetValueKind() != JsonValueKind.String) throw new TextSslException($"{Field(name)} must be a string (got {n.ToJsonString()}).");
        return n.GetValue<string>();
    }

    /// <summary>An integer field at least <paramref name="min"/>; <paramref name="fallback"/> when absent (required when null).</summary>
    public int Int(string name, int? fallback = null, int min = 1)
    {
        var n = _o[name];
        if (n is null || n.GetValueKind() == JsonValueKind.Null)
            return fallback ?? throw new TextSslException($"{Field(name)} is missing.");
        if (n.GetValueKind() != JsonValueKind.Number || !int.TryParse(n.ToJsonString(), out var v) || v < min)
            throw new TextSslException($"{Field(name)} must be an integer of at least {min} (got {n.ToJsonString()}).");
        return v;
    }

    /// <summary>
    /// A token-id field (<c>eos_token_id</c>, ...): one id, or a list of ids (newer configs give several end ids); null
    /// when absent or null.
    /// </summary>
    public IReadOnlyList<int>? TokenIds(string name)
    {
        var n = _o[name];
        if (n is null || n.GetValueKind() == JsonValueKind.Null) return null;
        var items = n is JsonArray a ? a.ToList() : [n];
        var ids = new List<int>(items.Count);
        foreach (var item in items)
        {
            if (item is null || item.GetValueKind() != JsonValueKind.Number || !int.TryParse(item.ToJsonString(), out var id) || id < 0)
                throw new TextSslException($"{Field(name)} must be a token id (an integer of at least 0) or a list of them (got {n.ToJsonString()}).");
            ids.Add(id);
        }
        return ids;
    }

    /// <summary>A finite number field; <paramref name="fallback"/> when absent.</summary>
    public double Num(string name, double fallback)
    {
        var n = _o[name];
        if (n is null || n.GetValueKind() == JsonValueKind.Null) return fallback;
        if (n.GetValueKind() != JsonValueKind.Number || !double.IsFinite(n.GetValue<double>()))
            throw new TextSslException($"{Field(name)} must be a finite number (got {n.ToJsonString()}).");
        return n.GetValue<double>();
    }

    /// <summary>A true/false field; <paramref name="fallback"/> when absent.</summary>
    public bool Flag(string name, bool fallback)
    {
        var n = _o[name];
        if (n is null || n.GetValueKind() == JsonValueKind.Null) return fallback;
        return n.GetValueKind() switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw new TextSslException($"{Field(name)} must be true or false (got {n.ToJsonString()})."),
        };
    }

    /// <summary>
    /// Checks that the activation field names GELU: exact <c>gelu</c>, or, when <paramref name="allowApproximate"/>, the tanh
    /// approximations (which TextSSL then runs as exact GELU, noted in <paramref name="notes"/>).
    /// </summary>
    /// <exception cref="OptionException">A tanh approximation without <paramref name="allowApproximate"/> (names <c>AllowApproximateGelu</c>).</exception>
    /// <exception cref="TextSslException">Another activation.</exception>
    public void CheckGelu(string name, string fallback, bool allowApproximate, List<string> notes)
    {
        var activation = Str(name) ?? fallback;
        if (activation is "gelu_new" or "gelu_pytorch_tanh" or "gelu_fast")
        {
            if (!allowApproximate)
                throw new OptionException(nameof(HuggingFaceImportOptions.AllowApproximateGelu),
                    $"{Field(name)} is '{activation}' (GELU's tanh approximation); TextSSL's MLP computes the exact GELU, so logits would differ slightly. Set AllowApproximateGelu to import it anyway.");
            notes.Add($"{name} '{activation}' (tanh approximation) runs as exact GELU in TextSSL: logits differ slightly from the original.");
        }
        else if (activation != "gelu")
            throw new TextSslException($"{Field(name)} is '{activation}'; TextSSL's MLP computes GELU ('gelu', or 'gelu_new' when approximations are allowed).");
    }
}
