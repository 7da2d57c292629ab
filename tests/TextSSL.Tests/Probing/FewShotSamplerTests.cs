using TextSSL.Probing;

namespace TextSSL.Tests.Probing;

public class FewShotSamplerTests
{
    private static readonly int[] Labels = Enumerable.Range(0, 300).Select(i => i % 3 == 2 && i > 30 ? 0 : i % 3).ToArray();

    [TestCase(1)]
    [TestCase(4)]
    [TestCase(8)]
    public void Draws_exactly_k_per_class_deterministically(int k)
    {
        var a = FewShotSampler.Sample(Labels, 3, k, seed: 42);
        var b = FewShotSampler.Sample(Labels, 3, k, seed: 42);
        Assert.That(a.Indices, Is.EqualTo(b.Indices));
        Assert.That(a.Indices, Is.Unique);
        for (var c = 0; c < 3; c++) Assert.That(a.Indices.Count(i => Labels[i] == c), Is.EqualTo(k));
        Assert.That(a.Shortfall, Is.Empty);
    }

    [Test]
    public void Different_seeds_draw_different_samples()
    {
        var a = FewShotSampler.Sample(Labels, 3, 8, seed: 1);
        var b = FewShotSampler.Sample(Labels, 3, 8, seed: 2);
        Assert.That(a.Indices, Is.Not.EqualTo(b.Indices));
    }

    [Test]
    public void A_class_with_fewer_than_k_examples_gives_all_it_has_and_is_reported()
    {
        // class 2 has 10 examples (indices 2, 5, ..., 29)
        var available = Labels.Count(l => l == 2);
        var s = FewShotSampler.Sample(Labels, 3, 16, seed: 7);
        Assert.That(s.Indices.Count(i => Labels[i] == 2), Is.EqualTo(available));
        Assert.That(s.Indices.Count(i => Labels[i] == 0), Is.EqualTo(16));
        Assert.That(s.Shortfall, Is.EquivalentTo(new Dictionary<int, int> { [2] = available }));
    }

    [Test]
    public void All_takes_every_example()
    {
        var s = FewShotSampler.Sample(Labels, 3, null, seed: 7);
        Assert.That(s.Indices, Is.EqualTo(Enumerable.Range(0, Labels.Length)));
    }

    [Test]
    public void Parses_k_lists()
    {
        Assert.That(FewShotSampler.ParseList("32, all,8,128"), Is.EqualTo(new int?[] { 8, 32, 128, null }));
        Assert.That(Assert.Throws<OptionException>(() => FewShotSampler.ParseList("8,zero"))!.Option, Is.EqualTo(nameof(ProbeOptions.SamplesPerLabel)));
        Assert.Throws<OptionException>(() => FewShotSampler.ParseList("0"));
    }
}
