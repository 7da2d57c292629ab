using System.Diagnostics;
using Microsoft.ML.Tokenizers;
using TextSSL.Cli.Commands;
using TextSSL.Tokenization;
using TextSSL.Tokenization.Bpe;
using TextSSL.Tokenization.Pretrained;

namespace TextSSL.Tests.Tokenization;

public class TokenizerStoreTests
{
    private TempDir _dir = null!;
    private ByteLevelBpeTokenizer _trained = null!;
    private string _saved = null!;
    private string _sample = null!;

    [OneTimeSetUp]
    public void TrainOnce()
    {
        _dir = new TempDir();
        _trained = new BpeTrainer(new BpeTrainerOptions(800)).TrainTexts([TestText.MobyDick[..150_000]]).Tokenizer;
        _saved = _dir.Path("trained");
        TokenizerStore.Save(_trained, _saved);
        _sample = TestText.MobyDick[200_000..260_000] + string.Concat(TestText.Edge);
    }

    [OneTimeTearDown]
    public void Clean() => _dir.Dispose();

    [Test]
    public void Saved_bpe_loads_with_identical_ids_fingerprint_and_files()
    {
        var loaded = TokenizerStore.Load(_saved);
        Assert.That(loaded, Is.InstanceOf<ByteLevelBpeTokenizer>());
        Assert.That(loaded.Encode(_sample), Is.EqualTo(_trained.Encode(_sample)));
        Assert.That(loaded.Fingerprint, Is.EqualTo(_trained.Fingerprint));
        Assert.That(File.ReadAllText(Path.Combine(_saved, TokenizerFiles.FingerprintFile)).Trim(), Is.EqualTo(_trained.Fingerprint));
        Assert.That(loaded.Specials.All, Is.EqualTo(_trained.Specials.All));
    }

    [Test]
    public void A_fresh_process_encodes_to_the_same_ids()
    {
        var textFile = _dir.File("sample.txt", _sample);
        var (code, stdout, stderr) = RunCli("tokenizer", "encode", "--tokenizer", _saved, "--file", textFile);
        Assert.That(code, Is.Zero, stderr);
        var ids = stdout.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(int.Parse).ToArray();
        Assert.That(ids, Is.EqualTo(_trained.Encode(_sample)));
    }

    [Test]
    public void Training_in_two_processes_gives_byte_identical_files()
    {
        // string hashing is randomized per process, so this catches any dependence on dictionary order
        var corpus = _dir.File("det.txt", TestText.MobyDick[..60_000]);
        foreach (var run in new[] { "p1", "p2" })
        {
            var (code, _, stderr) = RunCli("tokenizer", "train", "--input", corpus, "--vocab-size", "500", "--out", _dir.Path(run));
            Assert.That(code, Is.Zero, stderr);
        }
        var names = Directory.GetFiles(_dir.Path("p1")).Select(Path.GetFileName).Order().ToArray();
        Assert.That(names, Is.EqualTo(new[]
        {
            TokenizerFiles.FingerprintFile, TokenizerFiles.Sidecar, ByteLevelBpeTokenizer.RankFile,
            "tokenizer.json", "vocab.json", "merges.txt", "tokenizer_config.json", "special_tokens_map.json", // Hugging Face's, beside
        }.Order()));
        foreach (var name in names)
            Assert.That(File.ReadAllBytes(_dir.Path("p2", name!)), Is.EqualTo(File.ReadAllBytes(_dir.Path("p1", name!))), name);
    }

    private static (int Code, string Stdout, string Stderr) RunCli(params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet", [typeof(TokenizerCommand).Assembly.Location, .. args]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, stdout.Result, stderr);
    }

    [Test]
    public void Microsoft_ML_Tokenizers_reads_the_saved_rank_file_directly()
    {
        using var stream = File.OpenRead(Path.Combine(_saved, ByteLevelBpeTokenizer.RankFile));
        var ml = TiktokenTokenizer.Create(stream, new RegexPreTokenizer(SplitPatterns.Resolve("gpt4"), null), null, null);
        Assert.That(ml.EncodeToIds(_sample), Is.EqualTo(_trained.Encode(_sample)));
    }

    [Test]
    public void A_tampered_file_is_caught_by_the_fingerprint()
    {
        var copy = CopyOf(_saved, "tampered");
        var rank = Path.Combine(copy, ByteLevelBpeTokenizer.RankFile);
        var lines = File.ReadAllLines(rank);
        (lines[300], lines[301]) = (lines[301], lines[300]);
        File.WriteAllLines(rank, lines);
        Assert.That(() => TokenizerStore.Load(copy), Throws.InstanceOf<TextSslException>().With.Message.Contains("fingerprint"));
        Assert.That(() => TokenizerStore.Open(copy), Throws.InstanceOf<TextSslException>().With.Message.Contains("fingerprint"));
    }

    [Test]
    public void Missing_files_are_clear_errors()
    {
        var noRank = CopyOf(_saved, "no-rank");
        File.Delete(Path.Combine(noRank, ByteLevelBpeTokenizer.RankFile));
        Assert.That(() => TokenizerStore.Load(noRank), Throws.InstanceOf<TextSslException>().With.Message.Contains("missing"));
        var noSidecar = CopyOf(_saved, "no-sidecar");
        File.Delete(Path.Combine(noSidecar, TokenizerFiles.Sidecar));
        Assert.That(() => TokenizerStore.Load(noSidecar), Throws.InstanceOf<TextSslException>().With.Message.Contains(TokenizerFiles.Sidecar));
        Assert.That(() => TokenizerStore.Load(_dir.Path("nowhere")), Throws.InstanceOf<TextSslException>().With.Message.Contains("does not exist"));
        Directory.CreateDirectory(_dir.Path("empty"));
        Assert.That(() => TokenizerStore.Open(_dir.Path("empty")), Throws.InstanceOf<TextSslException>().With.Message.Contains("holds no tokenizer"));
        Assert.That(() => TokenizerStore.Open("gpt5"), Throws.InstanceOf<TextSslException>().With.Message.Contains("cl100k"));
    }

    [Test]
    public void Named_tiktoken_saves_as_its_name_and_loads_back()
    {
        var gpt2 = TokenizerStore.Open("gpt2");
        TokenizerStore.Save(gpt2, _dir.Path("gpt2"));
        Assert.That(Directory.GetFiles(_dir.Path("gpt2")).Select(Path.GetFileName), Is.EquivalentTo(new[] { TokenizerFiles.Sidecar, TokenizerFiles.FingerprintFile }));
        var loaded = TokenizerStore.Load(_dir.Path("gpt2"));
        Assert.That(loaded.Kind, Is.EqualTo("tiktoken"));
        Assert.That(loaded.VocabSize, Is.EqualTo(50257));
        Assert.That(loaded.Specials.IdOf(SpecialTokenRole.EndOfText), Is.EqualTo(50256));
        Assert.That(loaded.Encode(_sample), Is.EqualTo(gpt2.Encode(_sample)));
    }

    [Test]
    public void Named_tiktoken_with_specials_adds_the_missing_standard_roles_and_keeps_them_when_saved()
    {
        var t = TokenizerStore.Open("gpt2+specials");
        Assert.That(t.Specials.IdOf(SpecialTokenRole.EndOfText), Is.EqualTo(50256));
        Assert.That(new[] { SpecialTokenRole.Mask, SpecialTokenRole.Cls, SpecialTokenRole.Sep, SpecialTokenRole.Pad }.Select(r => t.Specials.IdOf(r)),
            Is.EqualTo(new int?[] { 50257, 50258, 50259, 50260 }));
        Assert.That(t.VocabSize, Is.EqualTo(50261));
        Assert.That(t.Decode([50257, 50256]), Is.EqualTo("[MASK]<|endoftext|>"));
        TokenizerStore.Save(t, _dir.Path("gpt2-specials"));
        var loaded = TokenizerStore.Load(_dir.Path("gpt2-specials"));
        Assert.That(loaded.Specials.All, Is.EqualTo(t.Specials.All));
        Assert.That(loaded.Fingerprint, Is.EqualTo(t.Fingerprint));
        Assert.That(loaded.Fingerprint, Is.Not.EqualTo(TokenizerStore.Open("gpt2").Fingerprint));
    }

    [TestCase("gpt2", "gpt2")]
    [TestCase("r50k", "r50k_base")]
    [TestCase("cl100k", "cl100k_base")]
    [TestCase("o200k", "o200k_base")]
    public void Named_encodings_give_the_ids_of_Microsoft_ML_Tokenizers(string name, string encoding)
    {
        var ours = TokenizerStore.Open(name);
        var ml = name == "gpt2" ? TiktokenTokenizer.CreateForModel("gpt2") : TiktokenTokenizer.CreateForEncoding(encoding);
        var text = TestText.MobyDick[..120_000] + string.Concat(TestText.Edge.Where(e => !e.Contains("<|")));
        Assert.That(ours.Encode(text), Is.EqualTo(ml.EncodeToIds(text)), "split pattern or ranks differ from Microsoft.ML.Tokenizers'");
    }

    [Test]
    public void Other_toolkits_rank_file_loads_from_a_directory_or_a_path()
    {
        var foreign = _dir.Path("foreign-tiktoken");
        Directory.CreateDirectory(foreign);
        File.Copy(Path.Combine(_saved, ByteLevelBpeTokenizer.RankFile), Path.Combine(foreign, "mine.tiktoken"));
        var fromDir = TokenizerStore.Open(foreign);
        Assert.That(fromDir.Kind, Is.EqualTo("tiktoken"));
        Assert.That(fromDir.Encode(_sample), Is.EqualTo(_trained.Encode(_sample)));
        Assert.That(TokenizerStore.Open(Path.Combine(foreign, "mine.tiktoken")).Encode("call me Ishmael"), Is.EqualTo(_trained.Encode("call me Ishmael")));
        TokenizerStore.Save(fromDir, _dir.Path("foreign-saved"));
        Assert.That(TokenizerStore.Load(_dir.Path("foreign-saved")).Encode(_sample), Is.EqualTo(_trained.Encode(_sample)));
    }

    [Test]
    public void Gpt2_style_vocab_and_merges_load_with_or_without_a_hugging_face_tokenizer_json()
    {
        ForeignFiles.WriteVocabMerges(_dir.Path("vm"));
        var pairOnly = _dir.Path("vm-pair-only");
        Directory.CreateDirectory(pairOnly);
        foreach (var f in new[] { "vocab.json", "merges.txt" }) File.Copy(_dir.Path("vm", f), Path.Combine(pairOnly, f));
        Assert.That(TokenizerStore.Open(pairOnly).Encode("he the"), Is.EqualTo(new[] { 257, 258 }));
        var t = TokenizerStore.Open(_dir.Path("vm"));
        Assert.That(t, Is.InstanceOf<VocabMergesTokenizer>());
        Assert.That(t.Encode(" the"), Is.EqualTo(new[] { 258 }));
        Assert.That(t.Encode("he the"), Is.EqualTo(new[] { 257, 258 }));
        Assert.That(t.Specials.IdOf(SpecialTokenRole.EndOfText), Is.EqualTo(259));
        TokenizerStore.Save(t, _dir.Path("vm-saved"));
        var loaded = TokenizerStore.Load(_dir.Path("vm-saved"));
        Assert.That(loaded.Encode("he the 日本"), Is.EqualTo(t.Encode("he the 日本")));
        Assert.That(loaded.Fingerprint, Is.EqualTo(t.Fingerprint));
    }

    [Test]
    public void Bert_vocab_txt_loads_as_uncased_wordpiece()
    {
        ForeignFiles.WriteBertVocab(_dir.Path("bert"));
        var t = (WordPieceTextTokenizer)TokenizerStore.Open(_dir.Path("bert"));
        Assert.That(t.LowerCase, Is.True);
        Assert.That(t.Encode("The whales."), Is.EqualTo(new[] { 5, 6, 7, 10 }));
        Assert.That(t.Encode("zebra"), Is.EqualTo(new[] { 1 }));
        Assert.That(t.Encode("a [MASK] whale"), Does.Not.Contain(4), "special-token text in the input is ordinary text");
        Assert.That(t.Decode([5, 6, 7, 10]), Is.EqualTo("the whales."));
        Assert.That(t.Specials.IdOf(SpecialTokenRole.Mask), Is.EqualTo(4));
        Assert.That(t.Specials.IdOf(SpecialTokenRole.Cls), Is.EqualTo(2));
        var stats = TokenizerStats.Measure(t, "the white zebra");
        Assert.That(stats.UnknownRate, Is.EqualTo(1.0 / 3).Within(1e-9));
        TokenizerStore.Save(t, _dir.Path("bert-saved"));
        Assert.That(TokenizerStore.Load(_dir.Path("bert-saved")).Encode("The whales."), Is.EqualTo(new[] { 5, 6, 7, 10 }));
    }

    [Test]
    public void Character_tokenizer_still_saves_and_loads()
    {
        var t = CharTokenizer.Train("hello world");
        TokenizerStore.Save(t, _dir.Path("char"));
        Assert.That(TokenizerStore.Open(_dir.Path("char")).Encode("world hello"), Is.EqualTo(t.Encode("world hello")));
    }

    private string CopyOf(string source, string name)
    {
        var target = _dir.Path(name);
        Directory.CreateDirectory(target);
        foreach (var f in Directory.GetFiles(source)) File.Copy(f, Path.Combine(target, Path.GetFileName(f)));
        return target;
    }
}
