using TextSSL.Modeling;
using TextSSL.Tokenization;

namespace TextSSL.Probing;

/// <summary>Texts encoded for a model: ids with the model's framing tokens, truncated to its block size.</summary>
/// <param name="Ids">One id sequence per text (may be empty when nothing in a text could be encoded).</param>
/// <param name="Truncated">Texts cut to the block size (their start is kept).</param>
/// <param name="LossyEncoded">Texts holding characters the tokenizer cannot encode; those characters were left out.</param>
internal sealed record EncodedTexts(int[][] Ids, int Truncated, int LossyEncoded)
{
    /// <summary>
    /// Encodes <paramref name="texts"/>. Encoders get <c>[CLS] … [SEP]</c> when the tokenizer has those
    /// tokens; decoders get a leading end-of-text token when it has one (documents follow it in pretraining
    /// streams). Sequences keep their first <paramref name="maxTokens"/> (default: the block size) ids.
    /// </summary>
    public static EncodedTexts Encode(TextTokenizer tokenizer, TransformerConfig config, IReadOnlyList<string> texts, int? maxTokens = null, CancellationToken ct = default)
    {
        var limit = Math.Min(maxTokens ?? config.BlockSize, config.BlockSize);
        if (limit < 1) throw new OptionException(nameof(FeatureOptions.MaxTokens), $"MaxTokens must be at least 1 (got {maxTokens}).");
        int? head, tail = null;
        if (config.Kind == ModelKind.Encoder)
        {
            head = tokenizer.Specials.IdOf(SpecialTokenRole.Cls);
            tail = tokenizer.Specials.IdOf(SpecialTokenRole.Sep);
        }
        else head = tokenizer.Specials.IdOf(SpecialTokenRole.EndOfText);
        var framing = (head is null ? 0 : 1) + (tail is null ? 0 : 1);
        if (framing >= limit) { head = null; tail = null; framing = 0; }
        var ids = new int[texts.Count][];
        var truncated = 0;
        var lossy = 0;
        for (var i = 0; i < texts.Count; i++)
        {
            if ((i & 1023) == 0) ct.ThrowIfCancellationRequested();
            var body = EncodeTolerant(tokenizer, texts[i], ref lossy);
            var room = limit - framing;
            if (body.Length > room) { truncated++; body = body[..room]; }
            var seq = new int[body.Length + framing];
            var n = 0;
            if (head is { } h) seq[n++] = h;
            body.CopyTo(seq, n);
            n += body.Length;
            if (tail is { } t) seq[n] = t;
            ids[i] = seq;
        }
        return new EncodedTexts(ids, truncated, lossy);
    }

    private static int[] EncodeTolerant(TextTokenizer tokenizer, string text, ref int lossy)
    {
        try { return tokenizer.Encode(text); }
        catch (TextSslException)
        {
            // A closed-vocabulary tokenizer (characters) refuses unseen characters; drop just those so one
            // exotic symbol does not sink the whole probe, and count the text in the report.
            lossy++;
            var kept = new List<int>(text.Length);
            foreach (var rune in text.EnumerateRunes())
            {
                try { kept.AddRange(tokenizer.Encode(rune.ToString())); }
                catch (TextSslException) { }
            }
            return kept.ToArray();
        }
    }
}
