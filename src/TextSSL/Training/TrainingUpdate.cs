namespace TextSSL.Training;

/// <summary>What a <see cref="TrainingUpdate"/> reports.</summary>
public enum TrainingUpdateKind
{
    /// <summary>The run is set up: model, data and where it starts.</summary>
    Started,
    /// <summary>A logging interval of training steps ended.</summary>
    Train,
    /// <summary>An evaluation finished.</summary>
    Eval,
    /// <summary>A checkpoint was written.</summary>
    Checkpoint,
}

/// <summary>Progress of a run, reported synchronously from the training thread (keep handlers quick).</summary>
/// <param name="Kind">What happened.</param>
/// <param name="Step">Optimizer steps completed.</param>
/// <param name="TotalSteps">Steps the run is to take.</param>
/// <param name="Message">A one-line description for a console.</param>
/// <param name="Metrics">The metrics row, for <see cref="TrainingUpdateKind.Train"/> and <see cref="TrainingUpdateKind.Eval"/>.</param>
/// <param name="Remaining">Estimated time to the end of training, when known.</param>
public sealed record TrainingUpdate(TrainingUpdateKind Kind, long Step, long TotalSteps, string Message, MetricsRow? Metrics, TimeSpan? Remaining);

/// <summary>How a run ended.</summary>
/// <param name="Step">Steps completed.</param>
/// <param name="Completed">True when all steps ran; false when stopped early (Ctrl-C or <see cref="PretrainingOptions.StopAfter"/>).</param>
/// <param name="LastCheckpoint">The <c>last/</c> checkpoint written.</param>
/// <param name="BestCheckpoint">The <c>best/</c> checkpoint, when an evaluation produced one.</param>
/// <param name="FinalEvaluation">The last evaluation, when one ran.</param>
/// <param name="BestValidationLoss">The best validation loss of the run.</param>
/// <param name="MillisecondsPerStep">Median training time per step over the logging intervals after the first (startup excluded).</param>
/// <param name="TokensPerSecond">Training throughput at that median.</param>
/// <param name="ParameterCount">The model's parameters.</param>
/// <param name="MetricsFile">The CSV log.</param>
public sealed record TrainingResult(
    long Step,
    bool Completed,
    string LastCheckpoint,
    string? BestCheckpoint,
    EvaluationResult? FinalEvaluation,
    double? BestValidationLoss,
    double? MillisecondsPerStep,
    double? TokensPerSecond,
    long ParameterCount,
    string MetricsFile);
