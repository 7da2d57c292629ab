using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using TextSSL.Modeling;
using TextSSL.Tests.Tokenization;
using TextSSL.Tokenization;
using TextSSL.Tokenization.Pretrained;
using TextSSL.Training;
using static TorchSharp.torch;

namespace TextSSL.Tests.Interop;

/// <summary>
/// The golden tiny GPT-2 written by <c>tools/hf-oracle/gpt2_reference.py make-fixtures</c> (a plain-PyTorch GPT-2),
/// with the logits that reference computed, and helpers to build checkpoints and broken files.
/// </summary>
internal static class InteropFixtures
{
    public static string Root => Path.Combine(TestText.RepoRoot, "tests", "TextSSL.Tests", "Interop", "Fixtures");

    public static string Gpt2(string variant = "") => Path.Combine(Root, variant.Length == 0 ? "tiny-gpt2" : "tiny-gpt2-" + variant);

    public sealed record Expected(long[][] InputIds, Dictionary<string, float[,,]> Logits);

    /// <summary>The golden tiny XLM-RoBERTa-XL written by <c>tools/hf-oracle/xlmr_xl_pure.py make-fixture</c> (a pure-Python forward).</summary>
    public static string XlmRobertaXl() => Path.Combine(Root, "tiny-xlmr-xl");

    public static Expected ReadExpected(string file = "expected_logits.json")
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(Root, file)));
        var ids = doc.RootElement.GetProperty("input_ids").EnumerateArray().Select(r => r.EnumerateArray().Select(x => x.GetInt64()).ToArray()).ToArray();
        var logits = new Dictionary<string, float[,,]>();
        foreach (var p in doc.RootElement.EnumerateObject().Where(p => p.Name.StartsWith("logits_", StringComparison.Ordinal)))
        {
            var rows = p.Value.EnumerateArray().ToArray();
            var t = rows[0].GetArrayLength();
            var v = rows[0][0].GetArrayLength();
            var a = new float[rows.Length, t, v];
            for (var b = 0; b < rows.Length; b++)
                for (var i = 0; i < t; i++)
                {
                    var j = 0;
                    foreach (var x in rows[b][i].EnumerateArray()) a[b, i, j++] = (float)x.GetDouble();
                }
            logits[p.Name["logits_".Length..]] = a;
        }
        return new Expected(ids, logits);
    }

    public static float[] Logits(Transformer model, long[][] ids)
    {
        using var _ = no_grad();
        model.eval();
        using var input = tensor(ids.SelectMany(r => r).ToArray(), [ids.Length, ids[0].Length], ScalarType.Int64);
        using var logits = model.Forward(input);
        return logits.contiguous().data<float>().ToArray();
    }

    public static double MaxAbsDifference(float[] a, float[,,] b)
    {
        var flat = b.Cast<float>().ToArray();
        if (flat.Length != a.Length) throw new AssertionException($"{a.Length} logits vs {flat.Length} expected");
        return a.Zip(flat, (x, y) => Math.Abs((double)x - y)).Max();
    }

    public static double MaxAbsDifference(float[] a, float[] b)
    {
        Assert.That(a, Has.Length.EqualTo(b.Length));
        return a.Zip(b, (x, y) => Math.Abs((double)x - y)).Max();
    }

    /// <summary>The fixture's GPT-2 byte-level tokenizer (vocab.json + merges.txt).</summary>
    public static TextTokenizer Tokenizer() => VocabMergesTokenizer.FromDirectory(Gpt2());

    /// <summary>Saves a seeded untrained decoder checkpoint and returns its directory.</summary>
    public static string Checkpoint(string directory, TextTokenizer tokenizer, TransformerConfig config, int seed = 0)
    {
        manual_seed(seed);
        using var model = new Transformer(config);
        using (no_grad())
            foreach (var (name, p) in model.named_parameters())
                if (p.dim() < 2) p.add_(randn_like(p) * 0.1); // non-trivial LayerNorm weights and biases, so a mix-up shows
        ModelCheckpoint.Save(directory, model, tokenizer, new CheckpointInfo(ModelCheckpoint.FormatVersion, config, "clm", tokenizer.Fingerprint, 3, null));
        return directory;
    }

    /// <summary>A safetensors file whose header is <paramref name="headerJson"/> followed by <paramref name="dataBytes"/> zero bytes.</summary>
    public static void WriteRaw(string path, string headerJson, int dataBytes, long? claimedHeaderLength = null)
    {
        var header = Encoding.UTF8.GetBytes(headerJson);
        using var s = File.Create(path);
        Span<byte> len = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(len, (ulong)(claimedHeaderLength ?? header.Length));
        s.Write(len);
        s.Write(header);
        s.Write(new byte[dataBytes]);
    }

    /// <summary>Copies a fixture directory so a test may damage it.</summary>
    public static string CopyOf(string fixture, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var f in Directory.GetFiles(fixture)) File.Copy(f, Path.Combine(to, Path.GetFileName(f)));
        return to;
    }
}
