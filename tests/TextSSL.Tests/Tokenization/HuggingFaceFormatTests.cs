using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using TextSSL.Tokenization;
using TextSSL.Tokenization.Bpe;
using TextSSL.Tokenization.HuggingFace;
using TextSSL.Tokenization.Pretrained;

namespace TextSSL.Tests.Tokenization;

public class HuggingFaceFormatTests
{
    private TempDir _dir = null!;
    private ByteLevelBpeTokenizer _trained = null!;
    private string _sample = null!;

    [OneTimeSetUp]
    public void TrainOnce()
    {
        _dir = new TempDir();
        _trained = new BpeTrainer(new BpeTrainerOptions(700)).TrainTexts([TestText.MobyDick[..120_000]]).Tokenizer;
        _sample = TestText.MobyDick[300_000..330_000] + string.Concat(TestText.Edge);
    }

    [OneTimeTearDown]
    public void Clean() => _dir.Dispose();

    /// <summary>The fingerprint formula of version 0.1, written out independently: sha256 over every file but fingerprint.txt.</summary>
    private static string OldFingerprintOf(string directory)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var file in Directory.GetFiles(directory).Order(StringComparer.Ordinal))
        {
            if (Path.GetFileName(file) == "fingerprint.txt") continue;
            sha.AppendData(Encoding.UTF8.GetBytes(Path.GetFileName(file) + "\n"));
            sha.AppendData(File.ReadAllBytes(file));
        }
        return "sha256:" + Convert.ToHexStringLower(sha.GetHashAndReset())[..32];
    }

    /// <summary>Turns a saved directory (bpe, char or tiktoken) into the layout version 0.1 wrote: the sidecar named tokenizer.json, no Hugging Face files.</summary>
    private string LegacyCopy(string saved, string name)
    {
        var legacy = _dir.Path(name);
        Directory.CreateDirectory(legacy);
        foreach (var f in Directory.GetFiles(saved))
        {
            var n = Path.GetFileName(f);
            if (n is "tokenizer.json" or "vocab.json" or "merges.txt" or "tokenizer_config.json" or "special_tokens_map.json") continue; // the Hugging Face files (bpe only)
            File.Copy(f, Path.Combine(legacy, n == TokenizerFiles.Sidecar ? TokenizerFiles.LegacySidecar : n));
        }
        return legacy;
    }

    [Test]
    public void The_fingerprint_comes_from_memory_and_equals_the_old_directory_hash()
    {
        foreach (var (name, tok) in new (string, TextTokenizer)[]
                 {
                     ("bpe", _trained), ("char", CharTokenizer.Train("hello world")), ("gpt2", TokenizerStore.Open("gpt2+specials")),
                 })
        {
            var saved = _dir.Path("fp-" + name);
            TokenizerStore.Save(tok, saved);
            var legacy = LegacyCopy(saved, "fp-legacy-" + name);
            // what 0.1 recorded for this tokenizer, computed by 0.1's formula over 0.1's layout
            var old = OldFingerprintOf(legacy);
            Assert.That(tok.Fingerprint, Is.EqualTo(old), name);
            Assert.That(File.ReadAllText(Path.Combine(saved, TokenizerFiles.FingerprintFile)).Trim(), Is.EqualTo(old), name);
            File.WriteAllText(Path.Combine(legacy, TokenizerFiles.FingerprintFile), old + "\n");
            var fromLegacy = TokenizerStore.Open(legacy);
            Assert.That(fromLegacy.Kind, Is.EqualTo(tok.Kind));
            Assert.That(fromLegacy.Fingerprint, Is.EqualTo(old));
            var sample = name == "char" ? "hello world hello" : _sample;
            Assert.That(fromLegacy.Encode(sample), Is.EqualTo(tok.Encode(sample)), name);
        }
    }

    [Test]
    public void A_saved_bpe_holds_Hugging_Face_files_beside_TextSSL_own()
    {
        var saved = _dir.Path("bpe-files");
        TokenizerStore.Save(_trained, saved);
        Assert.That(Directory.GetFiles(saved).Select(Path.GetFileName), Is.EquivalentTo(new[]
        {
            TokenizerFiles.Sidecar, ByteLevelBpeTokenizer.RankFile, TokenizerFiles.FingerprintFile,
            "tokenizer.json", "vocab.json", "merges.txt", "tokenizer_config.json", "special_tokens_map.json",
        }));
        using var hf = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(saved, "tokenizer.json")));
        var root = hf.RootElement;
        Assert.That(root.GetProperty("model").GetProperty("type").GetString(), Is.EqualTo("BPE"));
        Assert.That(root.GetProperty("model").GetProperty("vocab").GetProperty("Ġ").GetInt32(), Is.EqualTo(32), "byte 0x20 is written as Ġ");
        Assert.That(root.GetProperty("model").GetProperty("merges").GetArrayLength(), Is.EqualTo(700 - 256 - 5));
        var pre = root.GetProperty("pre_tokenizer").GetProperty("pretokenizers");
        Assert.That(pre[0].GetProperty("pattern").GetProperty("Regex").GetString(), Does.Contain(@"[^\r\n\p{L}\p{N}]?+\p{L}+").And.Not.Contain("(?>"));
        Assert.That(root.GetProperty("added_tokens").EnumerateArray().Select(t => (t.GetProperty("id").GetInt32(), t.GetProperty("content").GetString())),
            Is.EqualTo(_trained.Specials.All.Select(s => (s.Id, (string?)s.Text))));
        using var map = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(saved, "special_tokens_map.json")));
        Assert.That(map.RootElement.GetProperty("mask_token").GetString(), Is.EqualTo("[MASK]"));
        // TextSSL still reads its own files, and the Hugging Face files alone read back to the same ids
        Assert.That(TokenizerStore.Open(saved), Is.InstanceOf<ByteLevelBpeTokenizer>());
        var hfOnly = _dir.Path("bpe-hf-only");
        Directory.CreateDirectory(hfOnly);
        foreach (var f in new[] { "tokenizer.json", "special_tokens_map.json" }) File.Copy(Path.Combine(saved, f), Path.Combine(hfOnly, f));
        var read = TokenizerStore.Open(hfOnly);
        Assert.That(read, Is.InstanceOf<VocabMergesTokenizer>());
        Assert.That(read.Encode(_sample), Is.EqualTo(_trained.Encode(_sample)));
        Assert.That(read.Decode(read.Encode(_sample)), Is.EqualTo(_sample));
        Assert.That(read.Specials.All, Is.EqualTo(_trained.Specials.All));
        var pairOnly = _dir.Path("bpe-vocab-merges-only");
        Directory.CreateDirectory(pairOnly);
        foreach (var f in new[] { "vocab.json", "merges.txt" }) File.Copy(Path.Combine(saved, f), Path.Combine(pairOnly, f));
        Assert.That(TokenizerStore.Open(pairOnly).Encode("Call me Ishmael."), Is.EqualTo(_trained.Encode("Call me Ishmael.")));
    }

    [Test]
    public void Writing_a_vocab_txt_wordpiece_says_it_has_no_hugging_face_form_with_the_same_ids()
    {
        ForeignFiles.WriteBertVocab(_dir.Path("bert-for-hf"));
        Assert.That(() => HuggingFaceTokenizerFormat.Write(TokenizerStore.Open(_dir.Path("bert-for-hf")), _dir.Path("bert-hf")),
            Throws.InstanceOf<TextSslException>().With.Message.Contains("vocab.txt").And.Message.Contains("rules"));
        Assert.That(Directory.Exists(_dir.Path("bert-hf")), Is.False, "nothing is written");
    }

    [TestCase("""{"model":{"type":"Unigram","vocab":[]}}""", "model type 'Unigram'")]
    [TestCase("""{"normalizer":{"type":"NFC"},"pre_tokenizer":{"type":"ByteLevel"},"model":{"type":"BPE","vocab":{},"merges":[]}}""", "normalizer type 'NFC'")]
    [TestCase("""{"pre_tokenizer":{"type":"Metaspace"},"model":{"type":"BPE","vocab":{},"merges":[]}}""", "pre_tokenizer type 'Metaspace'")]
    [TestCase("""{"pre_tokenizer":{"type":"ByteLevel","add_prefix_space":true},"model":{"type":"BPE","vocab":{},"merges":[]}}""", "add_prefix_space")]
    [TestCase("""{"normalizer":{"type":"Lowercase"},"pre_tokenizer":{"type":"BertPreTokenizer"},"model":{"type":"WordPiece","vocab":{}}}""", "normalizer type 'Lowercase'")]
    [TestCase("""{"version":"1.0", "model": {"type": "BPE" """, "not valid JSON")]
    public void Unsupported_hugging_face_files_name_the_file_and_the_type(string json, string expected)
    {
        var dir = _dir.Path("bad-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "tokenizer.json"), json);
        Assert.That(() => TokenizerStore.Open(dir), Throws.InstanceOf<TextSslException>()
            .With.Message.Contains(Path.Combine(dir, "tokenizer.json")).And.Message.Contains(expected));
    }

    [Test]
    public void Split_patterns_translate_between_dotnet_and_oniguruma()
    {
        Assert.That(HfRegex.ToHuggingFace(SplitPatterns.Gpt4),
            Is.EqualTo(@"'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]++[\r\n]*|\s*[\r\n]|\s+(?!\S)|\s+"), "tiktoken's published cl100k pattern");
        foreach (var p in new[] { SplitPatterns.Gpt4, SplitPatterns.Gpt2, SplitPatterns.O200k })
            Assert.That(HfRegex.FromHuggingFace(HfRegex.ToHuggingFace(p)), Is.EqualTo(p));
        Assert.That(HfRegex.FromHuggingFace(@"\p{L}++|[a-z]*+x"), Is.EqualTo(@"(?>\p{L}+)|(?>[a-z]*)x"));
    }
}
