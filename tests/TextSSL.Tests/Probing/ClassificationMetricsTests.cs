using TextSSL.Probing;

namespace TextSSL.Tests.Probing;

public class ClassificationMetricsTests
{
    [Test]
    public void Scores_a_hand_made_three_class_confusion_matrix()
    {
        // rows = true class, columns = predicted
        int[,] confusion = { { 5, 1, 0 }, { 2, 3, 1 }, { 0, 0, 4 } };
        var m = ClassificationMetrics.FromConfusion(confusion, ["a", "b", "c"]);
        Assert.That(m.Total, Is.EqualTo(16));
        Assert.That(m.Accuracy, Is.EqualTo(12.0 / 16).Within(1e-12));
        // a: precision 5/7, recall 5/6; b: 3/4, 3/6; c: 4/5, 4/4
        Assert.That(m.PerClass[0].Precision, Is.EqualTo(5.0 / 7).Within(1e-12));
        Assert.That(m.PerClass[0].Recall, Is.EqualTo(5.0 / 6).Within(1e-12));
        Assert.That(m.PerClass[1].Precision, Is.EqualTo(0.75).Within(1e-12));
        Assert.That(m.PerClass[1].Recall, Is.EqualTo(0.5).Within(1e-12));
        Assert.That(m.PerClass[2].Precision, Is.EqualTo(0.8).Within(1e-12));
        Assert.That(m.PerClass[2].Recall, Is.EqualTo(1.0).Within(1e-12));
        double F1(double p, double r) => 2 * p * r / (p + r);
        var macro = (F1(5.0 / 7, 5.0 / 6) + F1(0.75, 0.5) + F1(0.8, 1.0)) / 3;
        Assert.That(m.MacroF1, Is.EqualTo(macro).Within(1e-12));
        Assert.That(m.PerClass.Select(c => c.Support), Is.EqualTo(new[] { 6, 6, 4 }));
    }

    [Test]
    public void A_class_never_predicted_has_zero_precision_and_f1_and_absent_classes_do_not_count_in_macro_f1()
    {
        // b is never predicted; c has no test examples and is never predicted.
        int[,] confusion = { { 4, 0, 0 }, { 2, 0, 0 }, { 0, 0, 0 } };
        var m = ClassificationMetrics.FromConfusion(confusion, ["a", "b", "c"]);
        Assert.That(m.PerClass[1].Precision, Is.Zero);
        Assert.That(m.PerClass[1].F1, Is.Zero);
        Assert.That(m.PerClass[2].Support, Is.Zero);
        var f1A = 2 * (4.0 / 6) * 1.0 / (4.0 / 6 + 1.0);
        Assert.That(m.MacroF1, Is.EqualTo((f1A + 0) / 2).Within(1e-12));
    }

    [Test]
    public void Predictions_and_summed_runs_give_the_same_counts_as_the_matrix()
    {
        var labels = new[] { "x", "y" };
        var run1 = ClassificationMetrics.FromPredictions([0, 0, 1, 1], [0, 1, 1, 1], labels);
        var run2 = ClassificationMetrics.FromPredictions([0, 1], [0, 0], labels);
        Assert.That(run1.Confusion, Is.EqualTo(new[,] { { 1, 1 }, { 0, 2 } }));
        var sum = ClassificationMetrics.Sum([run1, run2]);
        Assert.That(sum.Confusion, Is.EqualTo(new[,] { { 2, 1 }, { 1, 2 } }));
        Assert.That(sum.Accuracy, Is.EqualTo(4.0 / 6).Within(1e-12));
    }

    [Test]
    public void Rejects_a_matrix_that_does_not_match_the_labels()
    {
        Assert.Throws<ArgumentException>(() => ClassificationMetrics.FromConfusion(new int[2, 3], ["a", "b"]));
        Assert.Throws<ArgumentException>(() => ClassificationMetrics.FromConfusion(new[,] { { 1, -1 }, { 0, 0 } }, ["a", "b"]));
    }
}
