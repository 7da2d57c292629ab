using System.Diagnostics;
using System.Text.Json;
using TextSSL.Tokenization;
using TextSSL.Tokenization.Bpe;
using TextSSL.Tokenization.Pretrained;

namespace TextSSL.Tests.Tokenization;

/// <summary>
/// Compares TextSSL with Hugging Face's Rust tokenizers (the npm package in tools/hf-oracle; <c>npm install</c> there
/// first, which .ci/run does): tokenizer.json files TextSSL writes must give Hugging Face the same ids, and files
/// Hugging Face trains must give TextSSL the same ids. Ignored when node or the package is missing.
/// </summary>
[Category("Oracle")]
public class HuggingFaceOracleTests
{
    private TempDir _dir = null!;
    private string _oracle = null!;

    [OneTimeSetUp]
    public void FindOracle()
    {
        _oracle = Path.Combine(TestText.RepoRoot, "tools", "hf-oracle");
        if (!Directory.Exists(Path.Combine(_oracle, "node_modules", "@anush008", "tokenizers")))
            Assert.Ignore("the Hugging Face oracle is not installed: run `npm install` in tools/hf-oracle");
        try { Node("--version"); }
        catch (System.ComponentModel.Win32Exception) { Assert.Ignore("node is not on PATH"); }
        _dir = new TempDir();
    }

    [OneTimeTearDown]
    public void Clean() => _dir?.Dispose();

    /// <summary>The stress texts: the edge cases, contractions, whitespace runs, mixed scripts and Moby-Dick paragraphs.</summary>
    private static List<string> Texts()
    {
        var texts = new List<string>(TestText.Edge)
        {
            "I'VE been there; they'LL see, we'd go. You're it's DON'T", "x  \n\n   \n\t \r\n  y", new string('\n', 7) + "  " + new string(' ', 40),
            "1234567 12.5 3,000,000 ½ ٣٤٥", "CamelCaseWordsAndHTTPServer", "e\u0301t\u00e9 Å\u030A", "\0\0a\0 \u0001\u007F",
            "中文，标点。日本語！한국어?", "🙂🙃 👩🏾‍🚀 🇩🇪", "tab\t\ttabs\t", "    indented code();\n        more",
        };
        var moby = TestText.MobyDick;
        for (var i = 0; i < 60; i++) texts.Add(moby.Substring(1_000 + i * 19_000, 600 + i * 7));
        var rng = new Random(14);
        for (var i = 0; i < 300; i++) texts.Add(TestText.Random(rng, loneSurrogates: false));
        return texts;
    }

    [TestCase("gpt4")]
    [TestCase("gpt2")]
    [TestCase("o200k")]
    public void Hugging_Face_gives_a_TextSSL_trained_bpe_the_same_ids(string pattern)
    {
        var trained = new BpeTrainer(new BpeTrainerOptions(4096) { Pattern = pattern }).TrainTexts([TestText.MobyDick]).Tokenizer;
        var dir = _dir.Path("textssl-" + pattern);
        TokenizerStore.Save(trained, dir);
        CompareWithOracle(trained, Path.Combine(dir, "tokenizer.json"));
    }

    [Test]
    public void Hugging_Face_gives_cl100k_written_by_TextSSL_the_same_ids()
    {
        var cl100k = TokenizerStore.Open("cl100k");
        var dir = _dir.Path("cl100k");
        TextSSL.Tokenization.HuggingFace.HuggingFaceTokenizerFormat.Write(cl100k, dir);
        CompareWithOracle(cl100k, Path.Combine(dir, "tokenizer.json"));
    }

    [TestCase(false)]
    [TestCase(true)]
    public void Hugging_Face_gives_a_TextSSL_char_tokenizer_the_same_ids(bool replaceUnknown)
    {
        // without an unknown token, the vocabulary must cover every text; with one, only Moby-Dick's characters are known
        var chars = CharTokenizer.Train(TestText.MobyDick + (replaceUnknown ? "" : string.Concat(Texts())), SpecialTokens.StandardRoles, replaceUnknown);
        var dir = _dir.Path("char-" + replaceUnknown);
        TextSSL.Tokenization.HuggingFace.HuggingFaceTokenizerFormat.Write(chars, dir);
        CompareWithOracle(chars, Path.Combine(dir, "tokenizer.json"), compareDecoded: !replaceUnknown);
    }

    [Test]
    public void A_byte_level_bpe_trained_by_Hugging_Face_opens_in_TextSSL_with_the_same_ids()
    {
        var dir = _dir.Path("hf-bpe");
        Directory.CreateDirectory(dir);
        Node(Path.Combine(_oracle, "train.mjs"), "bpe", TestText.MobyDickPath, Path.Combine(dir, "tokenizer.json"));
        var opened = TokenizerStore.Open(dir);
        Assert.That(opened, Is.InstanceOf<VocabMergesTokenizer>());
        Assert.That(opened.Specials.IdOf(SpecialTokenRole.EndOfText), Is.Not.Null);
        CompareWithOracle(opened, Path.Combine(dir, "tokenizer.json"));
        TokenizerStore.Save(opened, _dir.Path("hf-bpe-saved"));
        var reloaded = TokenizerStore.Load(_dir.Path("hf-bpe-saved"));
        Assert.That(reloaded.Fingerprint, Is.EqualTo(opened.Fingerprint));
        Assert.That(reloaded.Encode(TestText.MobyDick[..50_000]), Is.EqualTo(opened.Encode(TestText.MobyDick[..50_000])));
    }

    [Test]
    public void A_wordpiece_trained_by_Hugging_Face_opens_in_TextSSL_with_the_same_ids()
    {
        var dir = _dir.Path("hf-wordpiece");
        Directory.CreateDirectory(dir);
        Node(Path.Combine(_oracle, "train.mjs"), "wordpiece", TestText.MobyDickPath, Path.Combine(dir, "tokenizer.json"));
        var opened = TokenizerStore.Open(dir);
        Assert.That(opened, Is.InstanceOf<WordPieceTextTokenizer>());
        Assert.That(opened.Specials.IdOf(SpecialTokenRole.Mask), Is.EqualTo(4));
        CompareWithOracle(opened, Path.Combine(dir, "tokenizer.json"), compareDecoded: false);
        // and written back by TextSSL, Hugging Face reads the same ids from it
        TextSSL.Tokenization.HuggingFace.HuggingFaceTokenizerFormat.Write(opened, _dir.Path("hf-wordpiece-rewritten"));
        CompareWithOracle(opened, _dir.Path("hf-wordpiece-rewritten", "tokenizer.json"), compareDecoded: false);
        TokenizerStore.Save(opened, _dir.Path("hf-wordpiece-saved"));
        Assert.That(TokenizerStore.Load(_dir.Path("hf-wordpiece-saved")).Encode("Call me Ishmael.\r\nnaïve café"), Is.EqualTo(opened.Encode("Call me Ishmael.\r\nnaïve café")));
    }

    private void CompareWithOracle(TextTokenizer ours, string tokenizerJson, bool compareDecoded = true)
    {
        var specials = ours.Specials.All.Select(s => s.Text).ToList();
        // Hugging Face splits special-token text out as special tokens; TextSSL encodes it as ordinary text
        var texts = Texts().Where(t => !specials.Any(s => t.Contains(s, StringComparison.Ordinal))).ToList();
        var textsFile = _dir.File(Guid.NewGuid().ToString("N") + ".json", JsonSerializer.Serialize(texts));
        using var result = JsonDocument.Parse(Node(Path.Combine(_oracle, "encode.mjs"), tokenizerJson, textsFile));
        var hfIds = result.RootElement.GetProperty("ids").EnumerateArray().Select(a => a.EnumerateArray().Select(e => e.GetInt32()).ToArray()).ToList();
        var hfDecoded = result.RootElement.GetProperty("decoded").EnumerateArray().Select(e => e.GetString()!).ToList();
        var idsEqual = 0;
        var decodedEqual = 0;
        var diffs = new List<string>();
        for (var i = 0; i < texts.Count; i++)
        {
            var ids = ours.Encode(texts[i]);
            if (ids.SequenceEqual(hfIds[i])) idsEqual++;
            else if (diffs.Count < 3) diffs.Add($"text {i} {JsonSerializer.Serialize(texts[i])}: TextSSL [{string.Join(",", ids)}] vs Hugging Face [{string.Join(",", hfIds[i])}]");
            if (ours.Decode(ids) == hfDecoded[i]) decodedEqual++;
        }
        TestContext.Out.WriteLine($"oracle {Path.GetFileName(Path.GetDirectoryName(tokenizerJson))}: {texts.Count} texts, ids equal {idsEqual}, decoded equal {decodedEqual}" +
                                  $" ({Texts().Count - texts.Count} texts with special-token text left out)");
        Assert.That(idsEqual, Is.EqualTo(texts.Count), string.Join("\n", diffs));
        if (compareDecoded) Assert.That(decodedEqual, Is.EqualTo(texts.Count));
    }

    private string Node(params string[] args)
    {
        var psi = new ProcessStartInfo("node", args) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = _oracle ?? "." };
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        var stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) Assert.Fail($"node {string.Join(' ', args)} exited with {p.ExitCode}: {stderr.Result}");
        return stdout;
    }
}
