using TextSSL.Corpora;
using TextSSL.Pretext;
using TextSSL.Runtime;

namespace TextSSL.Tests.Pretext;

public class NextTokenTaskTests
{
    [OneTimeSetUp]
    public void LoadTorch() => TorchRuntime.EnsureLoaded();

    private static InMemoryTokenStream Counting(int n) => new(Enumerable.Range(0, n).ToArray());

    private static long[] Values(TorchSharp.torch.Tensor t) => t.data<long>().ToArray();

    [Test]
    public void Targets_are_the_inputs_shifted_by_one()
    {
        var task = new NextTokenTask(3);
        using var batch = task.NextBatch(Counting(1000), 4, 16);
        Assert.That(batch.Inputs.shape, Is.EqualTo(new long[] { 4, 16 }));
        var x = Values(batch.Inputs);
        var y = Values(batch.Targets);
        for (var i = 0; i < x.Length; i++) Assert.That(y[i], Is.EqualTo(x[i] + 1));
        for (var row = 0; row < 4; row++)
            for (var j = 1; j < 16; j++) Assert.That(x[row * 16 + j], Is.EqualTo(x[row * 16 + j - 1] + 1), "a window is contiguous");
        Assert.That(batch.TargetCount, Is.EqualTo(64));
    }

    [TestCase(WindowOrder.Random)]
    [TestCase(WindowOrder.Sequential)]
    public void Batches_are_reproducible_from_the_seed_and_from_a_saved_state(WindowOrder order)
    {
        var stream = Counting(5000);
        var a = new NextTokenTask(9, order);
        var b = new NextTokenTask(9, order);
        for (var i = 0; i < 3; i++)
        {
            using var ba = a.NextBatch(stream, 3, 8);
            using var bb = b.NextBatch(stream, 3, 8);
            Assert.That(Values(ba.Inputs), Is.EqualTo(Values(bb.Inputs)));
        }
        var state = a.SaveState();
        var c = new NextTokenTask(12345, order);
        c.LoadState(state);
        using var next = a.NextBatch(stream, 3, 8);
        using var resumed = c.NextBatch(stream, 3, 8);
        Assert.That(Values(resumed.Inputs), Is.EqualTo(Values(next.Inputs)));
    }

    [Test]
    public void A_sequential_epoch_visits_every_window_once()
    {
        const int block = 10;
        var stream = Counting(10 * block + 1);      // exactly 10 windows
        var task = new NextTokenTask(5, WindowOrder.Sequential);
        var starts = new List<long>();
        for (var i = 0; i < 5; i++)
        {
            using var batch = task.NextBatch(stream, 2, block);
            var x = Values(batch.Inputs);
            starts.Add(x[0]);
            starts.Add(x[block]);
        }
        Assert.That(starts.Order(), Is.EqualTo(Enumerable.Range(0, 10).Select(i => (long)i * block)));
        Assert.That(starts, Is.Not.Ordered, "the order is shuffled per epoch");
    }

    [Test]
    public void Evaluation_windows_predict_every_token_but_the_first_exactly_once()
    {
        var task = new NextTokenTask(1);
        var targets = new List<long>();
        foreach (var batch in task.EvaluationBatches(Counting(1000), 4, 64))
            using (batch) targets.AddRange(Values(batch.Targets));
        Assert.That(targets, Is.EqualTo(Enumerable.Range(1, 999).Select(i => (long)i)));
    }

    [Test]
    public void A_stream_shorter_than_one_window_is_a_clear_error() =>
        Assert.That(() => new NextTokenTask(1).Validate(Counting(10), 32, "validation"),
            Throws.InstanceOf<TextSslException>().With.Message.Contains("validation split has 10 tokens"));
}
