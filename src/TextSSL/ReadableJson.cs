using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using TextSSL.Tokenization;

namespace TextSSL;

/// <summary>
/// JSON settings for files a person opens (checkpoint <c>model.json</c>, trainer state, run configurations, export
/// markers and configs): indented, and characters such as <c>'</c>, <c>+</c>, <c>&lt;</c> or non-ASCII letters are
/// written as themselves instead of <c>\u0027</c>-style escapes.
/// </summary>
/// <remarks>
/// Tokenizer files and corpus identities keep their own settings: their bytes are hashed into fingerprints, and
/// changing how they are written would change the fingerprint of an unchanged tokenizer.
/// </remarks>
internal static class ReadableJson
{
    /// <summary>The settings of <see cref="TokenizerSidecar.Json"/> (snake_case names, enums as strings), unescaped.</summary>
    public static readonly JsonSerializerOptions SnakeCase = new(TokenizerSidecar.Json) { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Indented, names as declared, unescaped.</summary>
    public static readonly JsonSerializerOptions Plain = new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The settings of corpus manifests (camelCase, enums as strings), unescaped.</summary>
    public static readonly JsonSerializerOptions CamelCase = new(TextSSL.Corpora.CorpusManifest.Json) { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
}
