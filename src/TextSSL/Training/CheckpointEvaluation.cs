using TextSSL.Modeling;
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
    /// Loads the checkpoint at <paramref name="modelPath"/> (a checkpoint or a run directory: best/, else last/) onto
    /// <see cref="EvaluateOptions.Device"/> and scores it with <see cref="Evaluate"/>.
    /// </summary>
    /// <exception cref="OptionException">An option is out of range.</exception>
    /// <exception cref="TextSslException">Missing or corrupt checkpoint, unreadable data, or a block size the model cannot take.</exception>
    public static CheckpointEvaluationResult Run(string modelPath, string dataPath, EvaluateOptions options, CancellationToken cancellationToken = default)
    {
        Validate(options);
        using var model = PretrainedModel.Load(modelPath, DeviceSelector.Resolve(options.Device));
        return model.Evaluate(dataPath, options, cancellationToken);
    }

    /// <summary>
    /// Encodes <paramref name="dataPath"/> with the model's tokenizer and returns the mean cross-entropy over every
    /// token of the split in consecutive non-overlapping windows of the block size (masked-LM: over the positions chosen
    /// by fixed evaluation masks), with perplexity. Runs where the model is (<see cref="EvaluateOptions.Device"/> is not
    /// used); the model's precision is restored afterwards.
    /// </summary>
    /// <param name="model">The loaded model.</param>
    /// <param name="dataPath">A .txt file, a directory of .txt files, or a token-shard directory.</param>
    /// <param name="options">Split, validation fraction, batch, block size and precision.</param>
    /// <param name="cancellationToken">Checked between batches.</param>
    /// <exception cref="OptionException">An option is out of range for this model.</exception>
    /// <exception cref="TextSslException">Unreadable data.</exception>
    public static CheckpointEvaluationResult Evaluate(this PretrainedModel model, string dataPath, EvaluateOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        Validate(options);
        var dtype = options.Dtype == "bf16" ? ScalarType.BFloat16 : ScalarType.Float32;
        var block = options.BlockSize ?? model.Config.BlockSize;
        if (block < 1 || block > model.Config.BlockSize)
            throw new OptionException(nameof(EvaluateOptions.BlockSize), $"BlockSize {block} does not fit the model's {model.Config.BlockSize} positions; use 1..{model.Config.BlockSize}.");
        var data = TrainingData.Load(dataPath, model.Tokenizer, options.ValidationFraction);
        var stream = options.Split == "train" ? data.Train : data.Validation;
        var task = PretextTasks.Create(model.Task, model.Tokenizer, seed: 0);
        task.Validate(stream, block, options.Split);
        var previous = model.Model.Precision.Dtype;
        model.Model.Precision.Dtype = dtype;
        try
        {
            var result = Evaluation.Evaluate(model.Model, task, stream, options.BatchSize, block, model.Device, null, cancellationToken);
            return new CheckpointEvaluationResult(result, model.Directory, model.Task, block, $"{data.Description}, {options.Split} split");
        }
        finally { model.Model.Precision.Dtype = previous; }
    }

    private static void Validate(EvaluateOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Split is not ("validation" or "train"))
            throw new OptionException(nameof(EvaluateOptions.Split), $"Split '{options.Split}' is unknown. Choose validation or train.");
        if (!double.IsFinite(options.ValidationFraction) || options.ValidationFraction <= 0 || options.ValidationFraction >= 1)
            throw new OptionException(nameof(EvaluateOptions.ValidationFraction), $"ValidationFraction must be between 0 and 1, both excluded (got {options.ValidationFraction}).");
        OptionException.CheckRange(nameof(EvaluateOptions.BatchSize), options.BatchSize, 1, 65_536);
        if (options.BlockSize is { } b) OptionException.CheckRange(nameof(EvaluateOptions.BlockSize), b, 1, int.MaxValue);
        if (options.Dtype is not ("fp32" or "bf16"))
            throw new OptionException(nameof(EvaluateOptions.Dtype), $"Dtype '{options.Dtype}' is unknown. Choose fp32 or bf16.");
    }
}
