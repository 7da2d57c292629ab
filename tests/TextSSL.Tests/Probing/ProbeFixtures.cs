using System.Text;
using TextSSL.Modeling;
using TextSSL.Probing;
using TextSSL.Tokenization;
using static TorchSharp.torch;

namespace TextSSL.Tests.Probing;

/// <summary>Tiny labelled data and tiny checkpoints for probe tests.</summary>
internal static class ProbeFixtures
{
    private static readonly string[] Sea = ["whale", "sea", "ship", "harpoon", "captain", "ocean", "sail", "wave", "deck", "crew"];
    private static readonly string[] Garden = ["garden", "flower", "tree", "seed", "soil", "bloom", "leaf", "root", "rose", "moss"];
    private static readonly string[] Filler = ["the", "a", "and", "of", "was", "in", "it", "on"];

    /// <summary>Short texts about the sea (label "sea") or gardens (label "garden").</summary>
    public static List<LabelledExample> TwoTopics(int perClass, int seed, long firstId = 0)
    {
        var rng = new Random(seed);
        var rows = new List<LabelledExample>();
        var id = firstId;
        for (var i = 0; i < perClass; i++)
            foreach (var (label, words) in new[] { ("sea", Sea), ("garden", Garden) })
            {
                var text = string.Join(' ', Enumerable.Range(0, 6 + rng.Next(5)).Select(_ => rng.Next(3) == 0 ? Filler[rng.Next(Filler.Length)] : words[rng.Next(words.Length)]));
                rows.Add(new LabelledExample(id++, text, label));
            }
        return rows;
    }

    /// <summary>Writes rows as a CSV with text,label[,split] columns.</summary>
    public static string WriteCsv(string path, IEnumerable<(string Text, string Label, string? Split)> rows, bool withSplit)
    {
        var sb = new StringBuilder(withSplit ? "text,label,split\n" : "text,label\n");
        foreach (var (text, label, split) in rows)
            sb.Append('"').Append(text.Replace("\"", "\"\"")).Append("\",").Append(label).Append(withSplit ? "," + split : "").Append('\n');
        File.WriteAllText(path, sb.ToString());
        return path;
    }

    /// <summary>A character tokenizer over lower-case letters, space and some punctuation, with the standard specials.</summary>
    public static CharTokenizer Tokenizer() =>
        CharTokenizer.Train("abcdefghijklmnopqrstuvwxyz ,.'!?", SpecialTokens.StandardRoles);

    /// <summary>A tiny untrained model of the given kind (2 layers, 32 dims, block 32).</summary>
    public static Transformer TinyModel(ModelKind kind, TextTokenizer tokenizer, int seed = 0)
    {
        manual_seed(seed);
        return new Transformer(TransformerConfig.Preset("tiny", kind, vocabSize: tokenizer.VocabSize));
    }

    /// <summary>Saves a tiny checkpoint to <paramref name="dir"/> and returns the directory.</summary>
    public static string SaveTinyCheckpoint(string dir, ModelKind kind = ModelKind.Encoder, int seed = 0)
    {
        var tokenizer = Tokenizer();
        using var model = TinyModel(kind, tokenizer, seed);
        ModelCheckpoint.Save(dir, model, tokenizer, new CheckpointInfo(ModelCheckpoint.FormatVersion, model.Config, kind == ModelKind.Encoder ? "mlm" : "clm", tokenizer.Fingerprint, 0, null));
        return dir;
    }

    /// <summary>A fresh temporary directory, deleted by the caller.</summary>
    public static string TempDir() => Directory.CreateTempSubdirectory("textssl-probe-test-").FullName;
}
