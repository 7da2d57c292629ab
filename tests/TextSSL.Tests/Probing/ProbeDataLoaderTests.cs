using TextSSL.Probing;

namespace TextSSL.Tests.Probing;

public class ProbeDataLoaderTests
{
    private string _dir = "";

    [OneTimeSetUp]
    public void LoadTorch() => TextSSL.Runtime.TorchRuntime.EnsureLoaded();

    [SetUp]
    public void MakeDir() => _dir = ProbeFixtures.TempDir();

    [TearDown]
    public void RemoveDir() => Directory.Delete(_dir, true);

    [Test]
    public void Honours_the_split_column_and_keeps_ids_disjoint()
    {
        var path = ProbeFixtures.WriteCsv(Path.Combine(_dir, "d.csv"),
            [("a b", "x", "train"), ("c, d", "y", "train"), ("e", "x", "test"), ("f", "y", "test"), ("g", "x", "validation")], withSplit: true);
        var data = ProbeDataLoader.Load(path, new LabelledColumns(), new SplitOptions());
        Assert.That(data.Train.Select(e => e.Text), Is.EqualTo(new[] { "a b", "c, d" }));
        Assert.That(data.Test.Select(e => e.Text), Is.EqualTo(new[] { "e", "f" }));
        Assert.That(data.Train.Select(e => e.Id).Intersect(data.Test.Select(e => e.Id)), Is.Empty);
        Assert.That(data.Classes, Is.EqualTo(new[] { "x", "y" }));
        Assert.That(data.Notes, Has.Some.Contains("validation"));
    }

    [Test]
    public void Without_a_split_holds_out_a_stratified_fraction()
    {
        var rows = ProbeFixtures.TwoTopics(20, seed: 1);
        var path = ProbeFixtures.WriteCsv(Path.Combine(_dir, "d.csv"), rows.Select(r => (r.Text, r.Label, (string?)null)), withSplit: false);
        var data = ProbeDataLoader.Load(path, new LabelledColumns(), new SplitOptions(TestFraction: 0.25, Seed: 3));
        Assert.That(data.TestCounts(), Is.EqualTo(new[] { 5, 5 }));
        Assert.That(data.TrainCounts(), Is.EqualTo(new[] { 15, 15 }));
        Assert.That(data.Train.Select(e => e.Id).Intersect(data.Test.Select(e => e.Id)), Is.Empty);
    }

    [Test]
    public void Top_classes_keeps_the_most_frequent_labels_in_both_splits()
    {
        var path = ProbeFixtures.WriteCsv(Path.Combine(_dir, "d.csv"),
            [("a", "x", "train"), ("b", "x", "train"), ("c", "y", "train"), ("d", "y", "train"), ("e", "z", "train"), ("f", "x", "test"), ("g", "z", "test"), ("h", "y", "test")], withSplit: true);
        var data = ProbeDataLoader.Load(path, new LabelledColumns(), new SplitOptions(TopClasses: 2));
        Assert.That(data.Classes, Is.EqualTo(new[] { "x", "y" }));
        Assert.That(data.Test.Select(e => e.Text), Is.EqualTo(new[] { "f", "h" }));
        Assert.That(data.Notes, Has.Some.Contains("2 most frequent of 3"));
    }

    [Test]
    public void A_missing_column_names_the_columns_that_exist()
    {
        var path = ProbeFixtures.WriteCsv(Path.Combine(_dir, "d.csv"), [("a", "x", null), ("b", "y", null)], withSplit: false);
        var ex = Assert.Throws<OptionException>(() => ProbeDataLoader.Load(path, new LabelledColumns(Label: "category"), new SplitOptions()));
        Assert.That(ex!.Message, Does.Contain("'category'").And.Contain("'label'").And.Contain("LabelledColumns.Label"));
        // The command line shows its own flag for the option.
        TextSSL.Cli.Commands.ProbeCommand.Create();
        Assert.That(ex.MessageWith(TextSSL.Cli.OptionFlags.For), Does.Contain("'category'").And.Contain("'label'").And.Contain("--label-column"));
    }

    [Test]
    public void A_single_class_is_an_error()
    {
        var path = ProbeFixtures.WriteCsv(Path.Combine(_dir, "d.csv"), [("a", "x", "train"), ("b", "x", "train"), ("c", "x", "test")], withSplit: true);
        var ex = Assert.Throws<OptionException>(() => ProbeDataLoader.Load(path, new LabelledColumns(), new SplitOptions()));
        Assert.That(ex!.Message, Does.Contain("single class"));
    }

    [Test]
    public void Test_labels_never_seen_in_training_are_dropped_and_reported()
    {
        var path = ProbeFixtures.WriteCsv(Path.Combine(_dir, "d.csv"),
            [("a", "x", "train"), ("b", "y", "train"), ("c", "x", "test"), ("d", "z", "test")], withSplit: true);
        var data = ProbeDataLoader.Load(path, new LabelledColumns(), new SplitOptions());
        Assert.That(data.Test.Select(e => e.Text), Is.EqualTo(new[] { "c" }));
        Assert.That(data.Notes, Has.Some.Contains("'z'"));
    }

    [Test]
    public void Empty_texts_and_labels_are_skipped_and_reported()
    {
        File.WriteAllText(Path.Combine(_dir, "d.csv"), "text,label,split\n\"\",x,train\n   ,y,train\na,x,train\nb,,train\nc,y,train\nd,x,test\n");
        var data = ProbeDataLoader.Load(Path.Combine(_dir, "d.csv"), new LabelledColumns(), new SplitOptions());
        Assert.That(data.Train.Select(e => e.Text), Is.EqualTo(new[] { "a", "c" }));
        Assert.That(data.Notes, Has.Some.Contains("2 row(s) of d.csv with empty text"));
        Assert.That(data.Notes, Has.Some.Contains("1 row(s) of d.csv with an empty label"));
    }

    [Test]
    public void Reads_tsv_and_json_lines_and_a_separate_test_file()
    {
        File.WriteAllText(Path.Combine(_dir, "train.tsv"), "label\ttext\nx\tsay \"hi\"\ny\tbye\n");
        File.WriteAllText(Path.Combine(_dir, "test.jsonl"), "{\"text\": \"hello\", \"label\": \"x\"}\n\n{\"text\": \"ciao\", \"label\": \"y\", \"extra\": 1}\n");
        var data = ProbeDataLoader.Load(Path.Combine(_dir, "train.tsv"), new LabelledColumns(), new SplitOptions(TestDataPath: Path.Combine(_dir, "test.jsonl")));
        Assert.That(data.Train.Select(e => e.Text), Is.EqualTo(new[] { "say \"hi\"", "bye" }));
        Assert.That(data.Test.Select(e => e.Text), Is.EqualTo(new[] { "hello", "ciao" }));
        Assert.That(data.Train.Select(e => e.Id).Intersect(data.Test.Select(e => e.Id)), Is.Empty);
    }

    [Test]
    public void Unknown_formats_and_split_values_are_clear_errors()
    {
        File.WriteAllText(Path.Combine(_dir, "d.xml"), "<x/>");
        Assert.That(Assert.Throws<TextSslException>(() => ProbeDataLoader.Load(Path.Combine(_dir, "d.xml"), new LabelledColumns(), new SplitOptions()))!.Message, Does.Contain(".jsonl"));
        var path = ProbeFixtures.WriteCsv(Path.Combine(_dir, "d.csv"), [("a", "x", "train"), ("b", "y", "holdout")], withSplit: true);
        Assert.That(Assert.Throws<TextSslException>(() => ProbeDataLoader.Load(path, new LabelledColumns(), new SplitOptions()))!.Message, Does.Contain("'holdout'"));
    }

    [Test]
    public void Tfidf_vocabulary_comes_only_from_the_texts_it_was_fitted_on()
    {
        var vectorizer = TfidfVectorizer.Fit(["whale sea", "garden rose"], new TfidfOptions(MaxFeatures: 1000));
        var rows = vectorizer.Transform(["whale", "zebra"]);
        float Norm(int row) => MathF.Sqrt(rows.RowValues(row).ToArray().Sum(v => v * v));
        Assert.That(Norm(0), Is.EqualTo(1f).Within(1e-5));
        Assert.That(Norm(1), Is.Zero, "a word only in unseen text must have no column");
    }
}
