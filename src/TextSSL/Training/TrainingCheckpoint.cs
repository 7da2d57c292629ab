using System.Text.Json;
using TextSSL.Modeling;
using TextSSL.Tokenization;
using TextSSL.Training.Optimization;
using static TorchSharp.torch;

namespace TextSSL.Training;

/// <summary>
/// A training checkpoint: a <see cref="ModelCheckpoint"/> directory plus <c>optimizer.bin</c>,
/// <c>torch_rng.bin</c> (the CPU generator that drives dropout) and <c>trainer.json</c> (<see cref="TrainerState"/>),
/// all written into a temporary directory that is renamed into place.
/// </summary>
internal static class TrainingCheckpoint
{
    /// <summary>The trainer-state file.</summary>
    public const string StateFile = "trainer.json";

    /// <summary>The optimizer-state file.</summary>
    public const string OptimizerFile = "optimizer.bin";

    /// <summary>The torch CPU generator state.</summary>
    public const string RngFile = "torch_rng.bin";

    /// <summary>Writes a checkpoint to <paramref name="directory"/>, replacing the previous one only once complete.</summary>
    public static void Save(string directory, Modeling.Transformer model, TextTokenizer tokenizer, IParameterOptimizer optimizer,
                            TrainerState state, double? validationLoss)
    {
        var info = new CheckpointInfo(ModelCheckpoint.FormatVersion, model.Config, state.Task, tokenizer.Fingerprint, state.Step, validationLoss);
        ModelCheckpoint.Save(directory, model, tokenizer, info, temp =>
        {
            optimizer.SaveState(Path.Combine(temp, OptimizerFile));
            using var rng = get_rng_state();
            var bytes = rng.bytes.ToArray();
            AtomicFile.Write(Path.Combine(temp, RngFile), s => s.Write(bytes));
            AtomicFile.WriteAllText(Path.Combine(temp, StateFile), JsonSerializer.Serialize(state, ReadableJson.SnakeCase));
        });
    }

    /// <summary>
    /// Finds a run's <c>last/</c> checkpoint, first repairing what a crash during a save can leave: a
    /// half-written temporary directory (deleted) or a checkpoint moved aside just before the new one was
    /// renamed in (moved back).
    /// </summary>
    /// <returns>The directory, or null when the run has no checkpoint.</returns>
    public static string? FindLast(string outputDirectory) => Recover(Path.Combine(outputDirectory, "last"));

    /// <summary>Repairs <paramref name="directory"/> after an interrupted save (see <see cref="FindLast"/>); returns it when it holds a checkpoint.</summary>
    public static string? Recover(string directory)
    {
        var full = Path.GetFullPath(directory);
        var parent = Path.GetDirectoryName(full)!;
        var name = Path.GetFileName(full);
        if (!Directory.Exists(parent)) return null;
        foreach (var temp in Directory.GetDirectories(parent, $".{name}.tmp-*")) Directory.Delete(temp, recursive: true);
        var old = Directory.GetDirectories(parent, $".{name}.old-*");
        if (!Directory.Exists(full) && old.Length > 0) Directory.Move(old[0], full);
        else foreach (var o in old) Directory.Delete(o, recursive: true);
        return File.Exists(Path.Combine(full, ModelCheckpoint.InfoFile)) ? full : null;
    }

    /// <summary>Reads <c>trainer.json</c>.</summary>
    /// <exception cref="TextSslException">Missing or corrupt: the directory is not a training checkpoint.</exception>
    public static TrainerState ReadState(string directory)
    {
        var path = Path.Combine(directory, StateFile);
        if (!File.Exists(path))
            throw new TextSslException($"'{directory}' is a model checkpoint without training state ({StateFile}); it can be evaluated or sampled, not resumed.");
        try
        {
            return JsonSerializer.Deserialize<TrainerState>(File.ReadAllText(path), TokenizerSidecar.Json)
                   ?? throw new TextSslException($"{path} is empty.");
        }
        catch (JsonException ex) { throw new TextSslException($"{path} is corrupt: {ex.Message}", ex); }
    }

    /// <summary>Restores the optimizer state and the torch CPU generator from <paramref name="directory"/>.</summary>
    public static void RestoreOptimizerAndRng(string directory, IParameterOptimizer optimizer)
    {
        var optimizerPath = Path.Combine(directory, OptimizerFile);
        var rngPath = Path.Combine(directory, RngFile);
        if (!File.Exists(optimizerPath) || !File.Exists(rngPath))
            throw new TextSslException($"checkpoint '{directory}' lacks {OptimizerFile} or {RngFile}; it cannot be resumed exactly.");
        try { optimizer.LoadState(optimizerPath); }
        catch (Exception ex) when (ex is not TextSslException)
        {
            throw new TextSslException($"checkpoint '{directory}': {OptimizerFile} does not fit this model and optimizer ({ex.Message.Split('\n')[0]}).", ex);
        }
        using var state = tensor(File.ReadAllBytes(rngPath));
        set_rng_state(state);
    }
}
