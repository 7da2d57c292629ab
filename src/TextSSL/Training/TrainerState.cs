namespace TextSSL.Training;

/// <summary>
/// What a training checkpoint holds beyond the model, optimizer and torch generator: where the run stands
/// (<c>trainer.json</c>). With these files a resumed run continues bit for bit on the CPU.
/// </summary>
/// <param name="FormatVersion">Format version of this file.</param>
/// <param name="Step">Optimizer steps completed.</param>
/// <param name="EvaluatedStep">The step whose evaluation is already done (so a resume does not repeat it).</param>
/// <param name="BestValidationLoss">The best validation loss so far.</param>
/// <param name="BestStep">The step of <paramref name="BestValidationLoss"/>.</param>
/// <param name="TokensSeen">Training positions processed so far.</param>
/// <param name="Task">The task's name.</param>
/// <param name="TaskState">The task's sampling state (data position and generator).</param>
/// <param name="TrainTokens">Size of the training split, to detect different data on resume.</param>
/// <param name="ValidationTokens">Size of the validation split.</param>
/// <param name="Data">Where the data came from.</param>
/// <param name="Options">The options the run was started or last resumed with.</param>
/// <param name="WorldSize">Number of data-parallel ranks that trained up to this checkpoint (1 in a single process).</param>
/// <param name="DataFingerprint">
/// <see cref="TrainingData.Fingerprint"/> of the data the run trains on, so that a resume on other data of the same
/// size is refused; null in checkpoints written before it was recorded (or for data without a fingerprint).
/// </param>
internal sealed record TrainerState(
    int FormatVersion,
    long Step,
    long? EvaluatedStep,
    double? BestValidationLoss,
    long? BestStep,
    long TokensSeen,
    string Task,
    string TaskState,
    long TrainTokens,
    long ValidationTokens,
    string Data,
    PretrainingOptions Options,
    int WorldSize = 1,
    string? DataFingerprint = null);
