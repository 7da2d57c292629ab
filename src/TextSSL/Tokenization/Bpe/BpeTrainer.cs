using System.Diagnostics;
using System.Text;

namespace TextSSL.Tokenization.Bpe;

/// <summary>
/// Trains a byte-level BPE tokenizer in the GPT-2/GPT-4 manner: regex pre-tokenization, the 256 bytes as base
/// tokens, merges learned by weighted pair frequency, special tokens after the learned vocabulary.
/// </summary>
/// <remarks>
/// The algorithm follows Hugging Face tokenizers' BPE trainer: distinct pre-tokens are counted once (in parallel),
/// each becomes a <see cref="Word"/> of byte ids, pair counts and pair → word lists are built once, and a priority
/// queue yields the most frequent pair. Queue entries are not updated when counts fall; an entry whose count is out
/// of date is corrected and pushed back when it is popped. A merge touches only the words listed for its pair.
/// Ties go to the lower (left, right) id pair, so training is deterministic: the same input gives byte-identical files.
/// When a merge produces bytes that already are a token (the same string reached through another split), the
/// existing id is reused, so the vocabulary never holds two tokens with the same bytes.
/// </remarks>
public sealed class BpeTrainer
{
    private readonly BpeTrainerOptions _options;

    /// <summary>Creates a trainer; the options are checked here, before any input is read.</summary>
    /// <exception cref="TextSslException">Invalid options.</exception>
    public BpeTrainer(BpeTrainerOptions options)
    {
        options.Validate();
        _ = SplitPatterns.Resolve(options.Pattern);
        _options = options;
    }

    /// <summary>Trains on files and directories (streamed; each file one document).</summary>
    /// <exception cref="TextSslException">Missing or empty input, invalid UTF-8, or a special token that collides with a learned token.</exception>
    public async Task<BpeTrainingResult> TrainFilesAsync(IEnumerable<string> inputs, IProgress<BpeTrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var files = TrainingInput.ExpandFiles(inputs);
        var sw = Stopwatch.StartNew();
        var threads = _options.Threads > 0 ? _options.Threads : Environment.ProcessorCount;
        var counts = await PreTokenCounter.CountFilesAsync(files, SplitPatterns.Resolve(_options.Pattern), _options.ReplaceInvalidUtf8, threads, progress, cancellationToken)
                                          .ConfigureAwait(false);
        if (counts.Count == 0) throw new TextSslException($"the training input is empty ({string.Join(", ", files.Take(3))}{(files.Count > 3 ? ", ..." : "")}). Give files that contain text.");
        return Learn(counts, sw.Elapsed, progress, cancellationToken);
    }

    /// <summary>Trains on texts held in memory, each one document.</summary>
    /// <exception cref="TextSslException">Empty input, or a special token that collides with a learned token.</exception>
    public BpeTrainingResult TrainTexts(IEnumerable<string> texts, IProgress<BpeTrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var sw = Stopwatch.StartNew();
        var counts = PreTokenCounter.CountTexts(texts, SplitPatterns.Resolve(_options.Pattern));
        if (counts.Count == 0) throw new TextSslException("the training text is empty.");
        return Learn(counts, sw.Elapsed, progress, cancellationToken);
    }

    private BpeTrainingResult Learn(Dictionary<string, long> counts, TimeSpan countTime, IProgress<BpeTrainingProgress>? progress, CancellationToken ct)
    {
        var sw = Stopwatch.StartNew();
        var target = _options.LearnedVocabSize;

        // 1. base vocabulary: the 256 bytes, by value
        var tokens = new List<byte[]>(256);
        var idsByBytes = new Dictionary<string, int>(StringComparer.Ordinal); // Latin-1 string of the bytes → id
        for (var b = 0; b < 256; b++)
        {
            tokens.Add([(byte)b]);
            idsByBytes.Add(((char)b).ToString(), b);
        }

        // 2. words: distinct pre-tokens as byte ids, in ordinal order so indices do not depend on thread timing
        var keys = counts.Keys.ToArray();
        Array.Sort(keys, StringComparer.Ordinal);
        var words = new Word[keys.Length];
        long preTokens = 0;
        for (var i = 0; i < keys.Length; i++)
        {
            var bytes = Encoding.UTF8.GetBytes(keys[i]);
            var count = counts[keys[i]];
            preTokens += count;
            words[i] = new Word(Array.ConvertAll(bytes, b => (int)b), count);
        }
        counts.Clear();

        // no text gives more merges than its distinct pre-tokens have adjacent byte pairs: size lists by that, not by the request
        var reachable = 256 + words.Sum(w => (long)Math.Max(0, w.Symbols.Length - 1));
        var capacity = (int)Math.Min(target, reachable);

        // 3. initial pair counts and pair → words
        var stats = new PairStats();
        for (var w = 0; w < words.Length; w++)
        {
            var s = words[w].Symbols;
            for (var i = 0; i + 1 < s.Length; i++) stats.Add(PairStats.Key(s[i], s[i + 1]), words[w].Count, w);
        }
        stats.ClearIncreased();

        // 4. queue: highest count first, then the lower pair
        var queue = new PriorityQueue<long, MergeKey>(stats.Count, MergeKey.Comparer);
        foreach (var (pair, count) in stats.Positive) queue.Enqueue(pair, new MergeKey(count, pair));

        // 5. merges until the vocabulary is full or no pair is left
        tokens.Capacity = capacity;
        var merges = new List<BpeMerge>(Math.Max(0, capacity - 256));
        while (tokens.Count < target && queue.TryDequeue(out var pair, out var key))
        {
            var current = stats.CountOf(pair);
            if (current <= 0) { stats.Forget(pair); continue; }
            if (current != key.Count)
            {
                queue.Enqueue(pair, new MergeKey(current, pair));
                continue;
            }
            int left = PairStats.Left(pair), right = PairStats.Right(pair);
            var mergedBytes = Concat(tokens[left], tokens[right]);
            var latin1 = Encoding.Latin1.GetString(mergedBytes);
            if (!idsByBytes.TryGetValue(latin1, out var id))
            {
                id = tokens.Count;
                tokens.Add(mergedBytes);
                idsByBytes.Add(latin1, id);
            }
            merges.Add(new BpeMerge(left, right, id, current));
            foreach (var w in stats.TakeWords(pair)) words[w].Merge(left, right, id, stats, w);
            foreach (var p in stats.Increased)
            {
                var c = stats.CountOf(p);
                if (c > 0) queue.Enqueue(p, new MergeKey(c, p));
            }
            stats.ClearIncreased();
            if ((merges.Count & 255) == 0)
            {
                ct.ThrowIfCancellationRequested();
                progress?.Report(new BpeTrainingProgress(BpeTrainingPhase.Merging, tokens.Count - 256, target - 256));
            }
        }
        progress?.Report(new BpeTrainingProgress(BpeTrainingPhase.Merging, tokens.Count - 256, target - 256));

        // 6. special tokens after the learned vocabulary; one whose bytes are a learned token would make decoding ambiguous
        var specials = new List<SpecialToken>();
        foreach (var spec in _options.Specials)
        {
            if (idsByBytes.TryGetValue(Encoding.Latin1.GetString(Encoding.UTF8.GetBytes(spec.Text)), out var clash))
                throw new TextSslException($"special token '{spec.Text}' has the same bytes as learned token {clash}, so its id would be ambiguous when decoding. " +
                                           "Choose a special token text that does not occur as a token (e.g. wrap it in [ ] or <| |>).");
            specials.Add(new SpecialToken(spec.Text, tokens.Count + specials.Count, spec.Role));
        }
        var tokenizer = ByteLevelBpeTokenizer.Create(tokens, SplitPatterns.Expand(_options.Pattern), new SpecialTokens(specials));
        return new BpeTrainingResult(tokenizer, merges, preTokens, words.Length, countTime, sw.Elapsed) { RanOutOfPairs = tokens.Count < target };
    }

    private static byte[] Concat(byte[] a, byte[] b)
    {
        var r = new byte[a.Length + b.Length];
        a.CopyTo(r, 0);
        b.CopyTo(r, a.Length);
        return r;
    }

    /// <summary>Queue priority: a pair's count when pushed, and the pair for the tie-break.</summary>
    private readonly record struct MergeKey(long Count, long Pair)
    {
        public static readonly IComparer<MergeKey> Comparer = Comparer<MergeKey>.Create(static (x, y) =>
            x.Count != y.Count ? y.Count.CompareTo(x.Count) : x.Pair.CompareTo(y.Pair));
    }
}
