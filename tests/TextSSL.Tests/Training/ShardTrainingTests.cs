using TextSSL.Corpora;
using TextSSL.Tokenization;
using TextSSL.Training;

namespace TextSSL.Tests.Training;

/// <summary>The trainer's data source is textssl-prep's shards: fingerprint checked, splits read through the mapped reader.</summary>
public class ShardTrainingTests
{
    private string _dir = "";

    [SetUp] public void SetUp() => _dir = TrainingFixtures.TempDirectory();
    [TearDown] public void TearDown() => Directory.Delete(_dir, recursive: true);

    private async Task<(string Shards, CharTokenizer Tokenizer)> BuildShards(double validation = 0.2)
    {
        var docs = Enumerable.Range(0, 40).Select(i => TrainingFixtures.Text(12, 500 + i)).ToList();
        var input = Path.Combine(_dir, "docs.txt");
        await File.WriteAllTextAsync(input, string.Join("\n\n", docs));
        var tokenizer = CharTokenizer.Train(string.Concat(docs) + "\n", SpecialTokens.StandardRoles);
        var shards = Path.Combine(_dir, "shards");
        await CorpusBuilder.BuildAsync(new BuildOptions([new SourceSpec(input) { Boundary = DocumentBoundary.Paragraph }], shards, tokenizer)
        { Split = new SplitOptions { Validation = validation }, Dedup = new DedupOptions { Near = false } });
        return (shards, tokenizer);
    }

    [Test]
    public async Task Trains_on_prepared_shards_with_their_tokenizer()
    {
        var (shards, tokenizer) = await BuildShards();
        var tokDir = Path.Combine(_dir, "tok");
        TokenizerStore.Save(tokenizer, tokDir);

        var data = TrainingData.Load(shards, tokDir, 0.1);
        using var set = TokenShardSet.Open(shards);
        Assert.That(data.Train.Count, Is.EqualTo(set.Manifest.Splits["train"].Tokens));
        Assert.That(data.Validation.Count, Is.EqualTo(set.Manifest.Splits["validation"].Tokens));

        using var run = new PretrainingRun(TrainingFixtures.Options("clm", data, Path.Combine(_dir, "run"), steps: 30) is var o ? o with { Evaluation = o.Evaluation with { EvalBatches = 2 } } : null!);
        var result = await run.RunAsync();
        Assert.That(result.Completed, Is.True);
        Assert.That(result.FinalEvaluation!.Loss, Is.LessThan(Math.Log(tokenizer.VocabSize)), "no better than uniform after 30 steps");
    }

    [Test]
    public async Task A_tokenizer_other_than_the_shards_one_is_refused()
    {
        var (shards, _) = await BuildShards();
        var other = CharTokenizer.Train("abc", SpecialTokens.StandardRoles);
        var otherDir = Path.Combine(_dir, "other");
        TokenizerStore.Save(other, otherDir);
        Assert.That(() => TrainingData.Load(shards, otherDir, 0.1),
            Throws.InstanceOf<TextSslException>().With.Message.Contains("were encoded with tokenizer").And.Message.Contains(shards));
    }

    [Test]
    public async Task Shards_without_a_validation_split_are_a_clear_error()
    {
        var (shards, tokenizer) = await BuildShards(validation: 0);
        var tokDir = Path.Combine(_dir, "tok");
        TokenizerStore.Save(tokenizer, tokDir);
        Assert.That(() => TrainingData.Load(shards, tokDir, 0.1),
            Throws.InstanceOf<TextSslException>().With.Message.Contains("'validation' split"));
    }
}
