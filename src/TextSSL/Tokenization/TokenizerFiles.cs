using System.Text.Json;

namespace TextSSL.Tokenization;

/// <summary>File names shared by every saved tokenizer.</summary>
internal static class TokenizerFiles
{
    /// <summary>The JSON sidecar naming the kind and the special tokens.</summary>
    public const string Sidecar = "textssl-tokenizer.json";

    /// <summary>
    /// The sidecar's name before version 0.2 (it collided with Hugging Face's <c>tokenizer.json</c>); directories
    /// written then are still read: a <c>tokenizer.json</c> with a string <c>"kind"</c> is TextSSL's.
    /// </summary>
    public const string LegacySidecar = "tokenizer.json";

    /// <summary>The recorded fingerprint, checked on load to catch tampered or missing files.</summary>
    public const string FingerprintFile = "fingerprint.txt";

    /// <summary>The path of the TextSSL sidecar in <paramref name="directory"/> (current or legacy name), or null.</summary>
    internal static string? FindSidecar(string directory)
    {
        var current = Path.Combine(directory, Sidecar);
        if (File.Exists(current)) return current;
        var legacy = Path.Combine(directory, LegacySidecar);
        return File.Exists(legacy) && IsTextSslSidecar(legacy) ? legacy : null;
    }

    /// <summary>Whether a JSON file is TextSSL's sidecar (an object with a string <c>"kind"</c>) rather than Hugging Face's tokenizer.json.</summary>
    internal static bool IsTextSslSidecar(string path)
    {
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
            return doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("kind", out var kind) && kind.ValueKind == JsonValueKind.String;
        }
        catch (JsonException) { return false; }
    }

    /// <summary>The kind a sidecar names, or null when it cannot be read.</summary>
    internal static string? KindOf(string sidecarPath)
    {
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(sidecarPath));
            return doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("kind", out var kind) && kind.ValueKind == JsonValueKind.String
                ? kind.GetString() : null;
        }
        catch (JsonException) { return null; }
    }

    /// <summary>The files a built-in kind reads besides its sidecar (those present are fingerprinted); null for an unknown kind.</summary>
    internal static IReadOnlyList<string>? DataFiles(string kind) => kind switch
    {
        "char" => ["chars.txt"],
        "bpe" or "tiktoken" => ["vocab.tiktoken"],
        "vocab-merges" => ["vocab.json", "merges.txt"],
        "wordpiece" => ["vocab.txt"],
        _ => null,
    };
}
