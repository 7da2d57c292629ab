using TextSSL.Probing;
using TextSSL.Reports;

namespace TextSSL.Tests.Probing;

/// <summary>The reading's label-efficiency sentence, on made-up curves: it compares the labels the probe needs with the labels the best baseline used.</summary>
public class LabelEfficiencyReadingTests
{
    private static ProbeResult Result(params (ProbeMethod Method, int? K, double Accuracy)[] points)
    {
        var train = Enumerable.Range(0, 400).Select(i => new LabelledExample(i, "t", i % 2 == 0 ? "a" : "b")).ToList();
        var test = Enumerable.Range(0, 100).Select(i => new LabelledExample(1000 + i, "t", i % 2 == 0 ? "a" : "b")).ToList();
        var dataset = new ProbeDataset(train, test, ["a", "b"], []);
        var ks = points.Select(p => p.K).Distinct().ToList();
        var summaries = points.Select(p => new ProbeSummary(p.Method, p.K, 3, p.K is { } k ? 2 * k : train.Count, p.Accuracy, 0.001, p.Accuracy, 0.001)).ToList();
        return new ProbeResult("model", "data", dataset, new ProbeOptions { SamplesPerLabel = ks }, "cpu", [], summaries,
            new Dictionary<int, IReadOnlyDictionary<string, int>>(), [], 1);
    }

    [Test]
    public void Reaching_the_baselines_best_at_the_baselines_own_k_says_so_and_gives_the_smaller_k()
    {
        var reading = LabelEfficiencyReading.Paragraph(Result(
            (ProbeMethod.Pretrained, 8, 0.255), (ProbeMethod.Pretrained, 32, 0.328),
            (ProbeMethod.Supervised, 8, 0.222), (ProbeMethod.Supervised, 32, 0.268)));
        Assert.That(reading, Does.Not.Contain("already at 32 labels per class"));
        Assert.That(reading, Does.Not.Contain("64 labelled texts against 64"), "a comparison of K with itself");
        Assert.That(reading, Does.Contain("The probe reaches supervised from scratch's best (26.8%, with 32 labels per class) at 32 labels per class (32.8%), " +
                                          "with as many labels and not with fewer: at 8 labels per class it scores 25.5%."));
    }

    [Test]
    public void Reaching_it_with_fewer_labels_says_how_many_times_fewer()
    {
        var reading = LabelEfficiencyReading.Paragraph(Result(
            (ProbeMethod.Pretrained, 8, 0.80), (ProbeMethod.Pretrained, 32, 0.86),
            (ProbeMethod.Tfidf, 8, 0.60), (ProbeMethod.Tfidf, 32, 0.805)));
        Assert.That(reading, Does.Contain("The probe comes within one point of TF-IDF + probe's best (80.5%, with 32 labels per class) at 8 labels per class (80.0%): " +
                                          "16 labelled texts instead of 64, 4× fewer."));
    }

    [Test]
    public void Needing_more_labels_than_the_baseline_says_so()
    {
        var reading = LabelEfficiencyReading.Paragraph(Result(
            (ProbeMethod.Pretrained, 8, 0.50), (ProbeMethod.Pretrained, 32, 0.70),
            (ProbeMethod.Tfidf, 8, 0.70), (ProbeMethod.Tfidf, 32, 0.65)));
        Assert.That(reading, Does.Contain("The probe reaches TF-IDF + probe's best (70.0%, with 8 labels per class) at 32 labels per class (70.0%), " +
                                          "so it needs more labels than TF-IDF + probe (64 labelled texts against 16)."));
    }
}
