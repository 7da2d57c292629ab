namespace TextSSL.Probing;

/// <summary>
/// A probe's fixed training and test sets with their class list. Labels are class indices into
/// <see cref="Classes"/>; every test label occurs in training.
/// </summary>
public sealed class ProbeDataset
{
    /// <summary>Creates the dataset; <paramref name="classes"/> are the training labels in ordinal order.</summary>
    public ProbeDataset(IReadOnlyList<LabelledExample> train, IReadOnlyList<LabelledExample> test, IReadOnlyList<string> classes, IReadOnlyList<string> notes, string source = "labelled data")
    {
        Source = source;
        Train = train;
        Test = test;
        Classes = classes;
        Notes = notes;
        var index = classes.Select((c, i) => (c, i)).ToDictionary(p => p.c, p => p.i, StringComparer.Ordinal);
        TrainLabels = train.Select(e => index[e.Label]).ToArray();
        TestLabels = test.Select(e => index[e.Label]).ToArray();
    }

    /// <summary>Where the data came from (a file name), for titles.</summary>
    public string Source { get; }

    /// <summary>The training split: few-shot samples are drawn from it.</summary>
    public IReadOnlyList<LabelledExample> Train { get; }

    /// <summary>The test split: every run is scored on all of it.</summary>
    public IReadOnlyList<LabelledExample> Test { get; }

    /// <summary>Class names; a label's index is its position here.</summary>
    public IReadOnlyList<string> Classes { get; }

    /// <summary>Class index of each training example.</summary>
    public int[] TrainLabels { get; }

    /// <summary>Class index of each test example.</summary>
    public int[] TestLabels { get; }

    /// <summary>What was done to the input on the way (skipped rows, dropped labels, leaks found), for the report.</summary>
    public IReadOnlyList<string> Notes { get; }

    /// <summary>Number of training examples of each class.</summary>
    public int[] TrainCounts()
    {
        var counts = new int[Classes.Count];
        foreach (var y in TrainLabels) counts[y]++;
        return counts;
    }

    /// <summary>Number of test examples of each class.</summary>
    public int[] TestCounts()
    {
        var counts = new int[Classes.Count];
        foreach (var y in TestLabels) counts[y]++;
        return counts;
    }
}
