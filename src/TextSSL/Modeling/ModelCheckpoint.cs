using System.Security.Cryptography;
using System.Text.Json;
using TextSSL.Runtime;
using TextSSL.Tokenization;
using TorchSharp;

namespace TextSSL.Modeling;

/// <summary>What a checkpoint says about itself, stored as <c>model.json</c>.</summary>
/// <param name="FormatVersion">Checkpoint format version.</param>
/// <param name="Model">The model's shape.</param>
/// <param name="Task">The pretext task it was trained with (<c>clm</c>, <c>mlm</c>, ...).</param>
/// <param name="TokenizerFingerprint">Fingerprint of the tokenizer saved beside it.</param>
/// <param name="Step">Optimizer steps taken.</param>
/// <param name="ValidationLoss">Validation loss at <paramref name="Step"/>, when evaluated.</param>
public sealed record CheckpointInfo(
    int FormatVersion,
    TransformerConfig Model,
    string Task,
    string TokenizerFingerprint,
    long Step,
    double? ValidationLoss)
{
    /// <summary>
    /// SHA-256 (lower-case hex) of <c>model.bin</c>, filled in by <see cref="ModelCheckpoint.Save"/> and checked on load;
    /// null in checkpoints written before TextSSL recorded it (those load unchecked).
    /// </summary>
    public string? WeightsSha256 { get; init; }

    /// <summary>Size of <c>model.bin</c> in bytes, recorded with <see cref="WeightsSha256"/>.</summary>
    public long? WeightsBytes { get; init; }
}

/// <summary>
/// Saves and reads model checkpoints: a directory with <c>model.json</c> (metadata, including the SHA-256 of the
/// weights), <c>model.bin</c> (weights, TorchSharp format) and <c>tokenizer/</c>. Writes are atomic: a temporary
/// sibling directory is filled, then renamed over the old one, so a crash leaves the previous checkpoint intact.
/// Load a checkpoint for use with <see cref="PretrainedModel.Load"/>.
/// </summary>
public static class ModelCheckpoint
{
    /// <summary>The metadata file.</summary>
    public const string InfoFile = "model.json";

    /// <summary>The weights file.</summary>
    public const string WeightsFile = "model.bin";

    /// <summary>The tokenizer subdirectory.</summary>
    public const string TokenizerDirectory = "tokenizer";

    /// <summary>Current format version.</summary>
    public const int FormatVersion = 1;

    /// <summary>Saves model, tokenizer and metadata to <paramref name="directory"/> atomically.</summary>
    /// <param name="directory">The checkpoint directory (replaced if it exists).</param>
    /// <param name="model">The model (any device, any mode).</param>
    /// <param name="tokenizer">Its tokenizer.</param>
    /// <param name="info">Metadata; <see cref="CheckpointInfo.Model"/> must equal the model's config. The weights' hash and size are filled in here.</param>
    /// <param name="writeExtra">Writes further files (optimizer and RNG state) into the temporary directory before the rename.</param>
    public static void Save(string directory, Transformer model, TextTokenizer tokenizer, CheckpointInfo info, Action<string>? writeExtra = null) =>
        AtomicDirectory.Write(directory, temp =>
        {
            var weights = Path.Combine(temp, WeightsFile);
            model.save(weights);
            var (sha, bytes) = HashFile(weights);
            TokenizerStore.Save(tokenizer, Path.Combine(temp, TokenizerDirectory));
            writeExtra?.Invoke(temp);
            AtomicFile.WriteAllText(Path.Combine(temp, InfoFile), JsonSerializer.Serialize(info with { WeightsSha256 = sha, WeightsBytes = bytes }, ReadableJson.SnakeCase));
            FsyncDirectory(temp);
        });

    /// <summary>
    /// Finds the checkpoint directory: <paramref name="path"/> itself when it holds <c>model.json</c>,
    /// else its <c>best/</c>, else its <c>last/</c> (a training run's output directory).
    /// </summary>
    /// <exception cref="TextSslException">No checkpoint is there (<see cref="Interop.HuggingFaceDirectoryException"/> when it is a Hugging Face model directory).</exception>
    public static string Resolve(string path)
    {
        if (File.Exists(path)) throw new TextSslException($"model path '{path}' is a file; give the checkpoint directory (the one holding {InfoFile}) or a training run's output directory.");
        if (!Directory.Exists(path)) throw new TextSslException($"model directory '{path}' does not exist.");
        foreach (var candidate in new[] { path, Path.Combine(path, "best"), Path.Combine(path, "last") })
            if (File.Exists(Path.Combine(candidate, InfoFile))) return candidate;
        if (Interop.HuggingFaceImport.IsModelDirectory(path)) throw new Interop.HuggingFaceDirectoryException(path);
        throw new TextSslException($"'{path}' holds no checkpoint ({InfoFile} not found there, nor in best/ or last/). Give a directory written by a training run.");
    }

    /// <summary>Reads a checkpoint's metadata without loading weights.</summary>
    /// <exception cref="TextSslException">The file is missing, unreadable, corrupt or from a newer format.</exception>
    public static CheckpointInfo ReadInfo(string checkpointDirectory)
    {
        var path = Path.Combine(checkpointDirectory, InfoFile);
        try
        {
            var info = JsonSerializer.Deserialize<CheckpointInfo>(File.ReadAllText(path), TokenizerSidecar.Json)
                       ?? throw new TextSslException($"{path} is empty.");
            if (info.FormatVersion > FormatVersion)
                throw new TextSslException($"{path} has checkpoint format {info.FormatVersion}; this TextSSL reads up to {FormatVersion}. Upgrade TextSSL.");
            return info;
        }
        catch (JsonException ex) { throw new TextSslException($"{path} is corrupt (not valid checkpoint JSON): {ex.Message}", ex); }
        catch (IOException ex) { throw new TextSslException($"cannot read {path}: {ex.Message}", ex); }
        catch (UnauthorizedAccessException ex) { throw new TextSslException($"cannot read {path}: {ex.Message}", ex); }
    }

    /// <summary>
    /// Checks <c>model.bin</c> against the size and SHA-256 that <c>model.json</c> records, and returns its SHA-256.
    /// A checkpoint written before hashes were recorded passes unchecked (its hash is computed and returned).
    /// </summary>
    /// <param name="checkpointDirectory">The checkpoint directory (not a run directory).</param>
    /// <param name="info">Its metadata, from <see cref="ReadInfo"/>.</param>
    /// <exception cref="TextSslException">The weights file is missing, or differs from what was saved.</exception>
    public static string VerifyWeights(string checkpointDirectory, CheckpointInfo info)
    {
        var weights = Path.Combine(checkpointDirectory, WeightsFile);
        if (!File.Exists(weights)) throw new TextSslException($"checkpoint '{checkpointDirectory}' is missing {WeightsFile}; restore it from a copy or train again.");
        const string advice = "Restore the checkpoint from a copy, or train again (a run's other checkpoint, best/ or last/, may be intact).";
        if (info.WeightsBytes is { } expected && new FileInfo(weights).Length is var actual && actual != expected)
            throw new TextSslException($"checkpoint '{checkpointDirectory}': {weights} is corrupt: it holds {actual:N0} bytes, but {InfoFile} records {expected:N0}. {advice}");
        string sha;
        try { sha = HashFile(weights).Sha256; }
        catch (IOException ex) { throw new TextSslException($"cannot read {weights}: {ex.Message}", ex); }
        catch (UnauthorizedAccessException ex) { throw new TextSslException($"cannot read {weights}: {ex.Message}", ex); }
        if (info.WeightsSha256 is { } recorded && !string.Equals(recorded, sha, StringComparison.OrdinalIgnoreCase))
            throw new TextSslException($"checkpoint '{checkpointDirectory}': {weights} is corrupt: its SHA-256 differs from the one {InfoFile} records (the file was damaged or changed after saving). {advice}");
        return sha;
    }

    /// <summary>Reads, checks and loads the checkpoint in <paramref name="checkpointDirectory"/>; the handle's constructor does the rest.</summary>
    internal static (Transformer Model, TextTokenizer Tokenizer, CheckpointInfo Info, string WeightsSha256) Read(string checkpointDirectory, torch.Device device)
    {
        var dir = checkpointDirectory;
        var info = ReadInfo(dir);
        var tokenizerDir = Path.Combine(dir, TokenizerDirectory);
        if (!Directory.Exists(tokenizerDir))
            throw new TextSslException($"checkpoint '{dir}' has no {TokenizerDirectory}/ directory, and the model must read text exactly as in training. " +
                                       $"Restore the {TokenizerDirectory}/ directory saved with the checkpoint (or copy the one the model was trained with).");
        TorchRuntime.EnsureLoaded();
        var tokenizer = TokenizerStore.Load(tokenizerDir);
        if (tokenizer.Fingerprint != info.TokenizerFingerprint)
            throw new TextSslException($"checkpoint '{dir}': its tokenizer's fingerprint {tokenizer.Fingerprint} differs from the recorded {info.TokenizerFingerprint}.");
        var sha = VerifyWeights(dir, info);
        var model = new Transformer(info.Model);
        try
        {
            model.load(Path.Combine(dir, WeightsFile), strict: true);
        }
        catch (Exception ex) when (ex is not TextSslException)
        {
            model.Dispose();
            throw new TextSslException($"checkpoint '{dir}': {WeightsFile} is corrupt or does not match the model in {InfoFile} ({ex.Message.Split('\n')[0]}).", ex);
        }
        model.to(device);
        model.eval();
        return (model, tokenizer, info, sha);
    }

    /// <summary>SHA-256 (lower-case hex) and length of a file.</summary>
    internal static (string Sha256, long Bytes) HashFile(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
        return (Convert.ToHexStringLower(SHA256.HashData(stream)), stream.Length);
    }

    private static void FsyncDirectory(string dir)
    {
        // Files were flushed as written; a best-effort flush of each makes the rename publish complete data.
        foreach (var f in Directory.GetFiles(dir))
        {
            using var fs = new FileStream(f, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            fs.Flush(flushToDisk: true);
        }
    }
}
