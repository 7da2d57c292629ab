using System.Text;
using System.Text.Json;

namespace TextSSL.Tests.Tokenization;

/// <summary>Writes small tokenizer files in other toolkits' formats.</summary>
internal static class ForeignFiles
{
    /// <summary>GPT-2's byte → printable char table: printable Latin-1 bytes map to themselves, the rest to U+0100 onwards in byte order.</summary>
    public static char[] ByteToUnicode()
    {
        var map = new char[256];
        var next = 256;
        for (var b = 0; b < 256; b++)
        {
            var printable = b is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;
            map[b] = printable ? (char)b : (char)next++;
        }
        return map;
    }

    /// <summary>A GPT-2-style vocab.json + merges.txt: the 256 bytes, merges "Ġ t", "h e", "Ġt he", and &lt;|endoftext|&gt;; plus the Hugging Face tokenizer.json GPT-2 ships beside them, with the same vocabulary.</summary>
    public static void WriteVocabMerges(string dir)
    {
        Directory.CreateDirectory(dir);
        var map = ByteToUnicode();
        var vocab = new Dictionary<string, int>();
        for (var b = 0; b < 256; b++) vocab[map[b].ToString()] = b;
        vocab["Ġt"] = 256;
        vocab["he"] = 257;
        vocab["Ġthe"] = 258;
        vocab["<|endoftext|>"] = 259;
        File.WriteAllText(Path.Combine(dir, "vocab.json"), JsonSerializer.Serialize(vocab), new UTF8Encoding(false));
        File.WriteAllText(Path.Combine(dir, "merges.txt"), "#version: 0.2\nĠ t\nh e\nĠt he\n", new UTF8Encoding(false));
        var hf = new
        {
            version = "1.0",
            added_tokens = new[] { new { id = 259, content = "<|endoftext|>", special = true } },
            normalizer = (object?)null,
            pre_tokenizer = new { type = "ByteLevel", add_prefix_space = false, trim_offsets = true, use_regex = true },
            decoder = new { type = "ByteLevel", add_prefix_space = false, trim_offsets = true, use_regex = true },
            model = new { type = "BPE", dropout = (object?)null, vocab, merges = new[] { "Ġ t", "h e", "Ġt he" } },
        };
        File.WriteAllText(Path.Combine(dir, "tokenizer.json"), JsonSerializer.Serialize(hf), new UTF8Encoding(false));
    }

    /// <summary>A tiny uncased BERT vocab.txt.</summary>
    public static void WriteBertVocab(string dir)
    {
        Directory.CreateDirectory(dir);
        File.WriteAllLines(Path.Combine(dir, "vocab.txt"), ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "whale", "##s", "white", "a", ".", ","]);
    }
}
