using System.Text.Json.Nodes;
using TextSSL.Runtime;
using TextSSL.Tokenization;
using TextSSL.Training;

namespace TextSSL.Tests.Training;

/// <summary>A resumed run refuses other data of the same size and alphabet (its checkpoint records a content hash of the data).</summary>
[TestFixture]
public class ResumeDataFingerprintTests
{
    private string _dir = "";

    [OneTimeSetUp]
    public void LoadTorch() => TorchRuntime.EnsureLoaded();

    [SetUp]
    public void MakeDirectory() => _dir = TrainingFixtures.TempDirectory();

    [TearDown]
    public void Clean()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    /// <summary>The fixture's documents, and the same documents with the last one's characters reversed: same size, same alphabet, other text.</summary>
    private static (TrainingData Original, TrainingData Edited) TwoDatasets()
    {
        var docs = Enumerable.Range(0, 6).Select(i => TrainingFixtures.Text(120, 100 + i)).ToList();
        var edited = docs.Take(5).Append(new string(docs[5].Reverse().ToArray())).ToList();
        var tokenizer = CharTokenizer.Train(string.Concat(docs), []);
        return (TrainingData.FromDocuments(docs, tokenizer, 0.1, "original"), TrainingData.FromDocuments(edited, tokenizer, 0.1, "edited"));
    }

    private static List<string> Train(PretrainingOptions options)
    {
        var messages = new List<string>();
        using var run = new PretrainingRun(options);
        run.Run(default, new Recorder(messages));
        return messages;
    }

    [Test]
    public void Resuming_on_other_data_of_the_same_size_is_refused_with_what_to_do()
    {
        var (original, edited) = TwoDatasets();
        Assert.That(edited.Train.Count, Is.EqualTo(original.Train.Count));
        Assert.That(edited.Fingerprint, Is.Not.EqualTo(original.Fingerprint));
        var options = TrainingFixtures.Options("clm", original, _dir, 4) with { StopAfter = 2 };
        Train(options);

        var ex = Assert.Throws<OptionException>(() => Train(options with { Dataset = edited, Resume = true }));
        Assert.That(ex!.Message, Does.Contain("same size").And.Contain("other content").And.Contain(original.Fingerprint!).And.Contain(edited.Fingerprint!)
                                    .And.Contain("InitFrom"));
        Assert.That(ex.Options, Does.Contain(nameof(PretrainingOptions.Data)));

        var resumed = Train(options with { Resume = true, StopAfter = null });   // the same data still resumes
        Assert.That(resumed[0], Does.Contain("resuming at step 2").And.Not.Contain("fingerprint"));
    }

    [Test]
    public void A_checkpoint_without_a_fingerprint_resumes_with_a_note()
    {
        var (original, _) = TwoDatasets();
        var options = TrainingFixtures.Options("clm", original, _dir, 4) with { StopAfter = 2 };
        Train(options);
        var stateFile = Path.Combine(_dir, "last", "trainer.json");
        var state = JsonNode.Parse(File.ReadAllText(stateFile))!.AsObject();
        Assert.That(state["data_fingerprint"]?.GetValue<string>(), Is.EqualTo(original.Fingerprint));
        state.Remove("data_fingerprint");   // as the previous version wrote it
        File.WriteAllText(stateFile, state.ToJsonString());

        var messages = Train(options with { Resume = true, StopAfter = null });
        Assert.That(messages[0], Does.Contain("records no data fingerprint"));
        var after = JsonNode.Parse(File.ReadAllText(stateFile))!["data_fingerprint"]?.GetValue<string>();
        Assert.That(after, Is.EqualTo(original.Fingerprint), "checkpoints written after the resume record the data");
    }

    [Test]
    public void Text_fingerprints_follow_the_content_not_the_name()
    {
        string[] a = ["one text", "another"];
        Assert.That(TrainingData.FingerprintOfDocuments(a), Is.EqualTo(TrainingData.FingerprintOfDocuments(["one text", "another"])).And.StartWith("sha256:"));
        Assert.That(TrainingData.FingerprintOfDocuments(a), Is.Not.EqualTo(TrainingData.FingerprintOfDocuments(["one tex", "tanother"])), "document boundaries count");
        Assert.That(TrainingData.FingerprintOfDocuments(a), Is.Not.EqualTo(TrainingData.FingerprintOfDocuments(["one txet", "another"])));
    }

    private sealed class Recorder(List<string> messages) : IProgress<TrainingUpdate>
    {
        public void Report(TrainingUpdate value) => messages.Add(value.Message);
    }
}
