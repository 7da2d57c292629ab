using TextSSL.Tokenization;
using TextSSL.Tokenization.Bpe;
using TextSSL.Tokenization.Pretrained;

namespace TextSSL.Tests.Tokenization;

/// <summary>decode(encode(s)) == s for every string, lone surrogates becoming U+FFFD, for every byte-level kind.</summary>
public class RoundTripTests
{
    private readonly Dictionary<string, TextTokenizer> _tokenizers = new();
    private TempDir? _dir;

    [OneTimeSetUp]
    public void Build()
    {
        _dir = new TempDir();
        _tokenizers["bpe"] = new BpeTrainer(new BpeTrainerOptions(600)).TrainTexts([TestText.MobyDick[..100_000]]).Tokenizer;
        _tokenizers["bpe-gpt2-pattern"] = new BpeTrainer(new BpeTrainerOptions(400) { Pattern = "gpt2" }).TrainTexts([TestText.MobyDick[..50_000]]).Tokenizer;
        _tokenizers["gpt2"] = TokenizerStore.Open("gpt2");
        _tokenizers["cl100k"] = TokenizerStore.Open("cl100k");
        ForeignFiles.WriteVocabMerges(_dir.Path("vm"));
        _tokenizers["vocab-merges"] = TokenizerStore.Open(_dir.Path("vm"));
    }

    [OneTimeTearDown]
    public void Clean() => _dir?.Dispose();

    private static readonly string[] Kinds = ["bpe", "bpe-gpt2-pattern", "gpt2", "cl100k", "vocab-merges"];

    [TestCaseSource(nameof(Kinds))]
    public void Edge_strings_round_trip_exactly(string kind)
    {
        var t = _tokenizers[kind];
        foreach (var s in TestText.Edge)
            Assert.That(t.Decode(t.Encode(s)), Is.EqualTo(s), $"{kind}: {Escape(s)}");
    }

    [TestCaseSource(nameof(Kinds))]
    public void Random_unicode_round_trips_and_lone_surrogates_become_U_FFFD(string kind)
    {
        var t = _tokenizers[kind];
        var rng = new Random(kind.Length * 31 + 1);
        for (var i = 0; i < 300; i++)
        {
            var s = TestText.Random(rng, loneSurrogates: i % 2 == 1);
            var expected = Utf16Text.ReplaceLoneSurrogates(s);
            var ids = t.Encode(s);
            Assert.That(ids, Has.All.InRange(0, t.VocabSize - 1));
            Assert.That(t.Decode(ids), Is.EqualTo(expected), $"{kind}: {Escape(s)}");
        }
    }

    [Test]
    public void Character_tokenizer_round_trips_what_it_was_built_on()
    {
        var rng = new Random(5);
        for (var i = 0; i < 100; i++)
        {
            var s = TestText.Random(rng, loneSurrogates: false);
            if (s.Length == 0) continue;
            var t = CharTokenizer.Train(s);
            Assert.That(t.Decode(t.Encode(s)), Is.EqualTo(s));
        }
    }

    [Test]
    public void Lone_surrogate_replacement_keeps_valid_pairs()
    {
        Assert.That(Utf16Text.ReplaceLoneSurrogates("a\uD83D\uDE00b"), Is.EqualTo("a\uD83D\uDE00b"));
        Assert.That(Utf16Text.ReplaceLoneSurrogates("a\uD83Db"), Is.EqualTo("a\uFFFDb"));
        Assert.That(Utf16Text.ReplaceLoneSurrogates("\uDE00\uD83D"), Is.EqualTo("\uFFFD\uFFFD"));
        const string clean = "no surrogates";
        Assert.That(Utf16Text.ReplaceLoneSurrogates(clean), Is.SameAs(clean));
    }

    [TestCaseSource(nameof(Kinds))]
    public void Special_token_text_in_the_input_is_ordinary_text(string kind)
    {
        var t = _tokenizers[kind];
        foreach (var special in t.Specials.All)
        {
            var ids = t.Encode("a" + special.Text + "b");
            Assert.That(ids, Does.Not.Contain(special.Id), $"{kind}: {special.Text}");
            Assert.That(t.Decode(ids), Is.EqualTo("a" + special.Text + "b"));
            Assert.That(t.Decode([special.Id]), Is.EqualTo(special.Text));
        }
    }

    [TestCaseSource(nameof(Kinds))]
    public void Ids_outside_the_vocabulary_are_an_error(string kind)
    {
        var t = _tokenizers[kind];
        Assert.That(() => t.Decode([t.VocabSize]), Throws.InstanceOf<TextSslException>());
        Assert.That(() => t.Decode([-1]), Throws.InstanceOf<TextSslException>());
    }

    [Test]
    public void Encoding_from_several_threads_gives_the_sequential_ids()
    {
        var t = _tokenizers["bpe"];
        var slices = Enumerable.Range(0, 8).Select(i => TestText.MobyDick.Substring(300_000 + i * 20_000, 20_000)).ToArray();
        var expected = slices.Select(t.Encode).ToArray();
        var actual = new int[slices.Length][];
        Parallel.For(0, slices.Length, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i => actual[i] = t.Encode(slices[i]));
        Assert.That(actual, Is.EqualTo(expected));
    }

    private static string Escape(string s) => string.Concat(s.Select(c => c < 0x20 || c > 0x7E ? $"\\u{(int)c:X4}" : c.ToString()));
}
