using TextSSL.Modeling;
using TextSSL.Tokenization;

namespace TextSSL.Probing;

/// <summary>
/// Texts encoded for a model: each text as one or more consecutive windows of ids, every window framed with the
/// model's special tokens and at most one block long.
/// </summary>
/// <param name="Windows">Per text, its windows in text order (at least one; a window may hold only framing, or nothing, when nothing in a text could be encoded).</param>
/// <param name="Truncated">Texts whose tokens did not all fit into the windows read (their end was left out).</param>
/// <param name="Windowed">Texts read in more than one window.</param>
/// <param name="LossyEncoded">Texts holding characters the tokenizer cannot encode; those characters were left out.</param>
internal sealed record EncodedTexts(int[][][] Windows, int Truncated, int Windowed, int LossyEncoded)
{
    /// <summary>The first window of every text: what single-sequence readers (the end-to-end baselines) see.</summary>
    public int[][] Ids { get; } = Array.ConvertAll(Windows, w => w[0]);

    /// <summary>Windows read over all texts.</summary>
    public int WindowCount => Windows.Sum(w => w.Length);

    /// <summary>Texts given as one sequence each (no windowing), e.g. a subset of <see cref="Ids"/>.</summary>
    public static EncodedTexts FromSequences(IEnumerable<int[]> sequences) =>
        new(sequences.Select(s => new[] { s }).ToArray(), 0, 0, 0);

    /// <summary>
    /// Encodes <paramref name="texts"/>. Encoders get <c>[CLS] … [SEP]</c> when the tokenizer has those
    /// tokens; decoders get a leading end-of-text token when it has one (documents follow it in pretraining
    /// streams). A window holds at most <paramref name="maxTokens"/> (default and cap: the block size) ids, framing
    /// included. A text whose tokens do not fit one window continues in the next window, framed the same way, so
    /// the windows cover its tokens exactly, in order, without overlap; after <paramref name="maxWindows"/> windows
    /// the rest is left out (counted in <see cref="Truncated"/>). With one window a text keeps its first ids only.
    /// </summary>
    public static EncodedTexts Encode(TextTokenizer tokenizer, TransformerConfig config, IReadOnlyList<string> texts, int? maxTokens = null,
        int maxWindows = 1, CancellationToken ct = default)
    {
        var limit = Math.Min(maxTokens ?? config.BlockSize, config.BlockSize);
        if (limit < 1) throw new OptionException(nameof(FeatureOptions.MaxTokens), $"MaxTokens must be at least 1 (got {maxTokens}).");
        OptionException.CheckRange(nameof(FeatureOptions.MaxWindows), maxWindows, 1, FeatureOptions.MaxWindowsLimit);
        int? head, tail = null;
        if (config.Kind == ModelKind.Encoder)
        {
            head = tokenizer.Specials.IdOf(SpecialTokenRole.Cls);
            tail = tokenizer.Specials.IdOf(SpecialTokenRole.Sep);
        }
        else head = tokenizer.Specials.IdOf(SpecialTokenRole.EndOfText);
        var framing = (head is null ? 0 : 1) + (tail is null ? 0 : 1);
        if (framing >= limit) { head = null; tail = null; framing = 0; }
        var room = limit - framing;
        var windows = new int[texts.Count][][];
        var truncated = 0;
        var windowed = 0;
        var lossy = 0;
        for (var i = 0; i < texts.Count; i++)
        {
            if ((i & 1023) == 0) ct.ThrowIfCancellationRequested();
            var body = EncodeTolerant(tokenizer, texts[i], ref lossy);
            var needed = Math.Max(1, (body.Length + room - 1) / room);
            var count = Math.Min(needed, maxWindows);
            if (needed > count) truncated++;
            if (count > 1) windowed++;
            var own = new int[count][];
            for (var w = 0; w < count; w++)
            {
                var start = w * room;
                var piece = body.AsSpan(start, Math.Min(room, body.Length - start));
                var seq = new int[piece.Length + framing];
                var n = 0;
                if (head is { } h) seq[n++] = h;
                piece.CopyTo(seq.AsSpan(n));
                n += piece.Length;
                if (tail is { } t) seq[n] = t;
                own[w] = seq;
            }
            windows[i] = own;
        }
        return new EncodedTexts(windows, truncated, windowed, lossy);
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
