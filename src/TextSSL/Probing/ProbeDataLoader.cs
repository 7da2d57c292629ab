using System.Globalization;

namespace TextSSL.Probing;

/// <summary>Where a probe's test set comes from.</summary>
/// <param name="TestDataPath">A separate test file; when set, every row of the main file is training data and its split column is ignored.</param>
/// <param name="TestFraction">Without a test file or a split column: the fraction of each class held out for testing.</param>
/// <param name="Seed">Seed of the held-out draw.</param>
/// <param name="TopClasses">When set, keep only this many most frequent training labels (ties by name) and drop the rest from both splits.</param>
public sealed record SplitOptions(string? TestDataPath = null, double TestFraction = 0.2, int Seed = 1337, int? TopClasses = null);

/// <summary>Builds a <see cref="ProbeDataset"/> from labelled files, checking what a probe needs.</summary>
public static class ProbeDataLoader
{
    private static readonly HashSet<string> TrainNames = new(StringComparer.Ordinal) { "train", "training" };
    private static readonly HashSet<string> TestNames = new(StringComparer.Ordinal) { "test", "testing" };
    private static readonly HashSet<string> IgnoredNames = new(StringComparer.Ordinal) { "valid", "validation", "dev", "val", "unlabelled", "unlabeled" };

    /// <summary>Reads <paramref name="dataPath"/> (and the test file, if any) and splits it.</summary>
    /// <remarks>
    /// The test set is, in order of precedence: <see cref="SplitOptions.TestDataPath"/>; the rows whose split
    /// column says <c>test</c>; a stratified random <see cref="SplitOptions.TestFraction"/> of each class.
    /// Rows with empty text or label are skipped, test rows whose label never occurs in training are dropped
    /// (no method could predict them), and each is recorded in <see cref="ProbeDataset.Notes"/>.
    /// </remarks>
    /// <exception cref="TextSslException">Missing columns, fewer than two classes, an empty split, or an unknown split value.</exception>
    public static ProbeDataset Load(string dataPath, LabelledColumns columns, SplitOptions split)
    {
        var notes = new List<string>();
        var data = LabelledFileReader.Read(dataPath, columns);
        NoteSkipped(data, notes);
        List<LabelledExample> train;
        List<LabelledExample> test;
        if (split.TestDataPath is { } testPath)
        {
            var testFile = LabelledFileReader.Read(testPath, columns, firstId: data.Rows.Count == 0 ? 0 : data.Rows[^1].Example.Id + 1);
            NoteSkipped(testFile, notes);
            train = data.Rows.Select(r => r.Example).ToList();
            test = testFile.Rows.Select(r => r.Example).ToList();
            if (data.HasSplitColumn) notes.Add($"a separate test file was given: the '{columns.Split}' column of {Path.GetFileName(dataPath)} was ignored; all its rows are training data.");
        }
        else if (data.HasSplitColumn)
        {
            train = [];
            test = [];
            var ignored = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (var row in data.Rows)
            {
                var s = row.Split!;
                if (TrainNames.Contains(s)) train.Add(row.Example);
                else if (TestNames.Contains(s)) test.Add(row.Example);
                else if (IgnoredNames.Contains(s)) ignored[s] = ignored.GetValueOrDefault(s) + 1;
                else throw new TextSslException($"'{dataPath}', row id {row.Example.Id}: unknown value '{s}' in the '{columns.Split}' column. Use train or test (validation/dev rows are ignored).");
            }
            foreach (var (name, count) in ignored) notes.Add($"{count} row(s) with split '{name}' were not used (the probe draws its own validation folds from training).");
            notes.Add($"train/test split taken from the '{columns.Split}' column.");
        }
        else
        {
            if (!double.IsFinite(split.TestFraction) || split.TestFraction is <= 0 or >= 1)
                throw new OptionException(nameof(SplitOptions.TestFraction), $"TestFraction must be between 0 and 1, both excluded (got {split.TestFraction.ToString(CultureInfo.InvariantCulture)}).");
            (train, test) = StratifiedSplit(data.Rows.Select(r => r.Example).ToList(), split.TestFraction, split.Seed);
            notes.Add($"no test file and no '{columns.Split}' column: held out {split.TestFraction.ToString("P0", CultureInfo.InvariantCulture)} of each class for testing (seed {split.Seed}).");
        }
        if (split.TopClasses is { } top)
        {
            OptionException.CheckRange(nameof(SplitOptions.TopClasses), top, 2, int.MaxValue);
            var kept = train.GroupBy(e => e.Label, StringComparer.Ordinal).OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal)
                .Take(top).Select(g => g.Key).ToHashSet(StringComparer.Ordinal);
            var total = train.Select(e => e.Label).Distinct(StringComparer.Ordinal).Count();
            if (total > top)
            {
                var before = train.Count + test.Count;
                train = train.Where(e => kept.Contains(e.Label)).ToList();
                test = test.Where(e => kept.Contains(e.Label)).ToList();
                notes.Add($"kept the {top} most frequent of {total} training labels; {before - train.Count - test.Count} row(s) of other labels were left out.");
            }
        }
        return Build(train, test, notes, dataPath);
    }

    /// <summary>Checks and assembles a dataset from already split examples.</summary>
    /// <exception cref="TextSslException">Fewer than two classes in training, or an empty split.</exception>
    public static ProbeDataset Build(IReadOnlyList<LabelledExample> train, IReadOnlyList<LabelledExample> test, List<string> notes, string source)
    {
        if (train.Count == 0) throw new TextSslException($"'{source}' has no training rows. Check the split column values (train/test) or the file's contents.");
        if (test.Count == 0) throw new OptionException([nameof(SplitOptions.TestDataPath), nameof(SplitOptions.TestFraction)], $"'{source}' has no test rows. Give a TestDataPath, a split column with 'test' rows, or a TestFraction.");
        var duplicateIds = train.Select(e => e.Id).Intersect(test.Select(e => e.Id)).Count();
        if (duplicateIds > 0) throw new InvalidOperationException($"{duplicateIds} example ids are in both training and test.");
        var classes = train.Select(e => e.Label).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        if (classes.Count < 2)
            throw new OptionException(LabelledFileReader.LabelColumnOption, $"'{source}': the training split has {(classes.Count == 0 ? "no labels" : $"a single class ('{classes[0]}')")}; a classifier needs at least two. Check {LabelledFileReader.LabelColumnOption}.");
        var known = classes.ToHashSet(StringComparer.Ordinal);
        var unseen = test.Where(e => !known.Contains(e.Label)).ToList();
        if (unseen.Count > 0)
        {
            var names = unseen.Select(e => e.Label).Distinct(StringComparer.Ordinal).Take(10);
            notes.Add($"dropped {unseen.Count} test row(s) whose label never occurs in training: {string.Join(", ", names.Select(n => $"'{n}'"))}.");
            test = test.Where(e => known.Contains(e.Label)).ToList();
            if (test.Count == 0) throw new TextSslException($"'{source}': no test row has a label seen in training.");
        }
        var trainTexts = train.Select(e => e.Text).ToHashSet(StringComparer.Ordinal);
        var leaked = test.Count(e => trainTexts.Contains(e.Text));
        if (leaked > 0) notes.Add($"warning: {leaked} test text(s) also occur verbatim in training; scores may be optimistic.");
        return new ProbeDataset(train, test, classes, notes, Path.GetFileName(source));
    }

    /// <summary>Holds out <paramref name="fraction"/> of each class (rounded, at least one when the class has two or more examples).</summary>
    public static (List<LabelledExample> Train, List<LabelledExample> Test) StratifiedSplit(IReadOnlyList<LabelledExample> rows, double fraction, int seed)
    {
        var rng = new Random(seed);
        var train = new List<LabelledExample>();
        var test = new List<LabelledExample>();
        foreach (var group in rows.GroupBy(r => r.Label, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var items = group.ToArray();
            rng.Shuffle(items);
            var n = items.Length < 2 ? 0 : Math.Clamp((int)Math.Round(items.Length * fraction), 1, items.Length - 1);
            test.AddRange(items[..n]);
            train.AddRange(items[n..]);
        }
        train.Sort((a, b) => a.Id.CompareTo(b.Id));
        test.Sort((a, b) => a.Id.CompareTo(b.Id));
        return (train, test);
    }

    private static void NoteSkipped(LabelledFile file, List<string> notes)
    {
        var name = Path.GetFileName(file.Path);
        if (file.EmptyText > 0) notes.Add($"skipped {file.EmptyText} row(s) of {name} with empty text.");
        if (file.EmptyLabel > 0) notes.Add($"skipped {file.EmptyLabel} row(s) of {name} with an empty label.");
    }
}
