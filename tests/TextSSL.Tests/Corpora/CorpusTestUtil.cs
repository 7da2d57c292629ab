using System.Text;
using TextSSL.Corpora;
using TextSSL.Tokenization;

namespace TextSSL.Tests.Corpora;

/// <summary>A temporary directory deleted with the test.</summary>
internal sealed class TempDir : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("textssl-corpora-").FullName;
    public string this[string name] => System.IO.Path.Combine(Path, name);
    public string Write(string name, string text) => WriteBytes(name, Encoding.UTF8.GetBytes(text));
    public string WriteBytes(string name, byte[] bytes)
    {
        var p = this[name];
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(p)!);
        File.WriteAllBytes(p, bytes);
        return p;
    }
    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { }
    }
}

internal static class CorpusTestUtil
{
    public static async Task<List<RawDocument>> ReadAll(SourceSpec spec, ErrorPolicy policy = ErrorPolicy.Fail, CorpusErrors? errors = null)
    {
        var list = new List<RawDocument>();
        await foreach (var d in CorpusReader.ReadAsync([spec], errors ?? new CorpusErrors(policy))) list.Add(d);
        return list;
    }

    /// <summary>Deterministic pseudo-random English-like documents (distinct vocabulary draws).</summary>
    public static List<string> Documents(int count, int words, int seed)
    {
        var rng = new Random(seed);
        string[] vocab = ["whale", "sea", "ship", "captain", "harpoon", "ocean", "wind", "sail", "deck", "crew", "storm", "night", "white", "great",
                          "boat", "line", "water", "voyage", "island", "port", "mast", "rope", "anchor", "wave", "moon", "star", "fish", "oil", "bone", "iron"];
        return Enumerable.Range(0, count).Select(_ =>
            string.Join(' ', Enumerable.Range(0, words).Select(_ => vocab[rng.Next(vocab.Length)] + rng.Next(50)))).ToList();
    }

    public static CharTokenizer CharTokenizerFor(IEnumerable<string> texts) =>
        CharTokenizer.Train(string.Concat(texts) + "\n", SpecialTokens.StandardRoles);
}

/// <summary>A tokenizer with a vocabulary too large for uint16 (ids = code point + 70,000), to test uint32 shards with a non-char tokenizer.</summary>
internal sealed class WideTokenizer : TextTokenizer
{
    private const int Offset = 70_000;
    public override string Kind => "wide-test";
    public override int VocabSize => Offset + 0x110000; // every code point: the shards' ids stay inside the vocabulary
    public override SpecialTokens Specials { get; } = new([new SpecialToken("<|endoftext|>", 0, SpecialTokenRole.EndOfText)]);
    public override int[] Encode(string text) => text.EnumerateRunes().Select(r => r.Value + Offset).ToArray();
    public override string Decode(ReadOnlySpan<int> ids)
    {
        var sb = new StringBuilder();
        foreach (var id in ids) sb.Append(id == 0 ? "<|endoftext|>" : char.ConvertFromUtf32(id - Offset));
        return sb.ToString();
    }
    public override void Save(string directory)
    {
        Directory.CreateDirectory(directory);
        File.WriteAllText(System.IO.Path.Combine(directory, "wide.txt"), "wide v1\n");
    }
}
