using System.Text.Json;
using System.Text.Json.Serialization;

namespace TextSSL.Tokenization;

/// <summary>The JSON sidecar saved beside every tokenizer's own files.</summary>
/// <param name="Kind">Which loader reads the directory (<c>char</c>, <c>bpe</c>, ...).</param>
/// <param name="Version">Format version of this sidecar.</param>
/// <param name="Pattern">The pre-tokenization regex, for BPE kinds.</param>
/// <param name="Specials">The special tokens.</param>
/// <param name="ReplaceUnknown">Whether unseen input maps to the unknown token instead of failing.</param>
internal sealed record TokenizerSidecar(
    string Kind,
    int Version,
    string? Pattern,
    List<SpecialTokenEntry> Specials,
    bool ReplaceUnknown = false)
{
    /// <summary>Gets the name of a built-in pretrained tokenizer (<c>gpt2</c>, <c>cl100k</c>, ...); its files then come from Microsoft.ML.Tokenizers.Data.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Name { get; init; }

    /// <summary>Gets the short name of <see cref="Pattern"/> (<c>gpt4</c>, <c>gpt2</c>, <c>o200k</c> or <c>custom</c>), for people reading the file.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? PatternName { get; init; }

    /// <summary>Gets whether text is lower-cased before tokenization (WordPiece).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public bool? LowerCase { get; init; }

    /// <summary>Gets whether a pre-token found whole in the vocabulary is one token without applying merges (Hugging Face's <c>ignore_merges</c>; vocab-merges kind).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public bool? IgnoreMerges { get; init; }

    /// <summary>Gets whether WordPiece encodes by Hugging Face's BERT rules (a tokenizer read from Hugging Face's <c>tokenizer.json</c>).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public bool? HuggingFaceRules { get; init; }

    /// <summary>Serializer options for sidecars and other TextSSL JSON files.</summary>
    public static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };
}

/// <summary>A special token as written in a sidecar.</summary>
/// <param name="Text">Its text.</param>
/// <param name="Id">Its id.</param>
/// <param name="Role">Its role.</param>
internal sealed record SpecialTokenEntry(string Text, int Id, SpecialTokenRole Role)
{
    /// <summary>Converts from the in-memory form.</summary>
    public static SpecialTokenEntry From(SpecialToken t) => new(t.Text, t.Id, t.Role);

    /// <summary>Converts to the in-memory form.</summary>
    public SpecialToken ToToken() => new(Text, Id, Role);
}
