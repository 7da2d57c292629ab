using System.Text;
using TextSSL.Tokenization;

namespace TextSSL.Generation;

/// <summary>Turns prompt text into token ids, with the rules for empty prompts and characters a tokenizer cannot encode.</summary>
internal static class PromptEncoder
{
    /// <summary>
    /// Encodes a prompt. An empty prompt starts from the tokenizer's beginning-of-text token, else its end-of-text token
    /// (a document boundary, as in training), else it is an error.
    /// </summary>
    /// <param name="tokenizer">The model's tokenizer.</param>
    /// <param name="prompt">The prompt text.</param>
    /// <param name="replaceUnknownWith">Replacement for characters the tokenizer cannot encode; null to fail naming them.</param>
    /// <exception cref="TextSslException">The prompt cannot be encoded, or is empty and the tokenizer has no token to start from.</exception>
    public static int[] Encode(TextTokenizer tokenizer, string prompt, string? replaceUnknownWith = null)
    {
        if (prompt.Length == 0)
        {
            var start = tokenizer.Specials.IdOf(SpecialTokenRole.BeginOfText) ?? tokenizer.Specials.IdOf(SpecialTokenRole.EndOfText);
            return start is { } id
                ? [id]
                : throw new TextSslException("the prompt is empty, and this model's tokenizer has neither a beginning-of-text nor an end-of-text token to start from. Give a prompt of at least one character.");
        }
        var ids = EncodeText(tokenizer, prompt, replaceUnknownWith);
        if (ids.Length == 0) throw new TextSslException("the prompt encodes to no tokens (every character was dropped as unknown). Give a prompt the tokenizer can encode.");
        return ids;
    }

    /// <summary>Encodes text, replacing the characters the tokenizer cannot encode when a replacement is given.</summary>
    /// <exception cref="TextSslException">The text holds characters the tokenizer cannot encode and no replacement was given.</exception>
    public static int[] EncodeText(TextTokenizer tokenizer, string text, string? replaceUnknownWith)
    {
        if (replaceUnknownWith is null || text.Length == 0) return tokenizer.Encode(text);
        try
        {
            return tokenizer.Encode(text);
        }
        catch (TextSslException)
        {
            // Find the offending characters one by one (rare path), then encode the cleaned text as a whole so that
            // multi-character tokens still form across the replaced spots.
            var cleaned = new StringBuilder(text.Length);
            foreach (var rune in text.EnumerateRunes())
                cleaned.Append(CanEncode(tokenizer, rune) ? rune.ToString() : replaceUnknownWith);
            return tokenizer.Encode(cleaned.ToString());
        }
    }

    private static bool CanEncode(TextTokenizer tokenizer, Rune rune)
    {
        try
        {
            tokenizer.Encode(rune.ToString());
            return true;
        }
        catch (TextSslException) { return false; }
    }
}
