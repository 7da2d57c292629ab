using TextSSL.Pretext;
using TextSSL.Runtime;
using static TorchSharp.torch;

namespace TextSSL.Training;

/// <summary>Options of <see cref="CheckpointEvaluation.Run"/>.</summary>
public sealed record EvaluateOptions
{
    /// <summary><c>validation</c> (default) or <c>train</c>.</summary>
    public string Split { get; init; } = "validation";

    /// <summary>Fraction of plain-text tokens, from the end, that forms the validation split (as in training).</summary>
    public double ValidationFraction { get; init; } = 0.1;

    /// <summary>Windows per forward pass.</summary>
    public int BatchSize { get; init; } = 32;

    /// <summary>Window length; null uses the model's context.</summary>
    public int? BlockSize { get; init; }

    /// <summary><c>auto</c>, <c>cpu</c>, <c>cuda</c> or <c>cuda:N</c>.</summary>
    public string Device { get; init; } = "auto";

    /// <summary><c>fp32</c> (default, exact) or <c>bf16</c> products.</summary>
    public string Dtype { get; init; } = "fp32";
}

/// <summary>What <see cref="CheckpointEvaluation.Run"/> measured, and on what.</summary>
/// <param name="Result">Loss, perplexity, tokens, accuracy.</param>
/// <param name="Checkpoint">The checkpoint directory read.</param>
/// <param name="Task">The checkpoint's task.</param>
/// <param name="BlockSize">The window length used.</param>
/// <param name="Data">The data and split.</param>
public sealed record CheckpointEvaluationResult(EvaluationResult Result, string Checkpoint, string Task, int BlockSize, string Data);

/// <summary>Scores a saved model on data, with the validation-loss definition every TextSSL figure uses.</summary>
public static class CheckpointEvaluation
{
    /// <summary>
    /// Loads the checkpoint at <paramref name="modelPath"/> (a checkpoint or a run directory: best/, else last/),
    /// encodes <paramref name="dataPath"/> with its tokenizer, and returns the mean cross-entropy over every token of
    /// the split in consecutive non-overlapping windows of the block size (masked-LM: over the positions chosen by
    /// fixed evaluation masks), with perplexity.
    /// </summary>
    /// <exception cref="TextSslException">Missing or corrupt checkpoint, unreadable data, or a block size the model cannot take.</exception>
    public static CheckpointEvaluationResult Run(string modelPath, string dataPath, EvaluateOptions options, CancellationToken cancellationToken = default)
    {
        if (options.Split is not ("validation" or "train")) throw new TextSslException($"unknown split '{options.Split}'. Choose validation or train.");
        if (options.BatchSize < 1) throw new TextSslException($"--batch-size must be at least 1 (got {options.BatchSize}).");
        var device = DeviceSelector.Resolve(options.Device);
        using var loaded = ModelCheckpoint.Load(modelPath, device);
        loaded.Model.Precision.Dtype = options.Dtype switch
        {
            "fp32" => ScalarType.Float32,
            "bf16" => ScalarType.BFloat16,
            _ => throw new TextSslException($"unknown --dtype '{options.Dtype}'. Choose fp32 or bf16."),
        };
        var block = options.BlockSize ?? loaded.Model.Config.BlockSize;
        if (block < 1 || block > loaded.Model.Config.BlockSize)
            throw new TextSslException($"--block-size {block} does not fit the model's {loaded.Model.Config.BlockSize} positions; use 1..{loaded.Model.Config.BlockSize}.");
        var data = TrainingData.Load(dataPath, loaded.Tokenizer, options.ValidationFraction);
        var stream = options.Split == "train" ? data.Train : data.Validation;
        var task = PretextTasks.Create(loaded.Info.Task, loaded.Tokenizer, seed: 0);
        task.Validate(stream, block, options.Split);
        var result = Evaluation.Evaluate(loaded.Model, task, stream, options.BatchSize, block, device, null, cancellationToken);
        return new CheckpointEvaluationResult(result, loaded.Directory, loaded.Info.Task, block, $"{data.Description}, {options.Split} split");
    }
}
