using TextSSL.Pretext;
using TextSSL.Runtime;
using TextSSL.Tests.Training;
using TextSSL.Tokenization;

namespace TextSSL.Tests.Pretext;

public class MaskedLanguageModelTaskTests
{
    private const long Ignore = PretextBatch.IgnoreIndex;

    [OneTimeSetUp]
    public void LoadTorch() => TorchRuntime.EnsureLoaded();

    private static (long[] Inputs, long[] Labels, bool[]? Real) Read(PretextBatch b) =>
        (b.Inputs.data<long>().ToArray(), b.Targets.data<long>().ToArray(), b.PaddingMask?.data<bool>().ToArray());

    [Test]
    public void Masking_statistics_follow_15_percent_and_80_10_10_and_never_touch_specials()
    {
        var data = TrainingFixtures.Dataset("mlm");
        var tok = data.Tokenizer;
        var task = new MaskedLanguageModelTask(tok, 21);
        var mask = tok.Specials.IdOf(SpecialTokenRole.Mask)!.Value;
        long maskable = 0, chosen = 0, asMask = 0, unchanged = 0, random = 0, padded = 0;
        for (var i = 0; i < 60; i++)
        {
            using var batch = task.NextBatch(data.Train, 16, 64);
            var (x, y, real) = Read(batch);
            long count = 0;
            for (var k = 0; k < x.Length; k++)
            {
                var isReal = real?[k] ?? true;
                if (!isReal)
                {
                    padded++;
                    Assert.That(x[k], Is.EqualTo(tok.Specials.IdOf(SpecialTokenRole.Pad)), "padding positions hold [PAD]");
                }
                if (y[k] == Ignore)
                {
                    // Not chosen: a special or ordinary token left as it was (the text has no [MASK] of its own).
                    Assert.That(x[k], Is.Not.EqualTo(mask));
                    if (isReal && !tok.Specials.IsSpecial((int)x[k])) maskable++;
                    continue;
                }
                count++;
                chosen++;
                maskable++;
                Assert.That(isReal, Is.True, "padding is never chosen");
                Assert.That(tok.Specials.IsSpecial((int)y[k]), Is.False, "special tokens are never chosen");
                if (x[k] == mask) asMask++;
                else if (x[k] == y[k]) unchanged++;
                else random++;
            }
            Assert.That(batch.TargetCount, Is.EqualTo(count), "the target count is the number of labelled positions");
        }
        Assert.That((double)chosen / maskable, Is.EqualTo(0.15).Within(0.01));
        Assert.That((double)asMask / chosen, Is.EqualTo(0.8).Within(0.02));
        Assert.That((double)random / chosen, Is.EqualTo(0.1).Within(0.02));
        Assert.That((double)unchanged / chosen, Is.EqualTo(0.1).Within(0.02));
        Assert.That(padded, Is.GreaterThan(0), "sequences are cut at document ends and padded");
    }

    [Test]
    public void Sequences_are_framed_by_cls_and_sep_and_padded_with_a_mask()
    {
        var data = TrainingFixtures.Dataset("mlm", documents: 60, sentencesPerDocument: 3);   // short documents: many cuts
        var tok = data.Tokenizer;
        var task = new MaskedLanguageModelTask(tok, 2);
        var cls = tok.Specials.IdOf(SpecialTokenRole.Cls)!.Value;
        var sep = tok.Specials.IdOf(SpecialTokenRole.Sep)!.Value;
        using var batch = task.NextBatch(data.Train, 64, 48);
        var (x, _, real) = Read(batch);
        Assert.That(real, Is.Not.Null);
        for (var row = 0; row < 64; row++)
        {
            Assert.That(x[row * 48], Is.EqualTo(cls));
            var length = Enumerable.Range(0, 48).Count(j => real![row * 48 + j]);
            Assert.That(x[row * 48 + length - 1], Is.EqualTo(sep));
            for (var j = 0; j < 48; j++) Assert.That(real![row * 48 + j], Is.EqualTo(j < length), "real tokens come first, then padding");
        }
    }

    [Test]
    public void Whole_word_masking_chooses_words_entirely_or_not_at_all()
    {
        var data = TrainingFixtures.Dataset("mlm");
        var tok = data.Tokenizer;
        var task = new MaskedLanguageModelTask(tok, 4, new MaskingOptions(Unit: MaskingUnit.Word));
        for (var i = 0; i < 10; i++)
        {
            using var batch = task.NextBatch(data.Train, 8, 64);
            var (x, y, _) = Read(batch);
            for (var row = 0; row < 8; row++)
            {
                // Recover the original text of the row and walk its words.
                var original = Enumerable.Range(row * 64, 64).Select(k => y[k] != Ignore ? y[k] : x[k]).ToArray();
                var start = -1;
                for (var j = 0; j <= 64; j++)
                {
                    var inWord = j < 64 && !tok.Specials.IsSpecial((int)original[j]) && !char.IsWhiteSpace(tok.Decode([(int)original[j]])[0]);
                    if (inWord && start < 0) start = j;
                    if (!inWord && start >= 0)
                    {
                        var labelled = Enumerable.Range(start, j - start).Select(k => y[row * 64 + k] != Ignore).Distinct().Count();
                        Assert.That(labelled, Is.EqualTo(1), $"word at {start}..{j} is partly masked");
                        start = -1;
                    }
                }
            }
        }
    }

    [Test]
    public void Span_masking_chooses_contiguous_runs()
    {
        var data = TrainingFixtures.Dataset("mlm");
        var task = new MaskedLanguageModelTask(data.Tokenizer, 4, new MaskingOptions(Unit: MaskingUnit.Span));
        long runs = 0, chosen = 0;
        for (var i = 0; i < 10; i++)
        {
            using var batch = task.NextBatch(data.Train, 8, 64);
            var (_, y, _) = Read(batch);
            for (var k = 0; k < y.Length; k++)
            {
                if (y[k] == Ignore) continue;
                chosen++;
                if (k % 64 == 0 || y[k - 1] == Ignore) runs++;
            }
        }
        Assert.That((double)chosen / runs, Is.GreaterThan(2.0), "mean run length of span masking");
    }

    [Test]
    public void Evaluation_masks_are_the_same_every_time()
    {
        var data = TrainingFixtures.Dataset("mlm");
        var task = new MaskedLanguageModelTask(data.Tokenizer, 4);
        long[] Labels() => task.EvaluationBatches(data.Validation, 8, 64).SelectMany(b => { using (b) return b.Targets.data<long>().ToArray(); }).ToArray();
        var first = Labels();
        using (task.NextBatch(data.Train, 8, 64)) { }           // training draws must not move evaluation masks
        Assert.That(Labels(), Is.EqualTo(first));
    }

    [Test]
    public void A_tokenizer_without_a_mask_token_is_a_clear_error()
    {
        var tok = CharTokenizer.Train("abc def");
        Assert.That(() => PretextTasks.Create("mlm", tok, 1), Throws.InstanceOf<TextSslException>().With.Message.Contains("[MASK]"));
    }
}
