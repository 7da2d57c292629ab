using TextSSL.Corpora;
using TextSSL.Modeling;
using TextSSL.Pretext;
using TextSSL.Probing;
using TextSSL.Runtime;
using TextSSL.Tests.Training;
using TextSSL.Tokenization;
using TextSSL.Training;
using static TorchSharp.torch;

namespace TextSSL.Tests.Pretext;

public class ContrastiveTaskTests
{
    [OneTimeSetUp]
    public void LoadTorch() => TorchRuntime.EnsureLoaded();

    [Test]
    public void InfoNce_equals_a_direct_computation_on_a_tiny_batch()
    {
        double[][] a = [[1, 0, 2], [0.5, -1, 0], [-1, 1, 1]];
        double[][] b = [[0.9, 0.2, 1.5], [1, -1, 0.1], [0, 2, -1]];
        const double temperature = 0.5;
        // By hand: cosine matrix / temperature, then −log softmax of the diagonal, summed over rows.
        static double Cos(double[] x, double[] y) =>
            x.Zip(y, (p, q) => p * q).Sum() / Math.Sqrt(x.Sum(p => p * p)) / Math.Sqrt(y.Sum(q => q * q));
        var expected = 0.0;
        for (var i = 0; i < 3; i++)
        {
            var logits = b.Select(bj => Cos(a[i], bj) / temperature).ToArray();
            expected += Math.Log(logits.Sum(Math.Exp)) - logits[i];
        }
        using var ta = tensor(a.SelectMany(r => r).Select(v => (float)v).ToArray(), [3, 3]);
        using var tb = tensor(b.SelectMany(r => r).Select(v => (float)v).ToArray(), [3, 3]);
        using var loss = ContrastiveTask.InfoNceSum(ta, tb, temperature);
        Assert.That(loss.item<float>(), Is.EqualTo(expected).Within(1e-5));
    }

    [TestCase(2)]
    [TestCase(8)]
    [TestCase(64)]
    public void InfoNce_of_identical_vectors_is_ln_batch(int batch)
    {
        manual_seed(3);
        using var one = randn(1, 16);
        using var all = one.expand(batch, 16).contiguous();
        using var loss = ContrastiveTask.InfoNceSum(all, all, 0.05);
        Assert.That(loss.item<float>() / batch, Is.EqualTo(Math.Log(batch)).Within(1e-4));
    }

    private static Transformer Model(ModelKind kind, TrainingData data, double dropout)
    {
        manual_seed(5);
        var model = new Transformer(TransformerConfig.Preset("tiny", kind, data.Tokenizer.VocabSize) with { Dropout = dropout });
        model.train();
        return model;
    }

    [TestCase(ModelKind.Encoder)]
    [TestCase(ModelKind.Decoder)]
    public void Two_dropout_views_differ_and_with_dropout_zero_they_are_identical(ModelKind kind)
    {
        var data = TrainingFixtures.Dataset("contrastive");
        var task = new ContrastiveTask(data.Tokenizer, 9, kind: kind);
        using var batch = task.NextBatch(data.Train, 6, 32);
        using (var noisy = Model(kind, data, 0.1))
        {
            var (a, b) = task.Views(noisy, batch);
            Assert.That(a.shape, Is.EqualTo(new long[] { 6, 32 }));
            Assert.That(a.allclose(b, rtol: 0, atol: 1e-4), Is.False, "dropout gives two different views");
            using var loss = task.Compute(noisy, batch, false).LossSum;
            Assert.That(float.IsFinite(loss.item<float>()) && loss.requires_grad, Is.True);
        }
        using var quiet = Model(kind, data, 0.0);
        var (c, d) = task.Views(quiet, batch);
        Assert.That(c.allclose(d, rtol: 0, atol: 1e-6), Is.True, "without dropout both passes give the same vector");
    }

    [Test]
    public void Rows_hold_one_document_each_framed_and_padded_and_the_decoder_gets_no_markers()
    {
        var tok = CharTokenizer.Train("abcdefgh", SpecialTokens.StandardRoles);
        var eot = tok.Specials.IdOf(SpecialTokenRole.EndOfText)!.Value;
        var (cls, sep, pad) = (tok.Specials.IdOf(SpecialTokenRole.Cls)!.Value, tok.Specials.IdOf(SpecialTokenRole.Sep)!.Value, tok.Specials.IdOf(SpecialTokenRole.Pad)!.Value);
        var ids = tok.Encode("abc").Append(eot).Concat(tok.Encode("defgh")).Append(eot).Concat(tok.Encode("ab")).ToArray();
        var stream = new InMemoryTokenStream(ids);

        var encoder = new ContrastiveTask(tok, 1);
        var batches = encoder.EvaluationBatches(stream, 8, 6).ToList();
        Assert.That(batches, Has.Count.EqualTo(1));
        using var batch = batches[0];
        var x = batch.Inputs.data<long>().ToArray();
        var real = batch.PaddingMask!.data<bool>().ToArray();
        int[] a = tok.Encode("abc").ToArray(), d = tok.Encode("def").ToArray(), g = tok.Encode("gh").ToArray(), ab = tok.Encode("ab").ToArray();
        long[] expected =
        [
            cls, a[0], a[1], a[2], sep, pad,
            cls, d[0], d[1], d[2], sep, pad,           // windows of 4 content positions: the separator takes one,
            cls, g[0], g[1], sep, pad, pad,            // so a document longer than the window is cut into pieces
            cls, ab[0], ab[1], sep, pad, pad,
        ];
        Assert.That(x, Is.EqualTo(expected));
        Assert.That(real.Count(r => r), Is.EqualTo(5 + 5 + 4 + 4));
        Assert.That(batch.TargetCount, Is.EqualTo(4), "the loss counts texts");

        var decoder = new ContrastiveTask(tok, 1, kind: ModelKind.Decoder);
        using var first = decoder.EvaluationBatches(stream, 8, 6).First();
        Assert.That(first.Inputs[0].data<long>().ToArray()[..4], Is.EqualTo(new long[] { a[0], a[1], a[2], pad }));
    }

    [Test]
    public void Sampling_state_round_trips_and_options_are_checked()
    {
        var data = TrainingFixtures.Dataset("contrastive");
        var task = new ContrastiveTask(data.Tokenizer, 4);
        using (task.NextBatch(data.Train, 4, 32)) { }
        var state = task.SaveState();
        using var expected = task.NextBatch(data.Train, 4, 32);
        var other = new ContrastiveTask(data.Tokenizer, 99);
        other.LoadState(state);
        using var again = other.NextBatch(data.Train, 4, 32);
        Assert.That(TrainingFixtures.Same(expected.Inputs, again.Inputs), Is.True);
        Assert.That(() => other.LoadState(new NextTokenTask(1).SaveState()), Throws.InstanceOf<TextSslException>());
        Assert.That(() => new ContrastiveOptions(Temperature: 0).Validate(), Throws.InstanceOf<OptionException>().With.Property("Option").EqualTo("Temperature"));
        Assert.That(new ContrastiveOptions().Pooling, Is.EqualTo(Pooling.Mean));
    }
}
