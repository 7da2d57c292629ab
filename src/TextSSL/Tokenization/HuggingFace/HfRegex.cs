using System.Text.RegularExpressions;

namespace TextSSL.Tokenization.HuggingFace;

/// <summary>
/// Translates split patterns between .NET's regex dialect and the Oniguruma dialect Hugging Face tokenizers use.
/// </summary>
/// <remarks>
/// .NET has no possessive quantifiers, so TextSSL writes <c>X?+</c> as the atomic group <c>(?&gt;X?)</c>; Oniguruma
/// reads both, and files are written in the possessive form tiktoken and Hugging Face publish. Only a bracketed class
/// or <c>\p{..}</c>/escape atom carrying a possessive quantifier is rewritten; everything else is shared syntax.
/// </remarks>
internal static partial class HfRegex
{
    /// <summary>The pattern as a Hugging Face <c>Split</c> pre-tokenizer writes it.</summary>
    public static string ToHuggingFace(string dotnetPattern) =>
        AtomicAtom().Replace(dotnetPattern, m => m.Groups["atom"].Value + m.Groups["q"].Value + "+");

    /// <summary>The pattern as .NET reads it (possessive quantifiers become atomic groups).</summary>
    public static string FromHuggingFace(string onigPattern)
    {
        var converted = PossessiveAtom().Replace(onigPattern, m => "(?>" + m.Groups["atom"].Value + m.Groups["q"].Value + ")");
        // a known pattern comes back as TextSSL's own spelling, so it runs source-generated
        foreach (var known in new[] { SplitPatterns.Gpt4, SplitPatterns.Gpt2, SplitPatterns.O200k })
            if (converted == known || onigPattern == ToHuggingFace(known)) return known;
        return converted;
    }

    private const string Atom = @"(?<atom>\[(?:\\.|[^\]\\])*\]|\\p\{[^}]*\}|\\[A-Za-z])";

    [GeneratedRegex(@"\(\?>" + Atom + @"(?<q>[?+*])\)")]
    private static partial Regex AtomicAtom();

    [GeneratedRegex(Atom + @"(?<q>[?+*])\+")]
    private static partial Regex PossessiveAtom();
}
