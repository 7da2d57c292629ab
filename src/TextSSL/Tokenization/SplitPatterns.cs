using System.Text.RegularExpressions;

namespace TextSSL.Tokenization;

/// <summary>
/// The regex pre-tokenization patterns of the GPT family, written for .NET's regex engine (which has no
/// possessive quantifiers, so the GPT-4 pattern uses atomic groups instead).
/// </summary>
/// <remarks>
/// The built-in patterns are source-generated, so splitting runs at the speed of Microsoft.ML.Tokenizers' own
/// pre-tokenizers. Any other string is compiled as a custom pattern.
/// </remarks>
internal static partial class SplitPatterns
{
    /// <summary>The GPT-4 (cl100k) split pattern: case-insensitive contractions, letters with one leading non-letter, digits in runs of at most three, punctuation with trailing newlines.</summary>
    public const string Gpt4 =
        @"'(?i:[sdmt]|ll|ve|re)|(?>[^\r\n\p{L}\p{N}]?)\p{L}+|\p{N}{1,3}| ?(?>[^\s\p{L}\p{N}]+)[\r\n]*|\s*[\r\n]|\s+(?!\S)|\s+";

    /// <summary>The GPT-2 (r50k) split pattern.</summary>
    public const string Gpt2 = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

    /// <summary>The o200k (GPT-4o) split pattern; it splits inside CamelCase words.</summary>
    public const string O200k =
        @"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?" +
        @"|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?" +
        @"|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    /// <summary>Names accepted by <see cref="Resolve"/>.</summary>
    public const string Choices = "gpt4, gpt2, o200k, or a custom .NET regex";

    /// <summary>Expands a pattern name (<c>gpt4</c>, <c>gpt2</c>, <c>o200k</c>) to its pattern; any other string is returned unchanged as a custom pattern.</summary>
    public static string Expand(string nameOrPattern) => nameOrPattern.ToLowerInvariant() switch
    {
        "gpt4" or "cl100k" => Gpt4,
        "gpt2" or "r50k" => Gpt2,
        "o200k" => O200k,
        _ => nameOrPattern,
    };

    /// <summary>The short name of a built-in pattern, or <c>custom</c>.</summary>
    public static string NameOf(string pattern) => pattern switch
    {
        Gpt4 => "gpt4",
        Gpt2 => "gpt2",
        O200k => "o200k",
        _ => "custom",
    };

    /// <summary>A regex for a pattern name or pattern string; built-in patterns come source-generated.</summary>
    /// <exception cref="TextSslException">The custom pattern does not parse.</exception>
    public static Regex Resolve(string nameOrPattern)
    {
        var pattern = Expand(nameOrPattern);
        switch (pattern)
        {
            case Gpt4: return Gpt4Regex();
            case Gpt2: return Gpt2Regex();
            case O200k: return O200kRegex();
        }
        if (pattern.Length == 0) throw new TextSslException("the split pattern is empty. Use gpt4, gpt2, o200k or a .NET regex.");
        try { return new Regex(pattern, RegexOptions.Compiled | RegexOptions.CultureInvariant); }
        catch (ArgumentException ex) { throw new TextSslException($"the split pattern '{pattern}' is not a valid .NET regex: {ex.Message}", ex); }
    }

    [GeneratedRegex(Gpt4, RegexOptions.CultureInvariant)]
    private static partial Regex Gpt4Regex();

    [GeneratedRegex(Gpt2, RegexOptions.CultureInvariant)]
    private static partial Regex Gpt2Regex();

    [GeneratedRegex(O200k, RegexOptions.CultureInvariant)]
    private static partial Regex O200kRegex();
}
