using System.Text.Json;
using TextSSL.Corpora;
using TextSSL.Tokenization;
using static TextSSL.Tests.Corpora.CorpusTestUtil;

namespace TextSSL.Tests.Corpora;

public class PartMergeTests
{
    private const int Parts = 3;

    /// <summary>
    /// Twelve JSONL files; duplicates are planted across parts: an exact copy and a near copy (one word added) of a
    /// document of the first file in a later file of another part, then a repeat of that near copy in its own file
    /// (a part's local repeat whose first is itself dropped as a near duplicate), plus one malformed line.
    /// </summary>
    private static (string Input, List<string> Texts) WriteFiles(TempDir dir, int perFile = 40)
    {
        var docs = Documents(12 * perFile, 40, seed: 3);
        var files = Enumerable.Range(0, 12).Select(i => $"f{i:D2}.jsonl").ToList();
        var byFile = files.Select((_, i) => docs.Skip(i * perFile).Take(perFile).ToList()).ToList();
        var partOf = files.Select(f => BuildPart.PartOfFile(f, Parts)).ToList();
        Assert.That(partOf.Distinct().Count(), Is.EqualTo(Parts), "every part gets files");
        var other = partOf.FindIndex(1, p => p != partOf[0]);
        Assert.That(other, Is.GreaterThan(0));
        var x = byFile[0][5];
        byFile[other].Insert(3, x);                       // exact, across parts
        byFile[other].Insert(7, x + " extra");            // near, across parts
        byFile[other].Insert(9, x + " extra");            // a repeat inside the part of a dropped near duplicate
        byFile[^1].Insert(2, byFile[other][0]);           // exact, later file
        var lines = byFile.Select(f => f.Select(t => JsonSerializer.Serialize(new { text = t })).ToList()).ToList();
        lines[other].Insert(12, "{ not json");
        for (var i = 0; i < files.Count; i++) dir.Write(Path.Combine("in", files[i]), string.Join('\n', lines[i]) + "\n");
        return (dir["in"], byFile.SelectMany(f => f).ToList());
    }

    private static BuildOptions Options(string input, string output, TextTokenizer tok) => new([new SourceSpec(input)], output, tok)
    {
        Cleaning = new CleaningOptions { MinChars = 10 },
        Split = new SplitOptions { Validation = 0.1, Test = 0.1 },
        ShardTokens = 5000,
        BatchChars = 4000,
        CheckpointInterval = TimeSpan.Zero,
        Threads = 2,
        OnError = ErrorPolicy.Skip,
    };

    private static async Task<List<string>> BuildParts(TempDir dir, string input, TextTokenizer tok, string prefix = "part")
    {
        var dirs = new List<string>();
        for (var i = 1; i <= Parts; i++)
        {
            var d = dir[$"{prefix}{i}"];
            await CorpusBuilder.BuildPartAsync(Options(input, d, tok), new BuildPart(i, Parts));
            dirs.Add(d);
        }
        return dirs;
    }

    [Test]
    public async Task Three_parts_and_a_merge_equal_a_single_build_byte_for_byte()
    {
        using var dir = new TempDir();
        var (input, texts) = WriteFiles(dir);
        var tok = CharTokenizerFor(texts);
        var whole = await CorpusBuilder.BuildAsync(Options(input, dir["whole"], tok));
        Assert.That(whole.Manifest.Dedup!.ExactDuplicates, Is.GreaterThanOrEqualTo(2));
        Assert.That(whole.Manifest.Dedup.NearDuplicates, Is.GreaterThanOrEqualTo(2));
        Assert.That(whole.Manifest.Errors!.Skipped, Is.EqualTo(1));

        var parts = await BuildParts(dir, input, tok);
        // the parts may be given in any order
        var merged = await CorpusBuilder.MergeAsync(new MergeOptions([parts[2], parts[0], parts[1]], dir["merged"]));
        Assert.That(merged.Manifest.Splits["train"].Shards, Has.Count.GreaterThan(1));
        AssertSameFiles(dir["whole"], dir["merged"]);
    }

    [Test]
    public async Task A_single_input_file_is_shared_by_record_and_merges_to_the_same_bytes()
    {
        using var dir = new TempDir();
        var docs = Documents(300, 40, seed: 8);
        docs.Insert(100, docs[1]);              // exact: record 100 is in another part than record 1
        docs.Insert(201, docs[2] + " extra");   // near
        var input = dir.Write("one.jsonl", string.Join('\n', docs.Select(t => JsonSerializer.Serialize(new { text = t }))) + "\n");
        var tok = CharTokenizerFor(docs);
        var whole = await CorpusBuilder.BuildAsync(Options(input, dir["whole"], tok));
        Assert.That(whole.Manifest.Dedup!.ExactDuplicates, Is.EqualTo(1));
        Assert.That(whole.Manifest.Dedup.NearDuplicates, Is.EqualTo(1));

        var parts = await BuildParts(dir, input, tok);
        var sizes = parts.Select(p => new FileInfo(Path.Combine(p, "documents.bin")).Length).ToList();
        Assert.That(sizes, Has.All.GreaterThan(0), "every part holds a share of the one file");
        await CorpusBuilder.MergeAsync(new MergeOptions(parts, dir["merged"]));
        AssertSameFiles(dir["whole"], dir["merged"]);
    }

    [Test]
    public async Task A_missing_a_repeated_or_a_foreign_part_is_a_one_line_error_naming_it()
    {
        using var dir = new TempDir();
        var (input, texts) = WriteFiles(dir, perFile: 10);
        var tok = CharTokenizerFor(texts);
        var parts = await BuildParts(dir, input, tok);

        var missing = Assert.ThrowsAsync<OptionException>(() => CorpusBuilder.MergeAsync(new MergeOptions([parts[0], parts[2]], dir["m1"])));
        Assert.That(missing!.Message, Does.Contain("part 2/3 is missing"));
        var twice = Assert.ThrowsAsync<OptionException>(() => CorpusBuilder.MergeAsync(new MergeOptions([parts[0], parts[1], parts[1], parts[2]], dir["m2"])));
        Assert.That(twice!.Message, Does.Contain("part 2/3 is given twice").And.Contain(parts[1]));

        // part 2 of a build with another split seed
        await CorpusBuilder.BuildPartAsync(Options(input, dir["foreign"], tok) with { Split = new SplitOptions { Validation = 0.1, Test = 0.1, Seed = 9 } }, new BuildPart(2, Parts));
        var foreign = Assert.ThrowsAsync<OptionException>(() => CorpusBuilder.MergeAsync(new MergeOptions([parts[0], dir["foreign"], parts[2]], dir["m3"])));
        Assert.That(foreign!.Message, Does.Contain(dir["foreign"]).And.Contain("different build"));

        var notPart = Assert.ThrowsAsync<TextSslException>(() => CorpusBuilder.MergeAsync(new MergeOptions([parts[0], dir["in"], parts[2]], dir["m4"])));
        Assert.That(notPart!.Message, Does.Contain("not a finished build part"));
        // a part damaged in transfer (same size, one byte flipped)
        var damaged = dir["damaged"];
        Directory.CreateDirectory(damaged);
        foreach (var f in Directory.GetFiles(parts[2])) File.Copy(f, Path.Combine(damaged, Path.GetFileName(f)));
        CopyDirectory(Path.Combine(parts[2], "tokenizer"), Path.Combine(damaged, "tokenizer"));
        var bytes = File.ReadAllBytes(Path.Combine(damaged, "documents.bin"));
        bytes[bytes.Length / 2] ^= 0x20;
        File.WriteAllBytes(Path.Combine(damaged, "documents.bin"), bytes);
        var corrupt = Assert.ThrowsAsync<TextSslException>(() => CorpusBuilder.MergeAsync(new MergeOptions([parts[0], parts[1], damaged], dir["m5"])));
        Assert.That(corrupt!.Message, Does.Contain("sha256").And.Contain(damaged));

        var intoPart = Assert.ThrowsAsync<OptionException>(() => CorpusBuilder.MergeAsync(new MergeOptions(parts, parts[1])));
        Assert.That(intoPart!.Message, Does.Contain("is one of the parts"));
        foreach (var e in new Exception[] { missing, twice, foreign, notPart, intoPart, corrupt }) Assert.That(e.Message, Does.Not.Contain("\n"));
        Assert.That(Directory.Exists(dir["m1"]) && Directory.EnumerateFiles(dir["m1"], "*.bin").Any(), Is.False, "nothing written before the parts are checked");
    }

    [Test]
    public async Task An_interrupted_part_resumes_to_the_same_files()
    {
        using var dir = new TempDir();
        var (input, texts) = WriteFiles(dir, perFile: 60);
        var tok = CharTokenizerFor(texts);
        // part 1/1 reads every file, so the cancellation falls in the middle
        var whole = dir["whole"];
        await CorpusBuilder.BuildPartAsync(Options(input, whole, tok), new BuildPart(1, 1));

        using var cts = new CancellationTokenSource();
        var reports = 0;
        Assert.CatchAsync<OperationCanceledException>(() =>
            CorpusBuilder.BuildPartAsync(Options(input, dir["cut"], tok), new BuildPart(1, 1), new InlineProgress(_ => { if (++reports == 20) cts.Cancel(); }), cts.Token));
        Assert.That(File.Exists(Path.Combine(dir["cut"], "part.json")), Is.False, "no part.json after an interrupted part");
        var work = Path.Combine(dir["cut"], CorpusBuilder.WorkDirectoryName);
        File.AppendAllText(Path.Combine(work, "documents.bin"), "bytes written after the last checkpoint");

        var replays = 0;
        var resumed = await CorpusBuilder.BuildPartAsync(Options(input, dir["cut"], tok) with { Resume = true }, new BuildPart(1, 1), new InlineProgress(p => { if (p.Replaying) replays++; }));
        Assert.That(resumed.Resumed, Is.True);
        Assert.That(replays, Is.GreaterThan(0));
        AssertSameFiles(whole, dir["cut"]);

        // and 1/1 + merge is the single build
        await CorpusBuilder.BuildAsync(Options(input, dir["single"], tok));
        await CorpusBuilder.MergeAsync(new MergeOptions([whole], dir["merged"]));
        AssertSameFiles(dir["single"], dir["merged"]);
    }

    [Test]
    public async Task An_interrupted_merge_resumes_to_the_same_files()
    {
        using var dir = new TempDir();
        var (input, texts) = WriteFiles(dir, perFile: 60);
        var tok = CharTokenizerFor(texts);
        await CorpusBuilder.BuildAsync(Options(input, dir["whole"], tok));
        var parts = await BuildParts(dir, input, tok);

        using var cts = new CancellationTokenSource();
        var reports = 0;
        var options = new MergeOptions(parts, dir["merged"]) { CheckpointInterval = TimeSpan.Zero };
        Assert.CatchAsync<OperationCanceledException>(() => CorpusBuilder.MergeAsync(options, new InlineProgress(_ => { if (++reports == 6) cts.Cancel(); }), cts.Token));
        Assert.That(File.Exists(Path.Combine(dir["merged"], CorpusManifest.FileName)), Is.False);
        Assert.That(File.Exists(Path.Combine(dir["merged"], CorpusBuilder.WorkDirectoryName, "checkpoint.json")), Is.True);

        var replays = 0;
        var resumed = await CorpusBuilder.MergeAsync(options with { Resume = true }, new InlineProgress(p => { if (p.Replaying) replays++; }));
        Assert.That(resumed.Resumed, Is.True);
        Assert.That(replays, Is.GreaterThan(0));
        AssertSameFiles(dir["whole"], dir["merged"]);
    }

    [Test]
    public async Task Resuming_after_a_same_size_edit_of_an_input_is_refused_naming_the_file()
    {
        using var dir = new TempDir();
        var (input, texts) = WriteFiles(dir, perFile: 60);
        var tok = CharTokenizerFor(texts);
        var edited = Path.Combine(input, "f05.jsonl");

        async Task Interrupt(Func<CancellationToken, IProgress<BuildProgress>, Task> run)
        {
            using var cts = new CancellationTokenSource();
            var reports = 0;
            Assert.CatchAsync<OperationCanceledException>(() => run(cts.Token, new InlineProgress(_ => { if (++reports == 10) cts.Cancel(); })));
            // the same number of bytes, different content (as an editor saving a fixed typo would leave it)
            var bytes = File.ReadAllBytes(edited);
            var at = Array.IndexOf(bytes, (byte)'a');
            bytes[at] = (byte)'e';
            File.WriteAllBytes(edited, bytes);
            File.SetLastWriteTimeUtc(edited, File.GetLastWriteTimeUtc(edited).AddSeconds(2)); // whatever the file system's time resolution
            await Task.CompletedTask;
        }

        await Interrupt((ct, p) => CorpusBuilder.BuildAsync(Options(input, dir["build"], tok), p, ct));
        var build = Assert.ThrowsAsync<OptionException>(() => CorpusBuilder.BuildAsync(Options(input, dir["build"], tok) with { Resume = true }));
        Assert.That(build!.Message, Does.Contain("f05.jsonl").And.Contain("was modified").And.Contain("without Resume"));

        await Interrupt((ct, p) => CorpusBuilder.BuildPartAsync(Options(input, dir["part"], tok), new BuildPart(1, 1), p, ct));
        var part = Assert.ThrowsAsync<OptionException>(() => CorpusBuilder.BuildPartAsync(Options(input, dir["part"], tok) with { Resume = true }, new BuildPart(1, 1)));
        Assert.That(part!.Message, Does.Contain("f05.jsonl").And.Contain("was modified"));
    }

    [Test]
    public async Task The_tool_runs_parts_and_a_merge_like_a_job_runner_would()
    {
        using var dir = new TempDir();
        var (input, texts) = WriteFiles(dir, perFile: 20);
        TokenizerStore.Save(CharTokenizerFor(texts), dir["tok"]);
        string[] Common(string output) =>
            [input, "--field", "text", "--tokenizer", dir["tok"], "--out", output, "--shard-tokens", "5000", "--validation", "0.1", "--on-error", "skip"];
        var whole = await PrepProcess.RunAsync(["build", .. Common(dir["whole"])]);
        Assert.That(whole.ExitCode, Is.EqualTo(0), whole.Output);
        for (var i = 1; i <= Parts; i++)
        {
            var part = await PrepProcess.RunAsync(["build", .. Common(dir[$"p{i}"]), "--part", $"{i}/{Parts}"]);
            Assert.That(part.ExitCode, Is.EqualTo(0), part.Output);
        }
        var merge = await PrepProcess.RunAsync(["merge", dir["p1"], dir["p2"], dir["p3"], "--out", dir["merged"]]);
        Assert.That(merge.ExitCode, Is.EqualTo(0), merge.Output);
        AssertSameFiles(dir["whole"], dir["merged"]);
        // each part records its build; the merge records the single build it equals
        Assert.That(BuildRunOptions.Load(dir["p2"]).Part, Is.EqualTo($"2/{Parts}"));
        Assert.That(File.ReadAllText(Path.Combine(dir["merged"], ConfigFile.FileName)).Replace(dir["merged"], "OUT"),
                    Is.EqualTo(File.ReadAllText(Path.Combine(dir["whole"], ConfigFile.FileName)).Replace(dir["whole"], "OUT")));

        var missing = await PrepProcess.RunAsync(["merge", dir["p1"], dir["p3"], "--out", dir["m2"]]);
        Assert.That(missing.ExitCode, Is.Not.EqualTo(0));
        // stdout and stderr arrive interleaved here (a progress line may come first on a slow machine): the error is one whole line
        Assert.That(missing.Output, Does.Not.Contain("   at "));
        Assert.That(missing.Output.Split('\n').Where(l => l.Contains("part 2/3 is missing") && l.Contains("give all 3 directories")).ToList(), Has.Count.EqualTo(1), missing.Output);
        var bad = await PrepProcess.RunAsync(["build", .. Common(dir["p9"]), "--part", "4/3"]);
        Assert.That(bad.ExitCode, Is.Not.EqualTo(0));
        Assert.That(bad.Output, Does.Contain("--part"));
    }

    [TestCase("0/3")]
    [TestCase("4/3")]
    [TestCase("2")]
    [TestCase("a/b")]
    [TestCase("1/0")]
    public void A_bad_part_is_refused(string text)
    {
        var ex = Assert.Throws<OptionException>(() => BuildPart.Parse(text));
        Assert.That(ex!.Options, Does.Contain(BuildPart.OptionName));
    }

    [Test]
    public void Shares_are_stable_and_cover_every_file_once()
    {
        var names = Enumerable.Range(0, 300).Select(i => $"dir/file{i}.txt").ToList();
        var owners = names.Select(n => Enumerable.Range(1, 4).Count(i => new BuildPart(i, 4).OwnsFile(n))).ToList();
        Assert.That(owners, Has.All.EqualTo(1));
        var counts = names.GroupBy(n => BuildPart.PartOfFile(n, 4)).Select(g => g.Count()).ToList();
        Assert.That(counts, Has.Count.EqualTo(4).And.All.GreaterThan(40));
        Assert.That(BuildPart.PartOfFile("dir\\file7.txt", 4), Is.EqualTo(BuildPart.PartOfFile("dir/file7.txt", 4)));
    }

    private static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var f in Directory.GetFiles(from)) File.Copy(f, Path.Combine(to, Path.GetFileName(f)));
    }

    // config.json names its own output directory, so it is compared apart
    private static void AssertSameFiles(string a, string b)
    {
        static bool Compared(string? n) => !n!.StartsWith(".textssl", StringComparison.Ordinal) && n != ConfigFile.FileName;
        var names = Directory.GetFiles(a).Select(Path.GetFileName).Where(Compared).Order().ToList();
        Assert.That(Directory.GetFiles(b).Select(Path.GetFileName).Where(Compared).Order(), Is.EqualTo(names));
        foreach (var n in names) Assert.That(File.ReadAllBytes(Path.Combine(b, n!)), Is.EqualTo(File.ReadAllBytes(Path.Combine(a, n!))), n);
    }

    private sealed class InlineProgress(Action<BuildProgress> report) : IProgress<BuildProgress>
    {
        public void Report(BuildProgress value) => report(value);
    }
}
