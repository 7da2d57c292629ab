using System.Text;
using System.Text.Json;
using TextSSL.Corpora;
using TextSSL.Tokenization;
using static TextSSL.Tests.Corpora.CorpusTestUtil;

namespace TextSSL.Tests.Corpora;

public class ShardBuildTests
{
    /// <summary>A JSONL corpus with exact duplicates, a near-duplicate, an empty text and one too short.</summary>
    private static (string Path, List<string> Docs) WriteCorpus(TempDir dir, int count = 300)
    {
        var docs = Documents(count, 40, seed: 11);
        docs.Insert(10, docs[3]);                           // exact duplicate
        docs.Insert(20, docs[4].Replace("\u0020", "  "));   // duplicate after whitespace cleaning
        docs.Insert(30, "   ");                             // empty after cleaning
        docs.Insert(40, "tiny");                            // too short with MinChars = 10
        var lines = docs.Select(d => JsonSerializer.Serialize(new { text = d }));
        return (dir.Write("corpus.jsonl", string.Join('\n', lines) + "\n"), docs);
    }

    private static BuildOptions Options(string input, string output, TextTokenizer tok) => new([new SourceSpec(input)], output, tok)
    {
        Cleaning = new CleaningOptions { MinChars = 10 },
        Split = new SplitOptions { Validation = 0.1, Test = 0.1 },
        ShardTokens = 5000,
        BatchChars = 4000,
        CheckpointInterval = TimeSpan.Zero,
        Threads = 2,
    };

    [Test]
    public async Task Decoding_the_shards_gives_back_the_kept_cleaned_documents()
    {
        using var dir = new TempDir();
        var (input, docs) = WriteCorpus(dir);
        var tok = CharTokenizerFor(docs);
        var result = await CorpusBuilder.BuildAsync(Options(input, dir["out"], tok));

        var cleaner = new TextCleaner(new CleaningOptions { MinChars = 10 });
        var expected = new Dictionary<string, List<string>> { ["train"] = [], ["validation"] = [], ["test"] = [] };
        var seen = new HashSet<string>();
        var split = new SplitOptions { Validation = 0.1, Test = 0.1 };
        foreach (var d in docs)
            if (cleaner.Clean(d, out var c) == CleanOutcome.Kept && seen.Add(c!)) expected[split.Assign(Deduplicator.Key(c!))].Add(c!);

        using var set = TokenShardSet.Open(dir["out"]);
        Assert.That(set.Manifest.TokenBytes, Is.EqualTo(2));
        Assert.That(set.Manifest.TokenizerFingerprint, Is.EqualTo(tok.Fingerprint));
        foreach (var name in SplitOptions.Names)
        {
            var stream = set.Mapped(name);
            var decoded = stream.Documents().Select(d => tok.Decode(stream.Read(d.Start, d.Length))).ToList();
            Assert.That(decoded, Is.EqualTo(expected[name]), name);
            Assert.That(set.Manifest.Splits[name].Documents, Is.EqualTo(expected[name].Count));
            Assert.That(stream.Count, Is.EqualTo(set.Manifest.Splits[name].Tokens));
        }
        var m = result.Manifest;
        Assert.That(m.Splits["train"].Shards, Has.Count.GreaterThan(1), "small shards force several files");
        Assert.That(m.Dedup!.ExactDuplicates, Is.EqualTo(2));
        Assert.That(m.Cleaning!.Empty, Is.EqualTo(1));
        Assert.That(m.Cleaning.TooShort, Is.EqualTo(1));
        set.Verify();
        Assert.That(Directory.Exists(Path.Combine(dir["out"], CorpusBuilder.WorkDirectoryName)), Is.False);
    }

    [Test]
    public async Task Random_windows_across_shard_boundaries_match_a_sequential_read()
    {
        using var dir = new TempDir();
        var (input, docs) = WriteCorpus(dir, 200);
        await CorpusBuilder.BuildAsync(Options(input, dir["out"], CharTokenizerFor(docs)) with { Split = new SplitOptions { Validation = 0 } });
        using var set = TokenShardSet.Open(dir["out"]);
        var stream = set.Split("train");
        var all = new int[stream.Count];
        stream.CopyTo(0, all);
        var rng = new Random(5);
        var window = new int[777];
        for (var i = 0; i < 50; i++)
        {
            var start = rng.NextInt64(stream.Count - window.Length);
            stream.CopyTo(start, window);
            Assert.That(window, Is.EqualTo(all.AsSpan((int)start, window.Length).ToArray()));
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => stream.CopyTo(stream.Count - 10, new int[11]));
    }

    [Test]
    public async Task Large_vocabularies_use_uint32_shards_with_any_tokenizer()
    {
        using var dir = new TempDir();
        var input = dir.Write("a.txt", "héllo wörld 🐳\n\nsecond paragraph\n");
        var result = await CorpusBuilder.BuildAsync(new BuildOptions([new SourceSpec(input) { Boundary = DocumentBoundary.Paragraph }], dir["out"], new WideTokenizer())
        { Split = new SplitOptions { Validation = 0 }, Dedup = new DedupOptions { Near = false } });
        Assert.That(result.Manifest.TokenBytes, Is.EqualTo(4));
        using var set = TokenShardSet.Open(dir["out"]);
        var s = set.Mapped("train");
        var text = new WideTokenizer().Decode(s.Read(0, (int)s.Count));
        Assert.That(text, Is.EqualTo("héllo wörld 🐳<|endoftext|>second paragraph<|endoftext|>"));
        Assert.That(new FileInfo(Path.Combine(dir["out"], "train-00000.bin")).Length, Is.EqualTo(4 * s.Count));
    }

    [Test]
    public async Task A_cancelled_run_resumes_to_byte_identical_output()
    {
        using var dir = new TempDir();
        var (input, docs) = WriteCorpus(dir, 600);
        var tok = CharTokenizerFor(docs);
        await CorpusBuilder.BuildAsync(Options(input, dir["whole"], tok));

        using var cts = new CancellationTokenSource();
        var reports = 0;
        var progress = new InlineProgress(_ => { if (++reports == 12) cts.Cancel(); });
        Assert.CatchAsync<OperationCanceledException>(() => CorpusBuilder.BuildAsync(Options(input, dir["cut"], tok), progress, cts.Token));
        Assert.That(File.Exists(Path.Combine(dir["cut"], CorpusManifest.FileName)), Is.False, "no manifest after an interrupted run");
        var work = Path.Combine(dir["cut"], CorpusBuilder.WorkDirectoryName);
        Assert.That(File.Exists(Path.Combine(work, "checkpoint.json")), Is.True);
        // simulate bytes written after the last checkpoint by a killed process
        using (var cp = JsonDocument.Parse(File.ReadAllText(Path.Combine(work, "checkpoint.json"))))
        {
            var openIndex = cp.RootElement.GetProperty("splits").GetProperty("train").GetProperty("openIndex").GetInt32();
            File.AppendAllText(Path.Combine(work, $"train-{openIndex:D5}.bin"), "garbage after the checkpoint");
        }

        var replays = 0;
        var resumed = await CorpusBuilder.BuildAsync(Options(input, dir["cut"], tok) with { Resume = true }, new InlineProgress(p => { if (p.Replaying) replays++; }));
        Assert.That(resumed.Resumed, Is.True);
        Assert.That(replays, Is.GreaterThan(0), "the resumed run replayed the written part instead of writing it again");
        AssertSameFiles(dir["whole"], dir["cut"]);

        // and a plain rerun into the same directory rewrites the same bytes
        await CorpusBuilder.BuildAsync(Options(input, dir["cut"], tok));
        AssertSameFiles(dir["whole"], dir["cut"]);
    }

    [Test]
    public async Task A_build_killed_mid_run_resumes_to_byte_identical_output()
    {
        using var dir = new TempDir();
        var docs = Documents(6000, 60, seed: 5);
        var input = dir.Write("corpus.jsonl", string.Join('\n', docs.Select(d => JsonSerializer.Serialize(new { text = d }))) + "\n");
        TokenizerStore.Save(CharTokenizerFor(docs), dir["tok"]);
        string[] Args(string output) =>
            ["build", input, "--field", "text", "--tokenizer", dir["tok"], "--out", output, "--shard-tokens", "50000", "--validation", "0.1",
             "--batch-chars", "8000", "--checkpoint-seconds", "0", "--threads", "1"];

        var whole = await PrepProcess.RunAsync(Args(dir["whole"]));
        Assert.That(whole.ExitCode, Is.EqualTo(0), whole.Output);

        // kill -9 once a few checkpoints are on disk, the way a crash or an OOM kill would stop it
        var work = Path.Combine(dir["cut"], CorpusBuilder.WorkDirectoryName);
        using (var child = PrepProcess.Start(Args(dir["cut"])))
        {
            var checkpoint = Path.Combine(work, "checkpoint.json");
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (CheckpointedDocuments(checkpoint) < 100)
            {
                Assert.That(child.Process.HasExited, Is.False, "the build finished before it could be killed; make the corpus larger");
                Assert.That(DateTime.UtcNow, Is.LessThan(deadline), "no checkpoint after 60 s");
                await Task.Delay(10);
            }
            child.Process.Kill(entireProcessTree: true);
            await child.Process.WaitForExitAsync();
        }
        Assert.That(File.Exists(Path.Combine(dir["cut"], CorpusManifest.FileName)), Is.False, "no manifest after a killed run");

        var resumed = await PrepProcess.RunAsync([.. Args(dir["cut"]), "--resume"]);
        Assert.That(resumed.ExitCode, Is.EqualTo(0), resumed.Output);
        Assert.That(Directory.Exists(work), Is.False, "the work directory is removed after installing");
        AssertSameFiles(dir["whole"], dir["cut"]);
    }

    private static long CheckpointedDocuments(string path)
    {
        try
        {
            using var cp = JsonDocument.Parse(File.ReadAllText(path));
            return cp.RootElement.GetProperty("documentsDone").GetInt64();
        }
        catch (Exception ex) when (ex is IOException or JsonException) { return 0; }
    }

    // config.json names its own output directory, so it is the one file that differs (ConfigFileTests checks it)
    private static void AssertSameFiles(string a, string b)
    {
        var names = Directory.GetFiles(a).Select(Path.GetFileName).Where(n => n != ConfigFile.FileName).Order().ToList();
        Assert.That(Directory.GetFiles(b).Select(Path.GetFileName).Where(n => n != ConfigFile.FileName).Order(), Is.EqualTo(names));
        foreach (var n in names) Assert.That(File.ReadAllBytes(Path.Combine(b, n!)), Is.EqualTo(File.ReadAllBytes(Path.Combine(a, n!))), n);
    }

    [Test]
    public async Task A_different_tokenizer_than_the_existing_manifest_is_refused_unless_forced()
    {
        using var dir = new TempDir();
        var (input, docs) = WriteCorpus(dir, 50);
        await CorpusBuilder.BuildAsync(Options(input, dir["out"], CharTokenizerFor(docs)));
        var other = CharTokenizerFor(docs.Append("ÅØ"));
        var ex = Assert.ThrowsAsync<OptionException>(() => CorpusBuilder.BuildAsync(Options(input, dir["out"], other)));
        Assert.That(ex, Is.InstanceOf<OptionException>());
        Assert.That(((OptionException)ex!).MessageWith(TextSSL.Cli.OptionFlags.For), Does.Contain("another tokenizer").And.Contain("--force"));
        var forced = await CorpusBuilder.BuildAsync(Options(input, dir["out"], other) with { Force = true });
        Assert.That(TokenShardSet.Open(dir["out"]).Manifest.TokenizerFingerprint, Is.EqualTo(other.Fingerprint).And.EqualTo(forced.Manifest.TokenizerFingerprint));
    }

    [Test]
    public void An_empty_result_after_filtering_is_an_error_with_the_counts()
    {
        using var dir = new TempDir();
        var input = dir.Write("a.txt", "short\n\nalso short\n");
        var ex = Assert.ThrowsAsync<OptionException>(() => CorpusBuilder.BuildAsync(
            new BuildOptions([new SourceSpec(input) { Boundary = DocumentBoundary.Paragraph }], dir["out"], CharTokenizerFor(["short also"]))
            { Cleaning = new CleaningOptions { MinChars = 100 } }));
        Assert.That(ex!.Message, Does.Contain("no documents left").And.Contain("2 shorter than 100"));
        Assert.That(File.Exists(Path.Combine(dir["out"], CorpusManifest.FileName)), Is.False);
    }

    [Test]
    public async Task Skipped_records_are_counted_and_listed_in_the_manifest()
    {
        using var dir = new TempDir();
        var input = dir.Write("a.jsonl", "{\"text\":\"first document here\"}\nnot json\n{\"text\":\"second document with ☃\"}\n");
        var tok = CharTokenizerFor(["first document here", "second document with"]);
        var options = new BuildOptions([new SourceSpec(input)], dir["out"], tok) { OnError = ErrorPolicy.Skip, Split = new SplitOptions { Validation = 0 } };
        var m = (await CorpusBuilder.BuildAsync(options)).Manifest;
        Assert.That(m.Errors!.Skipped, Is.EqualTo(1));
        Assert.That(m.Errors.First.Single().Record, Is.EqualTo(2));
        Assert.That(m.Errors.Untokenizable, Is.EqualTo(1), "the snowman is not in the character vocabulary");
        Assert.That(m.Splits["train"].Documents, Is.EqualTo(1));
    }

    [Test]
    public async Task Opening_a_corpus_with_a_missing_or_truncated_shard_names_it()
    {
        using var dir = new TempDir();
        var (input, docs) = WriteCorpus(dir, 50);
        await CorpusBuilder.BuildAsync(Options(input, dir["out"], CharTokenizerFor(docs)));
        var shard = Path.Combine(dir["out"], "train-00000.bin");
        using (var f = new FileStream(shard, FileMode.Open)) f.SetLength(f.Length - 2);
        var ex = Assert.Throws<TextSslException>(() => TokenShardSet.Open(dir["out"]));
        Assert.That(ex!.Message, Does.Contain("train-00000.bin").And.Contain("bytes"));
        File.Delete(shard);
        ex = Assert.Throws<TextSslException>(() => TokenShardSet.Open(dir["out"]));
        Assert.That(ex!.Message, Does.Contain("train-00000.bin").And.Contain("missing"));
        ex = Assert.Throws<TextSslException>(() => TokenShardSet.Open(dir["nowhere"]));
        Assert.That(ex!.Message, Does.Contain("manifest"));
    }

    private sealed class InlineProgress(Action<BuildProgress> report) : IProgress<BuildProgress>
    {
        public void Report(BuildProgress value) => report(value);
    }
}
