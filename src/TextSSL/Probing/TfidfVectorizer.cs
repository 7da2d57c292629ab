using System.Globalization;

namespace TextSSL.Probing;

/// <summary>TF-IDF settings.</summary>
/// <param name="MaxFeatures">Vocabulary cap; half goes to word n-grams, half to character n-grams, each the most frequent by document frequency.</param>
/// <param name="WordNgramMax">Word n-grams of length 1..this.</param>
/// <param name="CharNgramMin">Shortest character n-gram (taken inside word boundaries, words padded with a space).</param>
/// <param name="CharNgramMax">Longest character n-gram.</param>
/// <param name="MaxCharsPerText">Only the first this-many characters of a text are read (long e-mails would otherwise dominate the time).</param>
public sealed record TfidfOptions(int MaxFeatures = 20_000, int WordNgramMax = 2, int CharNgramMin = 3, int CharNgramMax = 5, int MaxCharsPerText = 10_000);

/// <summary>
/// Word and character n-gram TF-IDF (sublinear term frequency, smoothed IDF, L2-normalised rows), the classic
/// strong baseline for text classification. Produces sparse rows (<see cref="SparseMatrix"/>): a text holds a few
/// hundred of the 20,000 terms, so a dense texts × features matrix would be almost all zeros (gigabytes of them).
/// </summary>
internal sealed class TfidfVectorizer
{
    private readonly Dictionary<string, int> _vocabulary;
    private readonly float[] _idf;
    private readonly TfidfOptions _options;

    private TfidfVectorizer(Dictionary<string, int> vocabulary, float[] idf, TfidfOptions options)
    {
        _vocabulary = vocabulary;
        _idf = idf;
        _options = options;
    }

    /// <summary>Number of features (columns).</summary>
    public int FeatureCount => _idf.Length;

    /// <summary>Learns the vocabulary and IDF weights from <paramref name="texts"/> (never pass test texts here).</summary>
    public static TfidfVectorizer Fit(IReadOnlyList<string> texts, TfidfOptions options, CancellationToken ct = default)
    {
        if (options.MaxFeatures < 2) throw new TextSslException($"TF-IDF needs at least 2 features (got {options.MaxFeatures}).");
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        var df = new List<int>();
        var seen = new HashSet<int>();
        for (var i = 0; i < texts.Count; i++)
        {
            if ((i & 255) == 0) ct.ThrowIfCancellationRequested();
            seen.Clear();
            foreach (var term in Terms(texts[i], options))
            {
                if (!ids.TryGetValue(term, out var id)) { id = ids.Count; ids[term] = id; df.Add(0); }
                if (seen.Add(id)) df[id]++;
            }
        }
        var half = options.MaxFeatures / 2;
        // Most frequent first; ordinal order breaks ties so the vocabulary is deterministic.
        IEnumerable<KeyValuePair<string, int>> Top(char kind) => ids
            .Where(p => p.Key[0] == kind)
            .OrderByDescending(p => df[p.Value]).ThenBy(p => p.Key, StringComparer.Ordinal)
            .Take(kind == 'w' ? half : options.MaxFeatures - half);
        var chosen = Top('w').Concat(Top('c')).ToList();
        var vocabulary = new Dictionary<string, int>(chosen.Count, StringComparer.Ordinal);
        var idf = new float[chosen.Count];
        for (var j = 0; j < chosen.Count; j++)
        {
            vocabulary[chosen[j].Key] = j;
            idf[j] = (float)(Math.Log((1.0 + texts.Count) / (1.0 + df[chosen[j].Value])) + 1.0);
        }
        return new TfidfVectorizer(vocabulary, idf, options);
    }

    /// <summary>TF-IDF rows (N, features) as a sparse matrix: each text stores only the terms it contains.</summary>
    public SparseMatrix Transform(IReadOnlyList<string> texts, CancellationToken ct = default)
    {
        var rowStarts = new int[texts.Count + 1];
        var columns = new List<int>();
        var values = new List<float>();
        var counts = new Dictionary<int, int>();
        var ids = new List<int>();
        for (var i = 0; i < texts.Count; i++)
        {
            if ((i & 255) == 0) ct.ThrowIfCancellationRequested();
            counts.Clear();
            foreach (var term in Terms(texts[i], _options))
                if (_vocabulary.TryGetValue(term, out var id)) counts[id] = counts.GetValueOrDefault(id) + 1;
            ids.Clear();
            ids.AddRange(counts.Keys);
            ids.Sort();
            var norm = 0.0;
            foreach (var id in ids)
            {
                var v = (float)((1.0 + Math.Log(counts[id])) * _idf[id]);
                norm += v * v;
            }
            var scale = norm > 0 ? (float)(1.0 / Math.Sqrt(norm)) : 0f;
            foreach (var id in ids)
            {
                columns.Add(id);
                values.Add((float)((1.0 + Math.Log(counts[id])) * _idf[id]) * scale);
            }
            rowStarts[i + 1] = columns.Count;
        }
        return new SparseMatrix(texts.Count, FeatureCount, rowStarts, columns.ToArray(), values.ToArray());
    }

    /// <summary>The n-gram terms of a text: <c>w:</c> word n-grams and <c>c:</c> character n-grams.</summary>
    internal static IEnumerable<string> Terms(string text, TfidfOptions options)
    {
        var lowered = (text.Length > options.MaxCharsPerText ? text[..options.MaxCharsPerText] : text).ToLower(CultureInfo.InvariantCulture);
        var words = Words(lowered);
        for (var n = 1; n <= options.WordNgramMax; n++)
            for (var i = 0; i + n <= words.Count; i++)
                yield return "w:" + string.Join(' ', words.Skip(i).Take(n));
        foreach (var word in words)
        {
            var padded = " " + word + " ";
            for (var n = options.CharNgramMin; n <= options.CharNgramMax; n++)
                for (var i = 0; i + n <= padded.Length; i++)
                    yield return string.Concat("c:", padded.AsSpan(i, n));
        }
    }

    private static List<string> Words(string text)
    {
        var words = new List<string>();
        var start = -1;
        for (var i = 0; i <= text.Length; i++)
        {
            var inWord = i < text.Length && (char.IsLetterOrDigit(text[i]) || text[i] == '\'');
            if (inWord && start < 0) start = i;
            else if (!inWord && start >= 0) { words.Add(text[start..i]); start = -1; }
        }
        return words;
    }
}
