using TextSSL.Pretext;

namespace TextSSL.Tests.Pretext;

public class SeededRandomTests
{
    [Test]
    public void Same_seed_gives_same_sequence_and_a_restored_state_continues_it()
    {
        var a = new SeededRandom(42);
        var b = new SeededRandom(42);
        for (var i = 0; i < 10; i++) Assert.That(a.NextUInt64(), Is.EqualTo(b.NextUInt64()));
        var state = a.State;
        var expected = Enumerable.Range(0, 5).Select(_ => a.NextInt64(1000)).ToArray();
        var c = new SeededRandom(0) { State = state };
        Assert.That(Enumerable.Range(0, 5).Select(_ => c.NextInt64(1000)).ToArray(), Is.EqualTo(expected));
        Assert.That(new SeededRandom(43).NextUInt64(), Is.Not.EqualTo(new SeededRandom(42).NextUInt64()));
    }

    [Test]
    public void Bounded_draws_are_in_range_and_roughly_uniform()
    {
        var r = new SeededRandom(1);
        var counts = new int[10];
        for (var i = 0; i < 100_000; i++) counts[r.NextInt(10)]++;
        Assert.That(counts, Has.All.InRange(9_500, 10_500));
        for (var i = 0; i < 1000; i++) Assert.That(r.NextDouble(), Is.GreaterThanOrEqualTo(0.0).And.LessThan(1.0));
    }

    [Test]
    public void An_all_zero_state_is_rejected() =>
        Assert.That(() => new SeededRandom(1).State = [0, 0, 0, 0], Throws.InstanceOf<TextSslException>());
}
