using TextSSL.Generation;
using TextSSL.Modeling;
using TextSSL.Runtime;
using TextSSL.Tokenization;
using static TorchSharp.torch;

namespace TextSSL.Tests.Generation;

public class MaskFillerTests
{
    private CharTokenizer _tokenizer = null!;
    private Transformer _encoder = null!;
    private MaskFiller _filler = null!;

    [OneTimeSetUp]
    public void SetUp()
    {
        TorchRuntime.EnsureLoaded();
        _tokenizer = TinyModels.Tokenizer();
        _encoder = TinyModels.Untrained(_tokenizer, ModelKind.Encoder);
        _encoder.eval();
        _filler = new MaskFiller(_encoder, _tokenizer);
    }

    [OneTimeTearDown]
    public void TearDown() => _encoder.Dispose();

    [Test]
    public void Candidates_carry_the_models_probabilities_in_order_at_the_right_position()
    {
        const string text = "a [MASK]og and a c[MASK]t.";
        var predictions = _filler.Predict(text, topK: 4);
        Assert.That(predictions, Has.Count.EqualTo(2));

        // Recompute independently: [CLS] + characters with mask ids + [SEP], softmax at each mask position.
        var mask = _tokenizer.Specials.IdOf(SpecialTokenRole.Mask)!.Value;
        var ids = new List<int> { _tokenizer.Specials.IdOf(SpecialTokenRole.Cls)!.Value };
        var parts = text.Split("[MASK]");
        ids.AddRange(_tokenizer.Encode(parts[0])); ids.Add(mask);
        ids.AddRange(_tokenizer.Encode(parts[1])); ids.Add(mask);
        ids.AddRange(_tokenizer.Encode(parts[2]));
        ids.Add(_tokenizer.Specials.IdOf(SpecialTokenRole.Sep)!.Value);
        using var _ = no_grad();
        using var logits = _encoder.Forward(tensor(ids.Select(i => (long)i).ToArray(), [1, ids.Count]));
        for (var m = 0; m < 2; m++)
        {
            var p = predictions[m];
            Assert.That(ids[p.Position], Is.EqualTo(mask));
            using var probs = logits[0, p.Position].softmax(-1);
            Assert.That(p.Candidates, Has.Count.EqualTo(4));
            Assert.That(p.Candidates.Select(c => c.Probability), Is.Ordered.Descending);
            foreach (var c in p.Candidates)
            {
                Assert.That(c.Probability, Is.EqualTo(probs[c.TokenId].item<float>()).Within(1e-6));
                Assert.That(_tokenizer.Specials.IsSpecial(c.TokenId), Is.False);
            }
        }
        Assert.That(predictions[1].Candidates[0].Sequence, Does.StartWith("a [MASK]og and a c"), "only the predicted mask is replaced");
    }

    [Test]
    public void Text_without_a_mask_is_a_clear_error() =>
        Assert.That(() => _filler.Predict("the cat sat"), Throws.TypeOf<TextSslException>().With.Message.Contains("[MASK]"));

    [Test]
    public void A_decoder_cannot_fill_masks()
    {
        using var decoder = TinyModels.Untrained(_tokenizer, ModelKind.Decoder);
        Assert.That(() => new MaskFiller(decoder, _tokenizer), Throws.TypeOf<TextSslException>().With.Message.Contains("decoder"));
    }

    [Test]
    public void Text_longer_than_the_block_is_a_clear_error() =>
        Assert.That(() => _filler.Predict(string.Concat(Enumerable.Repeat("the cat ", 10)) + "[MASK]"),
            Throws.TypeOf<TextSslException>().With.Message.Contains("at most 32"));
}
