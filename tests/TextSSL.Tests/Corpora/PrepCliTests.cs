using System.CommandLine;
using TextSSL.Corpora;
using TextSSL.Prep.Commands;
using TextSSL.Tokenization;

namespace TextSSL.Tests.Corpora;

public class PrepCliTests
{
    [Test]
    public async Task Build_with_a_char_tokenizer_writes_shards_and_the_tokenizer_then_labels_write_csv()
    {
        using var dir = new TempDir();
        dir.Write("in/a/one.txt", "first paragraph of the corpus\n\nsecond paragraph here\n");
        dir.Write("in/b/two.txt", "third paragraph, in another folder\n");
        var root = new RootCommand { BuildCommand.Create(), LabelsCommand.Create() };
        var rc = await root.Parse(["build", dir["in"], "--boundary", "paragraph", "--tokenizer", "char", "--out", dir["out"], "--validation", "0"]).InvokeAsync();
        Assert.That(rc, Is.EqualTo(0));
        using var set = TokenShardSet.Open(dir["out"]);
        var tok = TokenizerStore.Open(dir["out/tokenizer"]);
        Assert.That(tok.Fingerprint, Is.EqualTo(set.Manifest.TokenizerFingerprint));
        var train = set.Mapped("train");
        Assert.That(train.Documents().Select(d => tok.Decode(train.Read(d.Start, d.Length))),
            Is.EqualTo(new[] { "first paragraph of the corpus", "second paragraph here", "third paragraph, in another folder" }));

        rc = await root.Parse(["labels", dir["in"], "--boundary", "paragraph", "--label-from", "folder", "--test", "0.5", "--out", dir["l.csv"]]).InvokeAsync();
        Assert.That(rc, Is.EqualTo(0));
        var rows = new List<(string, string, string)>();
        await foreach (var r in LabelledCsv.ReadAsync(dir["l.csv"])) rows.Add(r);
        Assert.That(rows.Select(r => r.Item2), Is.EqualTo(new[] { "a", "a", "b" }));
        Assert.That(rows.Count(r => r.Item3 == "test"), Is.EqualTo(2), "half of each label, rounded: a → 1, b → 1");
    }
}
