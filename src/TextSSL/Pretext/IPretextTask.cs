using TextSSL.Corpora;
using TextSSL.Modeling;

namespace TextSSL.Pretext;

/// <summary>
/// A self-supervised objective: it turns a token stream into batches and a batch into a loss. The trainer
/// only talks to this interface, so a new objective (contrastive, denoising, ...) is a new class, not a trainer change.
/// </summary>
/// <remarks>
/// Training batches draw from the task's own seeded generator, whose state <see cref="SaveState"/> captures, so a
/// resumed run sees the very batches an uninterrupted one would. Evaluation batches never touch that generator.
/// </remarks>
public interface IPretextTask
{
    /// <summary>The name recorded in checkpoints (<c>clm</c>, <c>mlm</c>, ...).</summary>
    string Name { get; }

    /// <summary>Which model the task trains: causal decoder or bidirectional encoder.</summary>
    ModelKind ModelKind { get; }

    /// <summary>Whether <see cref="PretextOutput.Correct"/> is meaningful (masked-token accuracy for masked-LM).</summary>
    bool ReportsAccuracy { get; }

    /// <summary>What the evaluation loss is averaged over: tokens (the default; a cross-entropy with a perplexity) or texts (contrastive).</summary>
    Training.EvaluationUnit EvaluationUnit => Training.EvaluationUnit.Token;

    /// <summary>Checks that <paramref name="stream"/> can feed windows of <paramref name="blockSize"/> positions.</summary>
    /// <param name="stream">The stream.</param>
    /// <param name="blockSize">Positions per sequence.</param>
    /// <param name="splitName">Name used in the error (training, validation).</param>
    /// <exception cref="TextSslException">The stream is too short, or the tokenizer lacks a token the task needs.</exception>
    void Validate(ITokenStream stream, int blockSize, string splitName);

    /// <summary>The next training batch (on the CPU), advancing the task's sampling state.</summary>
    PretextBatch NextBatch(ITokenStream stream, int batchSize, int blockSize);

    /// <summary>
    /// Deterministic evaluation batches (on the CPU) that cover the stream from its start in consecutive,
    /// non-overlapping windows; the same every time they are enumerated.
    /// </summary>
    IEnumerable<PretextBatch> EvaluationBatches(ITokenStream stream, int batchSize, int blockSize);

    /// <summary>Runs the model on a batch and returns the summed loss (and, when asked, correct predictions).</summary>
    PretextOutput Compute(Transformer model, PretextBatch batch, bool withAccuracy);

    /// <summary>The sampling state as text (JSON), for checkpoints.</summary>
    string SaveState();

    /// <summary>Restores a state written by <see cref="SaveState"/>.</summary>
    /// <exception cref="TextSslException">The state is not this task's.</exception>
    void LoadState(string state);
}
