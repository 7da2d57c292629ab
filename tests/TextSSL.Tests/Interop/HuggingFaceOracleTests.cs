using System.Diagnostics;
using System.Text.Json;
using TextSSL.Interop;
using TextSSL.Modeling;
using TextSSL.Runtime;
using TextSSL.Tests.Generation;
using TextSSL.Tests.Tokenization;
using TextSSL.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace TextSSL.Tests.Interop;

/// <summary>
/// Exported models scored by the plain-PyTorch GPT-2 in tools/hf-oracle/gpt2_reference.py. Needs Debian 13's
/// python3-torch and python3-safetensors at /usr/bin/python3 (not in CI, hence explicit):
/// <c>dotnet test tests/TextSSL.Tests -c Release --filter TestCategory=HfOracle</c>.
/// </summary>
[Explicit("needs /usr/bin/python3 with Debian's python3-torch and python3-safetensors")]
[Category("HfOracle")]
public class HuggingFaceOracleTests
{
    private const string Python = "/usr/bin/python3";

    [OneTimeSetUp]
    public void SetUp() => TorchRuntime.EnsureLoaded();

    [TestCase(false, ModelKind.Decoder, TestName = "Oracle: trained bias-free tied decoder (GPT-2)")]
    [TestCase(true, ModelKind.Decoder, TestName = "Oracle: decoder with biases and a separate head (GPT-2)")]
    [TestCase(false, ModelKind.Encoder, TestName = "Oracle: bias-free tied encoder (XLM-RoBERTa-XL)")]
    [TestCase(true, ModelKind.Encoder, TestName = "Oracle: encoder with biases and a separate head (XLM-RoBERTa-XL)")]
    public void Exported_logits_match_the_pytorch_reference(bool biasedUntied, ModelKind kind)
    {
        var dir = Directory.CreateTempSubdirectory("textssl-hforacle-").FullName;
        try
        {
            var tokenizer = TinyModels.Tokenizer();
            Transformer model;
            if (!biasedUntied && kind == ModelKind.Decoder) model = TinyModels.TrainedDecoder(tokenizer);
            else
            {
                manual_seed(5);
                model = new Transformer(TransformerConfig.Preset("tiny", kind, tokenizer.VocabSize) with { Bias = biasedUntied, TiedEmbeddings = !biasedUntied });
                using (no_grad())
                    foreach (var (_, p) in model.named_parameters()) p.add_(randn_like(p) * 0.3); // logits of order 1, every tensor non-trivial
            }
            using (model)
                ModelCheckpoint.Save(Path.Combine(dir, "ckpt"), model, tokenizer,
                    new CheckpointInfo(ModelCheckpoint.FormatVersion, model.Config, kind == ModelKind.Encoder ? "mlm" : "clm", tokenizer.Fingerprint, 0, null));
            var hf = HuggingFaceExport.Export(Path.Combine(dir, "ckpt"), Path.Combine(dir, "hf")).Directory;

            long[][] ids = [tokenizer.Encode("the cat sat on the mat.").Select(i => (long)i).ToArray(), tokenizer.Encode("a dog ate the log. the").Select(i => (long)i).ToArray()];
            var n = Math.Min(ids[0].Length, ids[1].Length);
            ids = [ids[0][..n], ids[1][..n]];
            using var loaded = PretrainedModel.Load(Path.Combine(dir, "ckpt"), torch.CPU);
            var logits = InteropFixtures.Logits(loaded.Model, ids);
            var v = loaded.Model.Config.VocabSize;
            var nested = ids.Select((_, b) => Enumerable.Range(0, n).Select(t => logits.AsSpan((b * n + t) * v, v).ToArray()).ToArray()).ToArray();
            var json = Path.Combine(dir, "textssl_logits.json");
            File.WriteAllText(json, JsonSerializer.Serialize(new { input_ids = ids, logits = nested }));

            var psi = new ProcessStartInfo(Python) { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var a in new[] { Path.Combine(TestText.RepoRoot, "tools", "hf-oracle", "gpt2_reference.py"), "compare", hf, json }) psi.ArgumentList.Add(a);
            using var process = Process.Start(psi)!;
            var output = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
            process.WaitForExit();
            TestContext.Out.WriteLine(output.Trim());
            Assert.That(process.ExitCode, Is.Zero, output);
            Assert.That(output, Does.Contain("max |logit difference|"));
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}
