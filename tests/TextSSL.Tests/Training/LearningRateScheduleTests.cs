using TextSSL.Training;

namespace TextSSL.Tests.Training;

public class LearningRateScheduleTests
{
    private static readonly LearningRateSchedule Schedule = new(1e-3, 1e-4, 100, 2000);

    [TestCase(0, 1e-3 / 101)]
    [TestCase(49, 1e-3 * 50 / 101)]
    [TestCase(99, 1e-3 * 100 / 101)]
    [TestCase(100, 1e-3)]
    [TestCase(1050, 5.5e-4)]            // half way through the cosine: min + (peak - min) / 2
    [TestCase(2000, 1e-4)]
    [TestCase(5000, 1e-4)]
    public void Warmup_then_cosine_then_minimum(long step, double expected) =>
        Assert.That(Schedule.At(step), Is.EqualTo(expected).Within(1e-12));

    [Test]
    public void The_cosine_part_only_decreases()
    {
        var values = Enumerable.Range(100, 1901).Select(s => Schedule.At(s)).ToList();
        Assert.That(values, Is.Ordered.Descending);
    }

    [Test]
    public void No_warmup_starts_at_the_peak() =>
        Assert.That(new LearningRateSchedule(1e-3, 0, 0, 10).At(0), Is.EqualTo(1e-3));
}
