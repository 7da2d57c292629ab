using System.Text;
using TextSSL.Corpora;
using TextSSL.Corpora.Internal;
using TextSSL.Tokenization;

namespace TextSSL.Tests.Corpora;

/// <summary>Never delete what TextSSL did not write; recover interrupted swaps; one run per output directory.</summary>
public class OutputSafetyTests
{
    private static TextTokenizer Tok() => CharTokenizer.Train("hello world", SpecialTokens.StandardRoles);

    [Test]
    public void A_directory_of_the_users_is_never_replaced()
    {
        using var dir = new TempDir();
        dir.Write("out/thesis.tex", "keep");
        var ex = Assert.Throws<TextSslException>(() => TokenizerStore.Save(Tok(), dir["out"]));
        Assert.That(ex!.Message, Does.Contain("thesis.tex").And.Contain("did not write"));
        Assert.That(File.ReadAllText(dir["out/thesis.tex"]), Is.EqualTo("keep"));
        Assert.That(Directory.GetDirectories(dir.Path, ".out.*"), Is.Empty, "a temporary directory was left behind");
    }

    [Test]
    public void An_empty_directory_is_filled_and_an_explicit_kind_replaces_only_that_kind()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir["tok"]);
        TokenizerStore.Save(Tok(), dir["tok"]);
        Assert.That(OutputOwnership.KindOf(dir["tok"]), Is.EqualTo(OutputKind.Tokenizer));
        Assert.That(File.Exists(dir["tok/" + OutputOwnership.MarkerFile]), Is.False, "a tokenizer is recognised by its own files; a marker would change its fingerprint");
        TokenizerStore.Save(CharTokenizer.Train("other text", SpecialTokens.StandardRoles), dir["tok"]);
        Assert.That(TokenizerStore.Open(dir["tok"]).Encode("other"), Has.Length.EqualTo(5));

        AtomicDirectory.Write(dir["texts"], OutputKind.SplitTexts, t => File.WriteAllText(Path.Combine(t, "000000.txt"), "x"));
        Assert.Throws<TextSslException>(() => AtomicDirectory.Write(dir["texts"], OutputKind.Tokenizer, t => Tok().Save(t)));
        Assert.That(File.Exists(dir["texts/000000.txt"]));
        Assert.Throws<TextSslException>(() => OutputOwnership.EnsureReplaceable(dir["tok"], OutputKind.Checkpoint), "what tokenizer train checks first");
        AtomicDirectory.Write(dir["other"], OutputKind.Other, t => File.WriteAllText(Path.Combine(t, "a.bin"), "x"));
        Assert.That(File.ReadLines(dir["other/" + OutputOwnership.MarkerFile]).First(), Is.EqualTo("other"));
        Assert.Throws<TextSslException>(() => AtomicDirectory.Write(dir["other"], OutputKind.SplitTexts, _ => { }));
    }

    [Test]
    public void A_tokenizer_directory_of_the_previous_version_is_recognised_but_not_with_a_foreign_file()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir["old"]);
        Tok().Save(dir["old"]);
        // the previous version named TextSSL's sidecar tokenizer.json
        File.Move(dir["old/" + TokenizerFiles.Sidecar], dir["old/tokenizer.json"]);
        File.WriteAllText(dir["old/fingerprint.txt"], TextTokenizer.FingerprintOf(dir["old"]) + "\n");
        Assert.That(OutputOwnership.KindOf(dir["old"]), Is.EqualTo(OutputKind.Tokenizer));
        dir.Write("old/my-notes.txt", "keep");
        Assert.That(OutputOwnership.KindOf(dir["old"]), Is.Null);
    }

    [Test]
    public void Split_texts_replace_only_an_earlier_split_texts_folder()
    {
        using var dir = new TempDir();
        var csv = dir.Write("l.csv", "text,label,split\nalpha,a,train\nbeta,b,test\n");
        Assert.That(LabelledCsv.WriteSplitTextsAsync(csv, "train", dir["texts"]).Result, Is.EqualTo(1));
        Assert.That(LabelledCsv.WriteSplitTextsAsync(csv, "train", dir["texts"]).Result, Is.EqualTo(1), "its own folder is replaced");
        dir.Write("mine/data.txt", "keep");
        Assert.ThrowsAsync<TextSslException>(() => LabelledCsv.WriteSplitTextsAsync(csv, "train", dir["mine"]));
        Assert.That(File.ReadAllText(dir["mine/data.txt"]), Is.EqualTo("keep"));
    }

    [Test]
    public void A_crash_between_the_two_renames_is_recovered_from_the_moved_aside_copy()
    {
        using var dir = new TempDir();
        TokenizerStore.Save(Tok(), dir["best"]);
        var fingerprint = TokenizerStore.Open(dir["best"]).Fingerprint;
        // the state a crash leaves after "move old aside" and before "move new in": old aside, new temp half-written
        Directory.Move(dir["best"], dir[".best.old-999999-abc"]);
        dir.Write(".best.tmp-999999-def/tokenizer.json", "{ half");
        Assert.That(AtomicDirectory.Recover(dir["best"]), Is.True);
        Assert.That(TokenizerStore.Open(dir["best"]).Fingerprint, Is.EqualTo(fingerprint));
        Assert.That(Directory.GetDirectories(dir.Path, ".best.*"), Is.Empty);
    }

    [Test]
    public void A_crash_after_the_new_copy_was_complete_recovers_the_new_copy_on_the_next_write()
    {
        using var dir = new TempDir();
        var newer = CharTokenizer.Train("newer text", SpecialTokens.StandardRoles);
        TokenizerStore.Save(newer, dir["staging"]);
        TokenizerStore.Save(Tok(), dir["best"]);
        Directory.Move(dir["best"], dir[".best.old-999999-abc"]);
        Directory.Move(dir["staging"], dir[".best.tmp-999999-def"]);
        Assert.That(AtomicDirectory.Recover(dir["best"]), Is.True);
        Assert.That(TokenizerStore.Open(dir["best"]).Fingerprint, Is.EqualTo(newer.Fingerprint));
        Assert.That(Directory.GetDirectories(dir.Path, ".best.*"), Is.Empty);
    }

    [Test]
    public void Leftovers_of_a_live_writer_are_left_alone()
    {
        using var dir = new TempDir();
        dir.Write($".best.tmp-{Environment.ProcessId}-abc/x.bin", "in progress");
        AtomicDirectory.Recover(dir["best"]);
        Assert.That(File.Exists(dir[$".best.tmp-{Environment.ProcessId}-abc/x.bin"]));
    }

    [Test]
    public void A_second_holder_fails_at_once_naming_the_first_and_the_lock_is_free_after_dispose()
    {
        using var dir = new TempDir();
        var first = OutputLock.Acquire(dir["out"], "prep build");
        var ex = Assert.Throws<TextSslException>(() => OutputLock.Acquire(dir["out"], "prep build"));
        Assert.That(ex!.Message, Does.Contain("in use by another run").And.Contain($"pid {Environment.ProcessId}").And.Contain("prep build"));
        first.Dispose();
        using var second = OutputLock.Acquire(dir["out"], "prep build");
        Assert.That(second.Directory, Is.EqualTo(Path.GetFullPath(dir["out"])));
    }

    [Test]
    public async Task Two_builds_into_one_directory_cannot_run_at_once()
    {
        using var dir = new TempDir();
        dir.Write("in.txt", "hello world\n");
        using (OutputLock.Acquire(dir["out"], "prep build"))
        {
            var ex = Assert.ThrowsAsync<TextSslException>(() => CorpusBuilder.BuildAsync(new BuildOptions([new SourceSpec(dir["in.txt"])], dir["out"], Tok())));
            Assert.That(ex!.Message, Does.Contain("in use by another run"));
        }
        var result = await CorpusBuilder.BuildAsync(new BuildOptions([new SourceSpec(dir["in.txt"])], dir["out"], Tok()) { Split = new SplitOptions { Validation = 0 } });
        Assert.That(result.Manifest.Splits["train"].Documents, Is.EqualTo(1));
    }

    [Test]
    public async Task A_rebuild_removes_only_shards_its_old_manifest_listed()
    {
        using var dir = new TempDir();
        dir.Write("in.txt", "hello world\n");
        var options = new BuildOptions([new SourceSpec(dir["in.txt"])], dir["out"], Tok()) { Split = new SplitOptions { Validation = 0 } };
        await CorpusBuilder.BuildAsync(options);
        dir.Write("out/test-00007.bin", "the user's own file that happens to look like a shard");
        await CorpusBuilder.BuildAsync(options);
        Assert.That(File.Exists(dir["out/test-00007.bin"]), "a file no manifest listed was deleted");
    }

    [Test]
    public void EnsureWritable_names_the_option_for_a_file_and_a_path_under_a_file()
    {
        using var dir = new TempDir();
        dir.Write("f", "x");
        var ex = Assert.Throws<OptionException>(() => OutputChecks.EnsureWritable(dir["f"], "OutputDirectory"));
        Assert.That(ex!.Option, Is.EqualTo("OutputDirectory"));
        Assert.That(ex.Message, Does.Contain("is a file"));
        ex = Assert.Throws<OptionException>(() => OutputChecks.EnsureWritable(dir["f/sub"], "OutputDirectory"));
        Assert.That(ex!.Message, Does.Contain("which is a file"));
        OutputChecks.EnsureWritable(dir["new/deeper"], "OutputDirectory");
        Assert.That(Directory.EnumerateFileSystemEntries(dir["new/deeper"]), Is.Empty, "the probe file was left behind");
    }

    [Test]
    public async Task Ids_outside_the_vocabulary_are_named_not_passed_on()
    {
        using var dir = new TempDir();
        dir.Write("in.txt", "hello world\n");
        var result = await CorpusBuilder.BuildAsync(new BuildOptions([new SourceSpec(dir["in.txt"])], dir["out"], Tok()) { Split = new SplitOptions { Validation = 0 } });
        var shard = Path.Combine(dir["out"], result.Manifest.Splits["train"].Shards[0].File);
        var bytes = File.ReadAllBytes(shard);
        bytes[0] = 0xFF;
        bytes[1] = 0xFF; // id 65535 in a uint16 shard of a vocabulary of a few dozen
        File.WriteAllBytes(shard, bytes);
        using var set = TokenShardSet.Open(dir["out"]);
        var ex = Assert.Throws<TextSslException>(() => set.Mapped("train").Read(0, 4));
        Assert.That(ex!.Message, Does.Contain("65535").And.Contain("outside the vocabulary").And.Contain(shard));
    }

    [Test]
    public async Task A_lone_carriage_return_ends_a_line()
    {
        using var dir = new TempDir();
        var path = dir.Write("mac.txt", "one\rtwo\r\nthree\nfour\r");
        var docs = await CorpusTestUtil.ReadAll(new SourceSpec(path) { Boundary = DocumentBoundary.Line });
        Assert.That(docs.Select(d => d.Text), Is.EqualTo(new[] { "one", "two", "three", "four" }));
    }

    [Test]
    public async Task The_line_reader_waits_for_the_byte_after_a_carriage_return_at_a_buffer_end()
    {
        // one byte per read: every \r arrives alone, so \r\n must still be one break and \r\r two
        var reader = new Utf8LineReader(new OneByteStream(Encoding.UTF8.GetBytes("a\r\nb\r\rc")));
        var lines = new List<string>();
        while (await reader.ReadLineAsync(CancellationToken.None)) lines.Add(reader.TryDecode(out _)!);
        Assert.That(lines, Is.EqualTo(new[] { "a", "b", "", "c" }));
    }

    private sealed class OneByteStream(byte[] data) : MemoryStream(data)
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default) => base.ReadAsync(buffer[..Math.Min(1, buffer.Length)], ct);
    }
}
