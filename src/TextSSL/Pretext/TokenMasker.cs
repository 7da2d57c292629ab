using TextSSL.Tokenization;

namespace TextSSL.Pretext;

/// <summary>
/// Chooses masked-LM positions in one sequence and corrupts them: of the chosen positions 80% become
/// <c>[MASK]</c>, 10% a random ordinary token, 10% stay as they are (fractions configurable). Special tokens
/// and padding are never chosen. Labels hold the original id at chosen positions and the ignore index elsewhere.
/// </summary>
internal sealed class TokenMasker
{
    private readonly MaskingOptions _options;
    private readonly int _maskId;
    private readonly bool[] _special;       // by id
    private readonly bool[] _startsWord;    // by id: text begins with whitespace
    private readonly bool[] _isSpace;       // by id: text is all whitespace
    private readonly int[] _ordinary;       // ids a random replacement is drawn from

    /// <summary>Builds the per-id tables from <paramref name="tokenizer"/>.</summary>
    /// <exception cref="TextSslException">The tokenizer has no mask token.</exception>
    public TokenMasker(TextTokenizer tokenizer, MaskingOptions options)
    {
        _options = options.Validate();
        _maskId = tokenizer.Specials.IdOf(SpecialTokenRole.Mask)
                  ?? throw new OptionException([nameof(Training.PretrainingOptions.Tokenizer), nameof(Training.PretrainingOptions.Task)], $"masked-LM needs a [MASK] token, and this {tokenizer.Kind} tokenizer has none. " +
                                                "Use a tokenizer trained with the mask role (with Tokenizer char, Task mlm adds [MASK], [CLS], [SEP] and [PAD]).");
        var v = tokenizer.VocabSize;
        _special = new bool[v];
        _startsWord = new bool[v];
        _isSpace = new bool[v];
        foreach (var s in tokenizer.Specials.All) _special[s.Id] = true;
        var ordinary = new List<int>(v);
        for (var id = 0; id < v; id++)
        {
            if (_special[id]) continue;
            ordinary.Add(id);
            var text = tokenizer.Decode([id]);
            _startsWord[id] = text.Length > 0 && char.IsWhiteSpace(text[0]);
            _isSpace[id] = text.Length > 0 && text.All(char.IsWhiteSpace);
        }
        if (ordinary.Count == 0) throw new TextSslException("the tokenizer has only special tokens; masked-LM needs ordinary ones.");
        _ordinary = ordinary.ToArray();
    }

    /// <summary>The mask token's id.</summary>
    public int MaskId => _maskId;

    /// <summary>Whether <paramref name="id"/> is a special token (never chosen).</summary>
    public bool IsSpecial(int id) => _special[id];

    /// <summary>
    /// Chooses and corrupts positions of <paramref name="ids"/> in place and writes <paramref name="labels"/>;
    /// returns the number of chosen positions.
    /// </summary>
    /// <param name="ids">The sequence; positions at or after <paramref name="length"/> are padding.</param>
    /// <param name="labels">Receives the original id at chosen positions, <see cref="PretextBatch.IgnoreIndex"/> elsewhere.</param>
    /// <param name="length">Number of real (non-padding) positions.</param>
    /// <param name="random">The generator; the same state gives the same choice.</param>
    public int Apply(Span<long> ids, Span<long> labels, int length, SeededRandom random)
    {
        labels.Fill(PretextBatch.IgnoreIndex);
        Span<bool> candidate = length <= 1024 ? stackalloc bool[length] : new bool[length];
        var candidates = 0;
        for (var i = 0; i < length; i++)
            if (candidate[i] = !_special[ids[i]]) candidates++;
        if (candidates == 0) return 0;
        // BERT: a fixed budget of round(p·n) per sequence (at least one), filled unit by unit.
        var budget = Math.Max(1, (int)Math.Round(_options.Probability * candidates, MidpointRounding.AwayFromZero));
        Span<bool> chosen = length <= 1024 ? stackalloc bool[length] : new bool[length];
        chosen.Clear();
        var count = _options.Unit == MaskingUnit.Span
            ? ChooseSpans(candidate, chosen, budget, random)
            : ChooseUnits(ids, candidate, chosen, budget, random);
        for (var i = 0; i < length; i++)
        {
            if (!chosen[i]) continue;
            labels[i] = ids[i];
            var r = random.NextDouble();
            if (r < _options.MaskFraction) ids[i] = _maskId;
            else if (r < _options.MaskFraction + _options.RandomFraction) ids[i] = _ordinary[random.NextInt(_ordinary.Length)];
        }
        return count;
    }

    private int ChooseUnits(Span<long> ids, ReadOnlySpan<bool> candidate, Span<bool> chosen, int budget, SeededRandom random)
    {
        // Units: single candidate tokens, or runs of candidate tokens forming one word.
        var starts = new List<int>();
        var lengths = new List<int>();
        for (var i = 0; i < candidate.Length; i++)
        {
            if (!candidate[i]) continue;
            var newUnit = _options.Unit == MaskingUnit.Token || starts.Count == 0 || !candidate[i - 1]
                          || _startsWord[ids[i]] || _isSpace[ids[i]] || _isSpace[ids[i - 1]];
            if (newUnit) { starts.Add(i); lengths.Add(1); }
            else lengths[^1]++;
        }
        var order = Enumerable.Range(0, starts.Count).ToArray();
        random.Shuffle(order.AsSpan());
        var count = 0;
        foreach (var u in order)
        {
            if (count >= budget) break;
            if (count + lengths[u] > budget) continue;     // a whole word or nothing
            for (var k = 0; k < lengths[u]; k++) chosen[starts[u] + k] = true;
            count += lengths[u];
        }
        return count;
    }

    private int ChooseSpans(ReadOnlySpan<bool> candidate, Span<bool> chosen, int budget, SeededRandom random)
    {
        var count = 0;
        var n = candidate.Length;
        for (var attempt = 0; count < budget && attempt < 20 * n; attempt++)
        {
            // Geometric length (number of trials to the first success), clipped to the maximum and the budget left.
            var len = 1;
            while (len < _options.MaxSpan && random.NextDouble() >= _options.SpanP) len++;
            len = Math.Min(len, budget - count);
            var start = random.NextInt(n);
            if (!candidate[start]) continue;
            for (var i = start; i < n && i < start + len && candidate[i]; i++)
                if (!chosen[i]) { chosen[i] = true; count++; }
        }
        return count;
    }
}
