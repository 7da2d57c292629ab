using System.Text;

namespace TextSSL.Tokenization.HuggingFace;

/// <summary>Recovers BPE merges from a tiktoken-style rank list, so a rank file can be written as vocab + merges.</summary>
/// <remarks>
/// A rank file keeps only tokens; tiktoken merges whichever adjacent pair concatenates to the lowest-ranked token.
/// The merge that makes token <c>t</c> is the last step of that same procedure run on <c>t</c>'s own bytes with only
/// lower ranks allowed: it must end in exactly two parts, and those are the pair. A token that procedure cannot reach
/// gets no merge (tiktoken only emits it when a whole pre-token equals it, which Hugging Face's <c>ignore_merges</c> covers).
/// </remarks>
internal static class RankMerges
{
    /// <summary>The merges in rank order, as pairs of token byte strings.</summary>
    /// <param name="tokens">Token bytes by rank; null where a rank is unused.</param>
    public static List<(byte[] Left, byte[] Right)> Derive(IReadOnlyList<byte[]?> tokens)
    {
        // byte strings as Latin-1 strings: one char per byte, so they hash and compare as keys
        var rank = new Dictionary<string, int>(tokens.Count, StringComparer.Ordinal);
        for (var r = 0; r < tokens.Count; r++)
            if (tokens[r] is { } t) rank.TryAdd(Encoding.Latin1.GetString(t), r);
        var merges = new List<(byte[], byte[])>();
        var parts = new List<string>();
        for (var r = 0; r < tokens.Count; r++)
        {
            if (tokens[r] is not { Length: >= 2 } token) continue;
            var key = Encoding.Latin1.GetString(token);
            if (rank[key] != r) continue;
            parts.Clear();
            foreach (var c in key) parts.Add(c.ToString());
            while (parts.Count > 2)
            {
                var best = -1;
                var bestRank = r;
                for (var i = 0; i + 1 < parts.Count; i++)
                    if (rank.TryGetValue(parts[i] + parts[i + 1], out var pr) && pr < bestRank) { bestRank = pr; best = i; }
                if (best < 0) break;
                parts[best] += parts[best + 1];
                parts.RemoveAt(best + 1);
            }
            if (parts.Count == 2 && rank.TryGetValue(parts[0], out var l) && l < r && rank.TryGetValue(parts[1], out var rr) && rr < r)
                merges.Add((Encoding.Latin1.GetBytes(parts[0]), Encoding.Latin1.GetBytes(parts[1])));
        }
        return merges;
    }
}
