using System.Text.Json;
using System.Text.Json.Nodes;
using TextSSL.Modeling;
using TextSSL.Tokenization;
using TextSSL.Tokenization.HuggingFace;
using TextSSL.Tokenization.Pretrained;
using TorchSharp;

namespace TextSSL.Interop;

/// <summary>What an export wrote.</summary>
/// <param name="Directory">The output directory.</param>
/// <param name="Architecture">The Hugging Face architecture (<c>GPT2LMHeadModel</c> or <c>XLMRobertaXLForMaskedLM</c>).</param>
/// <param name="Files">The files written, relative to <paramref name="Directory"/>.</param>
/// <param name="Notes">What the user should know (e.g. tokenizer files that could not be written).</param>
public sealed record HuggingFaceExportResult(string Directory, string Architecture, IReadOnlyList<string> Files, IReadOnlyList<string> Notes);

/// <summary>
/// Writes a TextSSL checkpoint as a Hugging Face model directory: a decoder becomes <c>GPT2LMHeadModel</c>
/// (<c>config.json</c>, <c>model.safetensors</c>, <c>generation_config.json</c>), an encoder <c>XLMRobertaXLForMaskedLM</c>, with the TextSSL tokenizer copied into
/// <c>textssl-tokenizer/</c> and Hugging Face tokenizer files where TextSSL can write them.
/// </summary>
public static class HuggingFaceExport
{
    /// <summary>The file that marks a directory as written by this export (so a later export may replace it).</summary>
    public const string MarkerFile = "textssl-export.json";

    /// <summary>Where the checkpoint's own tokenizer directory is copied, unchanged.</summary>
    public const string TokenizerCopy = "textssl-tokenizer";

    /// <summary>Why an architecture cannot be exported, or null when it can.</summary>
    public static string? Blocker(TransformerConfig config)
    {
        if (config.Positions == PositionKind.Rotary)
            return "Positions is Rotary: GPT-2 and XLM-RoBERTa-XL have learned absolute positions only; train with learned positions to export.";
        return null;
    }

    /// <summary>Exports the checkpoint at <paramref name="modelPath"/> into <paramref name="outputDirectory"/>.</summary>
    /// <param name="modelPath">A checkpoint directory or a training run's directory (its best/, else last/).</param>
    /// <param name="outputDirectory">Created if absent; may exist only if empty or written by an earlier export (it is then replaced).</param>
    /// <param name="cancellationToken">Stops before writing.</param>
    /// <exception cref="TextSslException">The model cannot be expressed in a Hugging Face architecture, or the directory holds other files.</exception>
    public static HuggingFaceExportResult Export(string modelPath, string outputDirectory, CancellationToken cancellationToken = default)
    {
        CheckOutputDirectory(outputDirectory);
        var checkpoint = ModelCheckpoint.Resolve(modelPath);
        var info = ModelCheckpoint.ReadInfo(checkpoint);
        if (Blocker(info.Model) is { } blocker) throw new TextSslException($"cannot export '{checkpoint}' to Hugging Face: {blocker}");
        using var loaded = PretrainedModel.Load(checkpoint, torch.CPU);
        cancellationToken.ThrowIfCancellationRequested();

        var notes = new List<string>();
        var files = new List<string>();
        var tokenizer = loaded.Tokenizer;
        var encoder = info.Model.Kind == ModelKind.Encoder;
        var architecture = encoder ? "XLMRobertaXLForMaskedLM" : "GPT2LMHeadModel";
        var pad = tokenizer.Specials.IdOf(SpecialTokenRole.Pad);
        if (encoder && XlmRobertaXlLayout.Blocker(pad) is { } encoderBlocker)
            throw new TextSslException($"cannot export the encoder '{checkpoint}' to Hugging Face: {encoderBlocker}");
        var eos = tokenizer.Specials.IdOf(encoder ? SpecialTokenRole.Sep : SpecialTokenRole.EndOfText);
        var bos = encoder ? tokenizer.Specials.IdOf(SpecialTokenRole.Cls) : tokenizer.Specials.IdOf(SpecialTokenRole.BeginOfText) ?? eos; // GPT-2 uses <|endoftext|> for both
        if (eos is null && !encoder) notes.Add("the tokenizer has no end-of-text token: config.json has no bos/eos ids, so generation in transformers stops at max_length only.");
        if (info.Model.VocabSize > tokenizer.VocabSize)
            notes.Add($"vocab_size is the model's padded {info.Model.VocabSize} (the tokenizer has {tokenizer.VocabSize} ids); the tokenizer never produces ids from {tokenizer.VocabSize} up.");
        if (!info.Model.Bias) notes.Add($"the model has no biases; {(encoder ? "XLM-RoBERTa-XL" : "GPT-2")}'s bias tensors are written as zeros.");
        if (encoder) notes.Add($"positions are numbered from pad_token_id + 1 = {pad + 1} as RoBERTa does: pass input_ids (not inputs_embeds) so transformers derives them.");

        AtomicDirectory.Write(outputDirectory, temp =>
        {
            var weights = encoder ? XlmRobertaXlLayout.Export(loaded.Model, pad!.Value) : Gpt2Layout.Export(loaded.Model);
            try { SafetensorsFile.Write(Path.Combine(temp, HuggingFaceWeights.SingleFile), weights); }
            finally { foreach (var (_, t) in weights) t.Dispose(); }
            files.Add(HuggingFaceWeights.SingleFile);

            WriteJson(Path.Combine(temp, Gpt2Config.FileName), encoder
                ? XlmRobertaXlLayout.Config(info.Model, pad!.Value, bos, eos, tokenizer.Specials.IdOf(SpecialTokenRole.Mask))
                : Gpt2Config.Write(info.Model, bos, eos));
            files.Add(Gpt2Config.FileName);
            if (!encoder)
            {
                WriteJson(Path.Combine(temp, "generation_config.json"), new JsonObject
                {
                    ["_from_model_config"] = true,
                    ["bos_token_id"] = bos,
                    ["eos_token_id"] = eos,
                });
                files.Add("generation_config.json");
            }

            CopyDirectory(Path.Combine(loaded.Directory, ModelCheckpoint.TokenizerDirectory), Path.Combine(temp, TokenizerCopy));
            files.Add(TokenizerCopy + "/");
            files.AddRange(WriteTokenizerFiles(tokenizer, info.Model.BlockSize, temp, notes));

            WriteJson(Path.Combine(temp, MarkerFile), new JsonObject
            {
                ["format"] = "hf",
                ["architecture"] = architecture,
                ["source_checkpoint"] = Path.GetRelativePath(Path.GetFullPath(outputDirectory), Path.GetFullPath(loaded.Directory)).Replace('\\', '/'),
                ["step"] = info.Step,
                ["files"] = new JsonArray(files.Select(f => (JsonNode?)f).ToArray()),
            });
        });
        return new HuggingFaceExportResult(Path.GetFullPath(outputDirectory), architecture, [.. files, MarkerFile], notes);
    }

    /// <summary>
    /// Writes the Hugging Face tokenizer files that TextSSL can produce for <paramref name="tokenizer"/>.
    /// </summary>
    private static IEnumerable<string> WriteTokenizerFiles(TextTokenizer tokenizer, int maxLength, string directory, List<string> notes)
    {
        if (HuggingFaceTokenizerFormat.CanWrite(tokenizer)) return HuggingFaceTokenizerFormat.Write(tokenizer, directory, maxLength);
        notes.Add($"a '{tokenizer.Kind}' tokenizer has no Hugging Face form with the same ids: no Hugging Face tokenizer files were written (TextSSL's tokenizer is in {TokenizerCopy}/).");
        return [];
    }

    private static void CheckOutputDirectory(string directory)
    {
        if (File.Exists(directory)) throw new TextSslException($"'{directory}' is a file; the export needs a directory.");
        if (!Directory.Exists(directory) || !Directory.EnumerateFileSystemEntries(directory).Any()) return;
        if (!File.Exists(Path.Combine(directory, MarkerFile)))
            throw new TextSslException($"'{directory}' is not empty and was not written by a TextSSL export ({MarkerFile} is absent); choose an empty or new directory.");
    }

    private static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var f in Directory.GetFiles(from)) File.Copy(f, Path.Combine(to, Path.GetFileName(f)));
        foreach (var d in Directory.GetDirectories(from)) CopyDirectory(d, Path.Combine(to, Path.GetFileName(d)));
    }

    internal static void WriteJson(string path, JsonNode node) =>
        AtomicFile.WriteAllText(path, node.ToJsonString(ReadableJson.Plain) + "\n");
}
