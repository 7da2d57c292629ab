using System.CommandLine;
using System.Text;
using TextSSL.Cli;
using TextSSL.Cli.Commands;
using TextSSL.Tokenization;
using TextSSL.Tokenization.Bpe;

namespace TextSSL.Tests.Tokenization;

public class BadInputTests
{
    private TempDir _dir = null!;

    [SetUp]
    public void Dir() => _dir = new TempDir();

    [TearDown]
    public void Clean() => _dir.Dispose();

    private static Task<BpeTrainingResult> Train(params string[] inputs) => Train(new BpeTrainerOptions(300), inputs);

    private static Task<BpeTrainingResult> Train(BpeTrainerOptions options, params string[] inputs) => new BpeTrainer(options).TrainFilesAsync(inputs);

    [Test]
    public void Missing_or_empty_input_is_an_error()
    {
        Assert.That(() => Train(_dir.Path("nope.txt")), Throws.InstanceOf<TextSslException>().With.Message.Contains("nope.txt").And.Message.Contains("does not exist"));
        Assert.That(() => Train(), Throws.InstanceOf<TextSslException>().With.Message.Contains("no training input"));
        var empty = _dir.File("empty.txt", "");
        Assert.That(() => Train(empty), Throws.InstanceOf<TextSslException>().With.Message.Contains("empty"));
        Directory.CreateDirectory(_dir.Path("nothing"));
        Assert.That(() => Train(_dir.Path("nothing")), Throws.InstanceOf<TextSslException>().With.Message.Contains("no files"));
    }

    [Test]
    public void Vocabulary_smaller_than_bytes_plus_specials_is_an_error()
    {
        Assert.That(() => new BpeTrainer(new BpeTrainerOptions(258)), Throws.InstanceOf<TextSslException>().With.Message.Contains("261"));
        Assert.That(() => new BpeTrainer(new BpeTrainerOptions(255) { Specials = [] }), Throws.InstanceOf<TextSslException>().With.Message.Contains("256"));
        Assert.That(() => new BpeTrainer(new BpeTrainerOptions(256) { Specials = [] }), Throws.Nothing);
    }

    [TestCase(new byte[] { 0x61, 0x62, 0x63, 0xFF, 0x64 }, 3)]
    [TestCase(new byte[] { 0x61, 0xC3, 0x28 }, 1)]              // a lead byte without its continuation
    [TestCase(new byte[] { 0x61, 0x62, 0xE2, 0x82 }, 2)]        // truncated at the end of the file
    [TestCase(new byte[] { 0xEF, 0xBB, 0xBF, 0x61, 0xED, 0xA0, 0x80 }, 4)] // an encoded surrogate after a BOM
    public void Invalid_utf8_names_the_file_and_byte_offset(byte[] bytes, int offset)
    {
        var file = _dir.Bytes("bad.txt", bytes);
        // the library names its option (ReplaceInvalidUtf8); the CLI prints it as --replace-invalid
        var ex = Assert.ThrowsAsync<OptionException>(() => Train(file));
        TokenizerCommand.Create(); // registers the command's spelling of the option
        Assert.That(ex!.MessageWith(OptionFlags.For), Does.Contain("bad.txt").And.Contain($"byte offset {offset}").And.Contain("--replace-invalid"));
        Assert.That(ex.Option, Is.EqualTo(nameof(BpeTrainerOptions.ReplaceInvalidUtf8)));
    }

    [Test]
    public void Invalid_utf8_far_into_a_large_file_reports_the_exact_offset()
    {
        var good = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("call me Ishmael. ", 150_000))); // > 2 read blocks
        var file = _dir.Bytes("big.txt", [.. good, 0x80, 0x61]);
        Assert.That(() => Train(file), Throws.InstanceOf<TextSslException>().With.Message.Contains($"byte offset {good.Length}"));
    }

    [Test]
    public async Task Replace_invalid_turns_bad_bytes_into_U_FFFD()
    {
        var file = _dir.Bytes("bad.txt", [0x61, 0xFF, 0x62, 0x20, 0x61, 0xFF, 0x62]);
        var result = await Train(new BpeTrainerOptions(260) { ReplaceInvalidUtf8 = true, Specials = [] }, file);
        // pre-tokens "a", "\uFFFDb", " a", "\uFFFDb": the replacement character's bytes merge with the b that follows
        Assert.That(Enumerable.Range(256, result.Tokenizer.LearnedCount - 256).Select(i => Encoding.UTF8.GetString(result.Tokenizer.TokenBytes(i))),
            Has.Some.EqualTo("\uFFFDb"));
        Assert.That(TextFiles.ReadAllText(file, replaceInvalid: true), Is.EqualTo("a\uFFFDb a\uFFFDb"));
    }

    [Test]
    public void A_special_token_that_collides_with_a_learned_token_is_an_error()
    {
        var single = new BpeTrainerOptions(300) { Specials = [new SpecialTokenSpec("e", SpecialTokenRole.Other)] };
        Assert.That(() => new BpeTrainer(single).TrainTexts(["hello"]), Throws.InstanceOf<TextSslException>().With.Message.Contains("learned token 101"));
        var learned = new BpeTrainerOptions(300) { Specials = [new SpecialTokenSpec("the", SpecialTokenRole.Other)] };
        Assert.That(() => new BpeTrainer(learned).TrainTexts(["the.the.the.the"]), Throws.InstanceOf<TextSslException>().With.Message.Contains("'the'"));
    }

    [Test]
    public void Bad_special_tokens_and_patterns_are_errors()
    {
        Assert.That(() => new BpeTrainer(new BpeTrainerOptions(300) { Specials = [new("[X]", SpecialTokenRole.Other), new("[X]", SpecialTokenRole.Other)] }),
            Throws.InstanceOf<TextSslException>().With.Message.Contains("more than once"));
        Assert.That(() => new BpeTrainer(new BpeTrainerOptions(300) { Specials = [new("[A]", SpecialTokenRole.Mask), new("[B]", SpecialTokenRole.Mask)] }),
            Throws.InstanceOf<TextSslException>().With.Message.Contains("Mask"));
        Assert.That(() => new BpeTrainer(new BpeTrainerOptions(300) { Pattern = "([a-z" }), Throws.InstanceOf<TextSslException>().With.Message.Contains("not a valid"));
        Assert.That(() => SpecialTokenSpec.Parse("mask="), Throws.InstanceOf<TextSslException>());
        Assert.That(SpecialTokenSpec.Parse("pad=<pad>"), Is.EqualTo(new SpecialTokenSpec("<pad>", SpecialTokenRole.Pad)));
        Assert.That(SpecialTokenSpec.Parse("[SEP]"), Is.EqualTo(new SpecialTokenSpec("[SEP]", SpecialTokenRole.Sep)));
        Assert.That(SpecialTokenSpec.Parse("<|x|>"), Is.EqualTo(new SpecialTokenSpec("<|x|>", SpecialTokenRole.Other)));
    }

    [Test]
    public async Task Cli_train_on_bad_input_exits_1_and_writes_nothing()
    {
        var file = _dir.Bytes("bad.txt", [0x61, 0xFF]);
        var root = new RootCommand { TokenizerCommand.Create() };
        var code = await CliHost.RunAsync(root, ["tokenizer", "train", "--input", file, "--vocab-size", "300", "--out", _dir.Path("out")]);
        Assert.That(code, Is.EqualTo(1));
        Assert.That(Directory.Exists(_dir.Path("out")), Is.False);
        Assert.That(Directory.GetFileSystemEntries(_dir.Root).Select(Path.GetFileName), Is.EquivalentTo(new[] { "bad.txt" }), "no temporary leftovers");
    }

    [Test]
    public async Task Cli_train_writes_a_loadable_tokenizer()
    {
        var file = _dir.File("corpus.txt", TestText.MobyDick[..30_000]);
        var root = new RootCommand { TokenizerCommand.Create() };
        var code = await CliHost.RunAsync(root, ["tokenizer", "train", "--input", file, "--vocab-size", "400", "--special", "<|endoftext|>", "--special", "mask=<mask>", "--out", _dir.Path("out")]);
        Assert.That(code, Is.Zero);
        var t = TokenizerStore.Load(_dir.Path("out"));
        Assert.That(t.VocabSize, Is.EqualTo(400));
        Assert.That(t.Specials.All.Select(s => (s.Text, s.Role)), Is.EqualTo(new[] { ("<|endoftext|>", SpecialTokenRole.EndOfText), ("<mask>", SpecialTokenRole.Mask) }));
    }
}
