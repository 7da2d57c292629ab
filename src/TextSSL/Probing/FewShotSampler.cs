namespace TextSSL.Probing;

/// <summary>A training subset: indices into the training split, and the classes that had fewer than K examples.</summary>
/// <param name="Indices">Indices into the training split, ascending.</param>
/// <param name="Shortfall">Class index → examples used, for each class that had fewer than the requested K.</param>
internal sealed record FewShotSample(int[] Indices, IReadOnlyDictionary<int, int> Shortfall);

/// <summary>Draws K training examples per class, MTEB-style.</summary>
internal static class FewShotSampler
{
    /// <summary>
    /// Picks <paramref name="perClass"/> examples of every class uniformly without replacement (all of them
    /// when <paramref name="perClass"/> is null). A class with fewer examples contributes all it has and is
    /// listed in <see cref="FewShotSample.Shortfall"/>. The same seed gives the same sample.
    /// </summary>
    /// <param name="labels">Class index of each training example.</param>
    /// <param name="numClasses">Number of classes.</param>
    /// <param name="perClass">K, or null for every example.</param>
    /// <param name="seed">Seed of the draw.</param>
    public static FewShotSample Sample(IReadOnlyList<int> labels, int numClasses, int? perClass, int seed)
    {
        if (perClass is < 1) throw new TextSslException($"samples per label must be at least 1 (got {perClass}).");
        var byClass = new List<int>[numClasses];
        for (var c = 0; c < numClasses; c++) byClass[c] = [];
        for (var i = 0; i < labels.Count; i++) byClass[labels[i]].Add(i);
        var rng = new Random(seed);
        var picked = new List<int>();
        var shortfall = new Dictionary<int, int>();
        for (var c = 0; c < numClasses; c++)
        {
            var members = byClass[c].ToArray();
            if (perClass is not { } k) { picked.AddRange(members); continue; }
            if (members.Length < k) shortfall[c] = members.Length;
            // Partial Fisher–Yates: the first min(k, n) slots become a uniform sample.
            var take = Math.Min(k, members.Length);
            for (var i = 0; i < take; i++)
            {
                var j = rng.Next(i, members.Length);
                (members[i], members[j]) = (members[j], members[i]);
            }
            picked.AddRange(members[..take]);
        }
        picked.Sort();
        return new FewShotSample(picked.ToArray(), shortfall);
    }

    /// <summary>Parses a list such as <c>8,32,128,all</c>; <c>all</c> becomes null.</summary>
    /// <exception cref="OptionException">An entry is neither a positive integer nor <c>all</c> (names <see cref="ProbeOptions.SamplesPerLabel"/>).</exception>
    public static IReadOnlyList<int?> ParseList(string spec)
    {
        var result = new List<int?>();
        foreach (var part in spec.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (part.Equals("all", StringComparison.OrdinalIgnoreCase)) result.Add(null);
            else if (int.TryParse(part, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var k) && k >= 1) result.Add(k);
            else throw new OptionException(nameof(ProbeOptions.SamplesPerLabel), $"SamplesPerLabel: '{part}' is neither a positive integer nor 'all' (example: 8,32,128,all).");
        }
        if (result.Count == 0) throw new OptionException(nameof(ProbeOptions.SamplesPerLabel), "SamplesPerLabel is empty (example: 8,32,128,all).");
        // Ascending, 'all' last, no repeats: the report's x axis reads left to right.
        return result.Distinct().OrderBy(k => k ?? int.MaxValue).ToList();
    }
}
