using System.Text;
using TextSSL.Tokenization;
using TextSSL.Tokenization.Bpe;

namespace TextSSL.Tests.Tokenization;

public class BpeTrainerTests
{
    private static BpeTrainingResult Train(int vocab, string text, IReadOnlyList<SpecialTokenSpec>? specials = null, string pattern = "gpt4") =>
        new BpeTrainer(new BpeTrainerOptions(vocab) { Specials = specials ?? [], Pattern = pattern }).TrainTexts([text]);

    [Test]
    public void Wikipedia_example_gives_the_hand_checked_merges_and_ids()
    {
        // "aaabdaaabac": aa (count 4) first; then (a,b) and (aa,a) tie at 2 and the lower pair (97,98) wins; then (aa,ab)
        var result = Train(259, "aaabdaaabac");
        Assert.That(result.Merges.Select(m => (m.Left, m.Right, m.Id, m.Count)),
            Is.EqualTo(new[] { (97, 97, 256, 4L), (97, 98, 257, 2L), (256, 257, 258, 2L) }));
        Assert.That(Encoding.ASCII.GetString(result.Tokenizer.TokenBytes(258)), Is.EqualTo("aaab"));
        // same ids as minbpe's test of the same example
        Assert.That(result.Tokenizer.Encode("aaabdaaabac"), Is.EqualTo(new[] { 258, 100, 258, 97, 99 }));
    }

    [Test]
    public void Pairs_are_counted_per_word_weighted_by_frequency_and_never_across_pre_tokens()
    {
        // pre-tokens "ab", " ab" (twice), " bab": (a,b) occurs 4 times; after it, (space, ab) twice; "b a" of "bab" never pairs with the space
        var result = Train(258, "ab ab ab bab");
        Assert.That(result.Merges[0], Is.EqualTo(new BpeMerge('a', 'b', 256, 4)));
        Assert.That(result.Merges[1], Is.EqualTo(new BpeMerge(' ', 256, 257, 2)));
    }

    [Test]
    public void Overlapping_pairs_merge_left_to_right()
    {
        // (a,a) occurs 4 times in "aaaaa"; merged left to right the word becomes "Z Z a", whose pairs (Z,Z) and (Z,a) occur once each
        var result = Train(258, "aaaaa");
        Assert.That(result.Merges, Is.EqualTo(new[] { new BpeMerge(97, 97, 256, 4), new BpeMerge(256, 97, 257, 1) }));
        Assert.That(result.Tokenizer.Encode("aaaaa"), Is.EqualTo(new[] { 256, 257 }));
    }

    [Test]
    public void Special_tokens_follow_the_learned_vocabulary_with_their_roles()
    {
        var result = Train(256 + 20 + 5, TestText.MobyDick[..20_000], SpecialTokenSpec.Standard);
        var t = result.Tokenizer;
        Assert.That(t.VocabSize, Is.EqualTo(281));
        Assert.That(t.Specials.IdOf(SpecialTokenRole.EndOfText), Is.EqualTo(276));
        Assert.That(t.Specials.IdOf(SpecialTokenRole.Pad), Is.EqualTo(280));
        Assert.That(t.Decode([276, 277]), Is.EqualTo("<|endoftext|>[MASK]"));
        Assert.That(t.Encode("<|endoftext|>"), Has.None.GreaterThanOrEqualTo(276), "special-token text in the input is ordinary text");
    }

    [Test]
    public void Training_stops_early_when_no_pair_is_left()
    {
        var result = Train(1000, "ab");
        Assert.That(result.RanOutOfPairs, Is.True);
        Assert.That(result.Tokenizer.LearnedCount, Is.EqualTo(257));
    }

    [Test]
    public async Task Training_twice_gives_byte_identical_files_whatever_the_thread_count()
    {
        using var dir = new TempDir();
        var corpus = dir.File("corpus.txt", TestText.MobyDick[..120_000]);
        var a = await new BpeTrainer(new BpeTrainerOptions(700) { Threads = 1 }).TrainFilesAsync([corpus]);
        var b = await new BpeTrainer(new BpeTrainerOptions(700) { Threads = 2 }).TrainFilesAsync([corpus]);
        TokenizerStore.Save(a.Tokenizer, dir.Path("a"));
        TokenizerStore.Save(b.Tokenizer, dir.Path("b"));
        foreach (var name in Directory.GetFiles(dir.Path("a")).Select(Path.GetFileName))
            Assert.That(File.ReadAllBytes(dir.Path("b", name!)), Is.EqualTo(File.ReadAllBytes(dir.Path("a", name!))), name);
        Assert.That(b.Tokenizer.Fingerprint, Is.EqualTo(a.Tokenizer.Fingerprint));
    }

    [Test]
    public async Task Streaming_in_chunks_counts_the_same_pre_tokens_as_the_whole_text()
    {
        // many small chunks, with long lines, so chunks are cut inside lines next to every kind of character
        var rng = new Random(7);
        var sb = new StringBuilder();
        while (sb.Length < 200_000) sb.Append(TestText.Random(rng, loneSurrogates: false)).Append(rng.Next(20) == 0 ? "\n" : " ");
        var text = sb.ToString();
        using var dir = new TempDir();
        var file = dir.File("big.txt", text);
        var chunks = TrainingInput.ReadChunks(file, false, default, chunkChars: 4096).ToList();
        Assert.That(chunks, Has.Count.GreaterThan(20));
        Assert.That(string.Concat(chunks), Is.EqualTo(text));
        var regex = SplitPatterns.Resolve("gpt4");
        var streamed = await PreTokenCounter.CountFilesAsync([file], regex, false, 2, null, CancellationToken.None, chunkChars: 4096);
        var whole = PreTokenCounter.CountTexts([text], regex);
        Assert.That(streamed.OrderBy(kv => kv.Key, StringComparer.Ordinal), Is.EqualTo(whole.OrderBy(kv => kv.Key, StringComparer.Ordinal)));
    }

    [Test]
    public async Task Directories_are_read_recursively_in_a_fixed_order()
    {
        using var dir = new TempDir();
        dir.File("in/b.txt", "second file");
        dir.File("in/sub/a.txt", "first file");
        dir.Bytes("in/.hidden", [0xFF, 0x20]); // invalid UTF-8, so reading it would fail
        var a = await new BpeTrainer(new BpeTrainerOptions(270) { Specials = [] }).TrainFilesAsync([dir.Path("in")]);
        var b = new BpeTrainer(new BpeTrainerOptions(270) { Specials = [] }).TrainTexts(["second file", "first file"]);
        Assert.That(a.Merges, Is.EqualTo(b.Merges));
        Assert.That(a.PreTokens, Is.EqualTo(4));
    }

    [Test]
    public void Gpt2_pattern_is_an_option()
    {
        // GPT-2 keeps digit runs together; GPT-4 splits them into groups of at most three
        var gpt2 = Train(260, "12345 12345 12345", pattern: "gpt2");
        var gpt4 = Train(260, "12345 12345 12345");
        Assert.That(Encoding.ASCII.GetString(gpt2.Tokenizer.TokenBytes(259)), Is.EqualTo("12345"));
        Assert.That(gpt2.Tokenizer.Encode("12345"), Has.Length.EqualTo(1));
        Assert.That(gpt4.Tokenizer.Encode("12345"), Has.Length.EqualTo(2));
        Assert.That(gpt4.Tokenizer.Pattern, Is.EqualTo(SplitPatterns.Gpt4));
        Assert.That(gpt2.Tokenizer.Pattern, Is.EqualTo(SplitPatterns.Gpt2));
    }

    [Test]
    public void Incremental_pair_bookkeeping_matches_a_naive_recount_every_merge()
    {
        var text = TestText.MobyDick[..15_000] + " aaaa abab ababab 日本日本 👍👍👍";
        var fast = Train(256 + 200, text);
        Assert.That(fast.Merges.Select(m => (m.Left, m.Right, m.Id, m.Count)), Is.EqualTo(NaiveMerges(text, 200)));
    }

    /// <summary>minbpe's loop over distinct pre-tokens: recount every pair, take the most frequent (lowest pair on ties), merge everywhere.</summary>
    private static List<(int, int, int, long)> NaiveMerges(string text, int count)
    {
        var words = PreTokenCounter.CountTexts([text], SplitPatterns.Resolve("gpt4"))
            .Select(kv => (Ids: Encoding.UTF8.GetBytes(kv.Key).Select(b => (int)b).ToList(), Count: kv.Value)).ToList();
        var tokens = Enumerable.Range(0, 256).Select(b => new[] { (byte)b }).ToList();
        var merges = new List<(int, int, int, long)>();
        while (tokens.Count < 256 + count)
        {
            var stats = new Dictionary<(int, int), long>();
            foreach (var (ids, c) in words)
                for (var i = 0; i + 1 < ids.Count; i++) stats[(ids[i], ids[i + 1])] = stats.GetValueOrDefault((ids[i], ids[i + 1])) + c;
            if (stats.Count == 0) break;
            var best = stats.OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key.Item1).ThenBy(kv => kv.Key.Item2).First();
            var bytes = tokens[best.Key.Item1].Concat(tokens[best.Key.Item2]).ToArray();
            var id = tokens.FindIndex(t => t.AsSpan().SequenceEqual(bytes));
            if (id < 0) { id = tokens.Count; tokens.Add(bytes); }
            merges.Add((best.Key.Item1, best.Key.Item2, id, best.Value));
            foreach (var (ids, _) in words)
                for (var i = 0; i + 1 < ids.Count; i++)
                    if (ids[i] == best.Key.Item1 && ids[i + 1] == best.Key.Item2) { ids[i] = id; ids.RemoveAt(i + 1); }
        }
        return merges;
    }
}
