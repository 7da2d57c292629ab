using TextSSL.Modeling;
using TextSSL.Probing;
using TextSSL.Runtime;
using TextSSL.Tokenization;
using static TorchSharp.torch;

namespace TextSSL.Tests.Probing;

/// <summary>Whole-text features: long texts read in consecutive windows of the block and pooled across them.</summary>
public class FeatureWindowTests
{
    private const int Block = 32; // the tiny preset's context

    [OneTimeSetUp]
    public void LoadTorch() => TorchRuntime.EnsureLoaded();

    private static string Long(int words, int seed)
    {
        var rng = new Random(seed);
        string[] vocab = ["whale", "sea", "ship", "the", "a", "captain", "garden", "rose", "moss", "and"];
        return string.Join(' ', Enumerable.Range(0, words).Select(_ => vocab[rng.Next(vocab.Length)]));
    }

    [TestCase(ModelKind.Decoder)]
    [TestCase(ModelKind.Encoder)]
    public void A_long_texts_windows_cover_its_tokens_exactly_in_order(ModelKind kind)
    {
        var tokenizer = ProbeFixtures.Tokenizer();
        var config = TransformerConfig.Preset("tiny", kind, tokenizer.VocabSize);
        var framing = kind == ModelKind.Encoder ? 2 : 1;
        var room = Block - framing;
        var text = Long(60, 1);
        var tokens = tokenizer.Encode(text);
        Assert.That(tokens.Length, Is.GreaterThan(5 * room), "the text spans several windows");
        var needed = (tokens.Length + room - 1) / room;

        var enc = EncodedTexts.Encode(tokenizer, config, ["short", text], maxWindows: 1000);
        Assert.That(enc.Windows[0], Has.Length.EqualTo(1));
        Assert.That(enc.Windows[1], Has.Length.EqualTo(needed));
        Assert.That((enc.Windowed, enc.Truncated, enc.WindowCount), Is.EqualTo((1, 0, 1 + needed)));
        Assert.That(enc.Windows[1].All(w => w.Length <= Block), Is.True);
        Assert.That(enc.Windows[1][..^1].All(w => w.Length == Block), Is.True, "every window but the last is full");
        var body = enc.Windows[1].SelectMany(w => kind == ModelKind.Encoder ? w[1..^1] : w[1..]).ToArray();
        Assert.That(body, Is.EqualTo(tokens), "the windows' tokens, framing removed, are the text's tokens");
        Assert.That(enc.Ids[1], Is.EqualTo(enc.Windows[1][0]), "single-sequence readers see the first window");

        // A cap of 3 windows keeps the first 3 × room tokens and counts the text as cut.
        var capped = EncodedTexts.Encode(tokenizer, config, ["short", text], maxWindows: 3);
        Assert.That(capped.Windows[1], Has.Length.EqualTo(3));
        Assert.That(capped.Windows[1], Is.EqualTo(enc.Windows[1][..3]));
        Assert.That((capped.Windowed, capped.Truncated), Is.EqualTo((1, 1)));

        // One window reads exactly what it read before windows existed: the start, cut to the block.
        var one = EncodedTexts.Encode(tokenizer, config, ["short", text]);
        Assert.That(one.Windows.Select(w => w.Length), Is.EqualTo(new[] { 1, 1 }));
        Assert.That(one.Ids[1], Is.EqualTo(enc.Windows[1][0]));
        Assert.That((one.Windowed, one.Truncated), Is.EqualTo((0, 1)));
    }

    [Test]
    public void A_text_that_fills_exactly_one_window_is_not_windowed()
    {
        var tokenizer = ProbeFixtures.Tokenizer();
        var config = TransformerConfig.Preset("tiny", ModelKind.Decoder, tokenizer.VocabSize);
        var exact = new string('a', Block - 1);
        var enc = EncodedTexts.Encode(tokenizer, config, [exact, exact + "b", ""], maxWindows: 4);
        Assert.That(enc.Windows.Select(w => w.Length), Is.EqualTo(new[] { 1, 2, 1 }));
        var eot = tokenizer.Specials.IdOf(SpecialTokenRole.EndOfText)!.Value;
        Assert.That(enc.Windows[1][1], Is.EqualTo(new[] { eot, tokenizer.Encode("b")[0] }), "the second window is framed like a text");
        Assert.That(enc.Windowed, Is.EqualTo(1));
    }

    [TestCase(ModelKind.Decoder, Pooling.Mean)]
    [TestCase(ModelKind.Encoder, Pooling.Mean)]
    [TestCase(ModelKind.Decoder, Pooling.Last)]
    [TestCase(ModelKind.Encoder, Pooling.First)]
    [TestCase(ModelKind.Encoder, Pooling.Max)]
    public void Short_texts_keep_their_vectors_and_a_long_text_pools_its_windows_in_input_order(ModelKind kind, Pooling pooling)
    {
        var tokenizer = ProbeFixtures.Tokenizer();
        using var model = ProbeFixtures.TinyModel(kind, tokenizer);
        string[] texts = ["a whale", Long(40, 2), "the ship", Long(25, 3), ""];
        var single = new FeatureOptions(pooling, BatchSize: 4, MaxWindows: 1);
        var windowed = single with { MaxWindows = 64 };
        using var before = FeatureExtractor.Extract(model, EncodedTexts.Encode(tokenizer, model.Config, texts), single, CPU);
        var encoded = EncodedTexts.Encode(tokenizer, model.Config, texts, maxWindows: 64);
        using var after = FeatureExtractor.Extract(model, encoded, windowed, CPU);
        Assert.That(after.shape, Is.EqualTo(new long[] { texts.Length, model.Config.Dim }));

        foreach (var i in new[] { 0, 2, 4 })
            Assert.That(after[i].allclose(before[i], rtol: 1e-5, atol: 1e-6), Is.True, $"short text {i} reads as before");
        foreach (var i in new[] { 1, 3 })
        {
            if (pooling != Pooling.First)
                Assert.That(after[i].allclose(before[i], rtol: 1e-3, atol: 1e-3), Is.False, $"long text {i} reads more than its start");
            // Each window alone, as a text of its own; then pooled the way the tokens are.
            var windows = encoded.Windows[i];
            var alone = EncodedTexts.FromSequences(windows);
            using var vectors = FeatureExtractor.Extract(model, alone, single with { BatchSize = 1 }, CPU);
            using var lengths = tensor(windows.Select(w => (float)w.Length).ToArray()).unsqueeze(1);
            using var expected = pooling switch
            {
                Pooling.Mean => (vectors * lengths).sum([0]) / lengths.sum(),
                Pooling.Max => vectors.amax([0]),
                Pooling.First => vectors[0],
                _ => vectors[-1],
            };
            Assert.That(after[i].allclose(expected, rtol: 1e-4, atol: 1e-5), Is.True, $"long text {i} is its windows pooled ({pooling})");
        }

        // Order: a permuted input gives the permuted rows.
        int[] perm = [3, 0, 4, 1, 2];
        using var shuffled = FeatureExtractor.Extract(model, EncodedTexts.Encode(tokenizer, model.Config, perm.Select(p => texts[p]).ToArray(), maxWindows: 64), windowed, CPU);
        for (var j = 0; j < perm.Length; j++)
            Assert.That(shuffled[j].allclose(after[perm[j]], rtol: 1e-4, atol: 1e-5), Is.True, $"row {j}");
    }

    [Test]
    public void Normalisation_applies_to_the_pooled_text_vector_and_the_handle_counts_coverage()
    {
        var dir = ProbeFixtures.TempDir();
        try
        {
            using var model = PretrainedModel.Load(ProbeFixtures.SaveTinyCheckpoint(Path.Combine(dir, "m"), ModelKind.Decoder));
            string[] texts = [new string('a', 100), "moss", Long(200, 5)]; // 100 tokens: 4 windows of 31 + end-of-text
            var options = new FeatureOptions(MaxWindows: 4, Normalize: true);
            var coverage = new TextCoverage();
            using var unit = model.Features(texts, options, coverage: coverage);
            using var norms = unit.norm(1);
            Assert.That(norms.allclose(ones(3), rtol: 0, atol: 1e-5), Is.True);
            using var raw = model.Features(texts, options with { Normalize = false });
            using var scaled = raw / raw.norm(1, keepdim: true);
            Assert.That(unit.allclose(scaled, rtol: 1e-5, atol: 1e-6), Is.True, "normalised after pooling across windows");
            Assert.That((coverage.Texts, coverage.Windowed, coverage.Cut), Is.EqualTo((3L, 2L, 1L)));
            Assert.That(coverage.Windows, Is.EqualTo(4 + 1 + 4));

            var streamed = new TextCoverage();
            var rows = model.Embed(texts, options with { BatchSize = 2 }, coverage: streamed).ToList();
            Assert.That(rows, Has.Count.EqualTo(3));
            for (var i = 0; i < 3; i++) Assert.That(rows[i], Is.EqualTo(unit[i].data<float>().ToArray()).Within(1e-5));
            Assert.That((streamed.Texts, streamed.Windowed, streamed.Cut), Is.EqualTo((3L, 2L, 1L)));
        }
        finally { Directory.Delete(dir, true); }
    }

    [Test]
    public void The_window_count_is_part_of_the_cache_key_and_is_checked()
    {
        Assert.That(new FeatureOptions(MaxWindows: 1).Describe(), Does.Not.Contain("windows"), "one window keeps the keys of earlier caches");
        Assert.That(new FeatureOptions(MaxWindows: 8).Describe(), Is.Not.EqualTo(new FeatureOptions(MaxWindows: 16).Describe()));
        Assert.That(new FeatureOptions(MaxWindows: 8).Describe(), Is.Not.EqualTo(new FeatureOptions(MaxWindows: 1).Describe()));
        Assert.That(new FeatureOptions().MaxWindows, Is.EqualTo(FeatureOptions.DefaultMaxWindows));
        var ex = Assert.Throws<OptionException>(() => new FeatureOptions(MaxWindows: 0).Validate());
        Assert.That(ex!.Option, Is.EqualTo(nameof(FeatureOptions.MaxWindows)));
    }
}
