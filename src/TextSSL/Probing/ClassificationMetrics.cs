namespace TextSSL.Probing;

/// <summary>Precision, recall and F1 of one class.</summary>
/// <param name="Label">The class.</param>
/// <param name="Precision">Correct predictions of the class over all its predictions (0 when never predicted).</param>
/// <param name="Recall">Correct predictions of the class over its test examples.</param>
/// <param name="F1">Harmonic mean of precision and recall (0 when both are 0).</param>
/// <param name="Support">Test examples of the class.</param>
public sealed record ClassMetrics(string Label, double Precision, double Recall, double F1, int Support);

/// <summary>Scores of a classifier on a test set, computed from its confusion matrix.</summary>
public sealed class ClassificationMetrics
{
    private ClassificationMetrics(int[,] confusion, IReadOnlyList<string> labels)
    {
        Confusion = confusion;
        Labels = labels;
        var k = labels.Count;
        long total = 0, correct = 0;
        var perClass = new List<ClassMetrics>(k);
        for (var c = 0; c < k; c++)
        {
            long tp = confusion[c, c], predicted = 0, actual = 0;
            for (var j = 0; j < k; j++)
            {
                predicted += confusion[j, c];
                actual += confusion[c, j];
                total += confusion[c, j];
            }
            correct += tp;
            var precision = predicted == 0 ? 0 : (double)tp / predicted;
            var recall = actual == 0 ? 0 : (double)tp / actual;
            var f1 = precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall);
            perClass.Add(new ClassMetrics(labels[c], precision, recall, f1, (int)actual));
        }
        PerClass = perClass;
        Total = total;
        Accuracy = total == 0 ? 0 : (double)correct / total;
        var supported = perClass.Where(m => m.Support > 0).ToList();
        MacroF1 = supported.Count == 0 ? 0 : supported.Average(m => m.F1);
    }

    /// <summary>Counts: rows are true classes, columns predicted classes.</summary>
    public int[,] Confusion { get; }

    /// <summary>Class names, indexing <see cref="Confusion"/>.</summary>
    public IReadOnlyList<string> Labels { get; }

    /// <summary>Test examples scored.</summary>
    public long Total { get; }

    /// <summary>Fraction of test examples classified correctly.</summary>
    public double Accuracy { get; }

    /// <summary>Unweighted mean F1 over the classes that occur in the test set.</summary>
    public double MacroF1 { get; }

    /// <summary>Per-class precision, recall, F1 and support.</summary>
    public IReadOnlyList<ClassMetrics> PerClass { get; }

    /// <summary>Metrics of a confusion matrix (rows true, columns predicted).</summary>
    /// <exception cref="ArgumentException">The matrix is not square, does not match the labels, or has negative counts.</exception>
    public static ClassificationMetrics FromConfusion(int[,] confusion, IReadOnlyList<string> labels)
    {
        if (confusion.GetLength(0) != confusion.GetLength(1) || confusion.GetLength(0) != labels.Count)
            throw new ArgumentException($"a {labels.Count}-class confusion matrix must be {labels.Count}x{labels.Count}.", nameof(confusion));
        foreach (var v in confusion) if (v < 0) throw new ArgumentException("confusion counts cannot be negative.", nameof(confusion));
        return new ClassificationMetrics((int[,])confusion.Clone(), labels);
    }

    /// <summary>Metrics of predictions against the truth (class indices into <paramref name="labels"/>).</summary>
    public static ClassificationMetrics FromPredictions(IReadOnlyList<int> truth, IReadOnlyList<int> predicted, IReadOnlyList<string> labels)
    {
        if (truth.Count != predicted.Count) throw new ArgumentException($"{truth.Count} true labels but {predicted.Count} predictions.", nameof(predicted));
        var confusion = new int[labels.Count, labels.Count];
        for (var i = 0; i < truth.Count; i++) confusion[truth[i], predicted[i]]++;
        return new ClassificationMetrics(confusion, labels);
    }

    /// <summary>The element-wise sum of several confusion matrices over the same labels (pooled over repeated runs).</summary>
    public static ClassificationMetrics Sum(IReadOnlyList<ClassificationMetrics> runs)
    {
        if (runs.Count == 0) throw new ArgumentException("nothing to sum.", nameof(runs));
        var k = runs[0].Labels.Count;
        var sum = new int[k, k];
        foreach (var r in runs)
            for (var i = 0; i < k; i++)
                for (var j = 0; j < k; j++) sum[i, j] += r.Confusion[i, j];
        return new ClassificationMetrics(sum, runs[0].Labels);
    }
}
