using System.Text;
using TextSSL.Generation;
using TextSSL.Runtime;
using TextSSL.Tokenization;
using TextSSL.Tokenization.Bpe;
using TextSSL.Tokenization.HuggingFace;
using TextSSL.Tests.Tokenization;

namespace TextSSL.Tests.Generation;

/// <summary>
/// Generation decodes each new token with the few before it instead of the whole completion; the text must be the one a
/// whole decode gives (what generation printed before) after every token, and a character split across tokens is never
/// shown broken.
/// </summary>
public class IncrementalDecodingTests
{
    private const string Mixed = "naïve café — 世界, 🎉 and 👩‍👩‍👧 done. ";

    private TempDir _dir = null!;
    private ByteLevelBpeTokenizer _bpe = null!;
    private TextTokenizer _hf = null!;

    [OneTimeSetUp]
    public void SetUp()
    {
        _dir = new TempDir();
        // trained on ASCII only: every non-ASCII character is several single-byte tokens
        _bpe = new BpeTrainer(new BpeTrainerOptions(400)).TrainTexts([TestText.MobyDick[..40_000]]).Tokenizer;
        HuggingFaceTokenizerFormat.Write(_bpe, _dir.Path("hf"));
        _hf = HuggingFaceTokenizerFormat.Read(_dir.Path("hf"));
    }

    [OneTimeTearDown]
    public void TearDown() => _dir.Dispose();

    private IEnumerable<TextTokenizer> Piecewise() => [_bpe, _hf, TokenizerStore.Open("gpt2"), TinyModels.Tokenizer()];

    [Test]
    public void After_every_token_the_text_equals_a_whole_decode_even_for_broken_bytes()
    {
        var random = new Random(7);
        foreach (var tokenizer in Piecewise())
        {
            Assert.That(tokenizer.DecodesPiecewise, Is.True, tokenizer.Kind);
            // random ids (byte tokens among them make invalid and incomplete UTF-8), then a text with multi-byte characters
            var sequences = Enumerable.Range(0, 20).Select(_ => Enumerable.Range(0, 60).Select(_ => random.Next(tokenizer.VocabSize)).ToArray())
                .Append(tokenizer.Encode(string.Concat(Enumerable.Repeat(tokenizer is CharTokenizer ? TinyModels.Text : Mixed, 3))));
            foreach (var ids in sequences)
            {
                var decoder = new IncrementalDecoder(tokenizer);
                for (var i = 0; i < ids.Length; i++)
                {
                    decoder.Add(ids[i]);
                    Assert.That(decoder.Text.ToString(), Is.EqualTo(tokenizer.Decode(ids.AsSpan(0, i + 1))), $"{tokenizer.Kind}, after token {i}");
                }
            }
        }
    }

    [Test]
    public void Characters_split_across_tokens_are_released_whole_and_as_soon_as_they_are_complete()
    {
        var ids = _bpe.Encode(Mixed);
        Assert.That(ids, Has.Length.GreaterThan(Encoding.UTF8.GetByteCount(Mixed) / 2), "non-ASCII characters span several tokens here");
        using var random = new TorchSharp.torch.Generator(1);
        var state = new CompletionState(0, 0, "", [], random, _bpe, []);
        var released = new List<string>();
        foreach (var id in ids) released.Add(state.Accept(id, null, ids.Length + 1).Text);
        released.Add(state.ToCompletion().Text[string.Concat(released).Length..]);
        Assert.That(string.Concat(released), Is.EqualTo(Mixed));
        Assert.That(released, Has.None.Contains('\uFFFD'));
        // each token releases exactly the text whose bytes are complete after it
        for (var i = 0; i < ids.Length; i++)
        {
            var whole = _bpe.Decode(ids.AsSpan(0, i + 1)).TrimEnd('\uFFFD');
            Assert.That(string.Concat(released.Take(i + 1)), Is.EqualTo(whole), $"after token {i}");
        }
    }

    [Test]
    public void Stop_strings_cut_where_a_search_of_the_whole_text_would()
    {
        var random = new Random(3);
        var tokenizer = TinyModels.Tokenizer();
        string[] stops = ["at t", "og.", "a d"];
        for (var run = 0; run < 200; run++)
        {
            var ids = Enumerable.Range(0, 80).Select(_ => random.Next(tokenizer.VocabSize)).ToArray();
            if (run % 2 == 0) ids = [.. tokenizer.Encode(TinyModels.Text[(run % 20)..]), .. ids];
            using var generator = new TorchSharp.torch.Generator(1);
            var state = new CompletionState(0, 0, "", [], generator, tokenizer, stops);
            var streamed = new StringBuilder();
            var n = 0;
            while (n < ids.Length && !state.Finished) streamed.Append(state.Accept(ids[n++], null, ids.Length).Text);
            var completion = state.ToCompletion();

            // the former computation: decode everything so far, take the earliest match of any stop string
            var (expected, stoppedBy) = (tokenizer.Decode(ids.AsSpan(0, n)), (string?)null);
            var first = stops.Select(s => (s, at: expected.IndexOf(s, StringComparison.Ordinal))).Where(m => m.at >= 0).OrderBy(m => m.at).FirstOrDefault();
            if (first.s is not null) (expected, stoppedBy) = (expected[..first.at], first.s);
            Assert.That(completion.Text, Is.EqualTo(expected), $"run {run}");
            Assert.That(completion.StopSequence, Is.EqualTo(stoppedBy), $"run {run}");
            Assert.That(streamed.ToString(), Is.EqualTo(expected), $"run {run}: the stream shows exactly the final text");
            if (stoppedBy is not null)
                Assert.That(stops.Any(s => tokenizer.Decode(ids.AsSpan(0, n - 1)).Contains(s, StringComparison.Ordinal)), Is.False,
                    $"run {run}: the completion stops at the token that completes the stop string");
        }
    }

    [Test]
    public void Each_token_decodes_a_few_ids_not_the_whole_completion()
    {
        // 4,000 tokens with a multi-byte character split across three of them every so often: a whole decode per token
        // would pass 4,000 × 4,001 / 2 ≈ 8 million ids to Decode
        var counting = new CountingTokenizer(_bpe);
        var ids = _bpe.Encode(string.Concat(Enumerable.Repeat("a 世 ", 1000)));
        using var random = new TorchSharp.torch.Generator(1);
        var state = new CompletionState(0, 0, "", [], random, counting, ["zz"]);
        var streamed = new StringBuilder();
        foreach (var id in ids) streamed.Append(state.Accept(id, null, ids.Length + 1).Text);
        Assert.That(state.ToCompletion().Text, Is.EqualTo(_bpe.Decode(ids)));
        Assert.That(counting.DecodedIds, Is.LessThan(4 * ids.Length), $"{ids.Length} tokens");
    }

    /// <summary>A tokenizer that counts the ids it is asked to decode.</summary>
    private sealed class CountingTokenizer(TextTokenizer inner) : TextTokenizer
    {
        public long DecodedIds { get; private set; }
        public override string Kind => inner.Kind;
        public override int VocabSize => inner.VocabSize;
        public override SpecialTokens Specials => inner.Specials;
        public override bool DecodesPiecewise => inner.DecodesPiecewise;
        public override int[] Encode(string text) => inner.Encode(text);
        public override void Save(string directory) => inner.Save(directory);

        public override string Decode(ReadOnlySpan<int> ids)
        {
            DecodedIds += ids.Length;
            return inner.Decode(ids);
        }
    }

    [Test]
    public async Task A_long_generation_gives_the_whole_decode_of_its_tokens()
    {
        TorchRuntime.EnsureLoaded();
        var tokenizer = TinyModels.Tokenizer();
        using var model = TinyModels.Untrained(tokenizer, TextSSL.Modeling.ModelKind.Decoder);
        var generator = new TextGenerator(model, tokenizer);
        var streamed = new StringBuilder();
        var result = await generator.GenerateAsync(["the cat"], new GenerationOptions { MaxNewTokens = 800, Seed = 11, StopAtEndOfText = false },
            t => streamed.Append(t.Text));
        var c = result.Completions[0];
        Assert.That(c.TokenIds, Has.Count.EqualTo(800));
        Assert.That(c.Text, Is.EqualTo(tokenizer.Decode(c.TokenIds.ToArray())));
        Assert.That(streamed.ToString(), Is.EqualTo(c.Text));
    }
}
