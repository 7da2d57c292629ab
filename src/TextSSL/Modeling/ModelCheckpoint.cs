using System.Text.Json;
using TextSSL.Modeling;
using TextSSL.Runtime;
using TextSSL.Tokenization;
using TorchSharp;

namespace TextSSL.Training;

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
    double? ValidationLoss);

/// <summary>A model loaded from a checkpoint, with its tokenizer.</summary>
/// <param name="Model">The model, on the requested device, in eval mode.</param>
/// <param name="Tokenizer">The tokenizer it was trained with.</param>
/// <param name="Info">The checkpoint's metadata.</param>
/// <param name="Directory">The checkpoint directory that was read.</param>
public sealed record LoadedModel(Transformer Model, TextTokenizer Tokenizer, CheckpointInfo Info, string Directory) : IDisposable
{
    /// <inheritdoc/>
    public void Dispose() => Model.Dispose();
}

/// <summary>
/// Saves and loads model checkpoints: a directory with <c>model.json</c> (metadata), <c>model.bin</c>
/// (weights, TorchSharp format) and <c>tokenizer/</c>. Writes are atomic: a temporary sibling directory is
/// filled, then renamed over the old one, so a crash leaves the previous checkpoint intact.
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
    /// <param name="info">Metadata; <see cref="CheckpointInfo.Model"/> must equal the model's config.</param>
    /// <param name="writeExtra">Writes further files (optimizer and RNG state) into the temporary directory before the rename.</param>
    public static void Save(string directory, Transformer model, TextTokenizer tokenizer, CheckpointInfo info, Action<string>? writeExtra = null) =>
        AtomicDirectory.Write(directory, temp =>
        {
            model.save(Path.Combine(temp, WeightsFile));
            TokenizerStore.Save(tokenizer, Path.Combine(temp, TokenizerDirectory));
            writeExtra?.Invoke(temp);
            AtomicFile.WriteAllText(Path.Combine(temp, InfoFile), JsonSerializer.Serialize(info, TokenizerSidecar.Json));
            FsyncDirectory(temp);
        });

    /// <summary>
    /// Finds the checkpoint directory: <paramref name="path"/> itself when it holds <c>model.json</c>,
    /// else its <c>best/</c>, else its <c>last/</c> (a training run's output directory).
    /// </summary>
    /// <exception cref="TextSslException">No checkpoint is there.</exception>
    public static string Resolve(string path)
    {
        if (!Directory.Exists(path)) throw new TextSslException($"model directory '{path}' does not exist.");
        foreach (var candidate in new[] { path, Path.Combine(path, "best"), Path.Combine(path, "last") })
            if (File.Exists(Path.Combine(candidate, InfoFile))) return candidate;
        throw new TextSslException($"'{path}' holds no checkpoint ({InfoFile} not found there, nor in best/ or last/). Point --model at a directory written by `textssl train`.");
    }

    /// <summary>Reads a checkpoint's metadata without loading weights.</summary>
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
    }

    /// <summary>Loads a checkpoint onto <paramref name="device"/> in eval mode.</summary>
    /// <param name="path">A checkpoint directory or a training run's output directory (see <see cref="Resolve"/>).</param>
    /// <param name="device">Where to put the model.</param>
    /// <exception cref="TextSslException">Missing, corrupt or mismatched files.</exception>
    public static LoadedModel Load(string path, torch.Device device)
    {
        var dir = Resolve(path);
        var info = ReadInfo(dir);
        TorchRuntime.EnsureLoaded();
        var tokenizer = TokenizerStore.Load(Path.Combine(dir, TokenizerDirectory));
        if (tokenizer.Fingerprint != info.TokenizerFingerprint)
            throw new TextSslException($"checkpoint '{dir}': its tokenizer's fingerprint {tokenizer.Fingerprint} differs from the recorded {info.TokenizerFingerprint}.");
        var weights = Path.Combine(dir, WeightsFile);
        if (!File.Exists(weights)) throw new TextSslException($"checkpoint '{dir}' is missing {WeightsFile}.");
        var model = new Transformer(info.Model);
        try
        {
            model.load(weights, strict: true);
        }
        catch (Exception ex) when (ex is not TextSslException)
        {
            model.Dispose();
            throw new TextSslException($"checkpoint '{dir}': {WeightsFile} is corrupt or does not match the model in {InfoFile} ({ex.Message.Split('\n')[0]}).", ex);
        }
        model.to(device);
        model.eval();
        return new LoadedModel(model, tokenizer, info, dir);
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
