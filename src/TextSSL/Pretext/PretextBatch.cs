using TextSSL.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace TextSSL.Pretext;

/// <summary>
/// One batch as the model reads it: input ids, the targets the loss compares against (ignored positions hold
/// <see cref="IgnoreIndex"/>), and for encoders a padding mask. A batch that packs several documents per sequence
/// carries instead each token's document id and position within its document.
/// </summary>
public sealed class PretextBatch : IDisposable
{
    /// <summary>The target value of positions that do not count in the loss (PyTorch's convention).</summary>
    public const long IgnoreIndex = -100;

    /// <summary>Creates a batch; the tensors become owned by it.</summary>
    /// <param name="inputs">Input ids (B, T), int64.</param>
    /// <param name="targets">Target ids (B, T), int64, <see cref="IgnoreIndex"/> where no loss applies.</param>
    /// <param name="paddingMask">(B, T) bool, true for real tokens; null when nothing is padded.</param>
    /// <param name="targetCount">Number of positions that count in the loss (known when the batch is built, so no device read is needed).</param>
    /// <param name="documentIds">(B, T) int64 document id of each token in a packed batch (padding has an id of its own); null otherwise.</param>
    /// <param name="positionIds">(B, T) int64 position of each token within its document in a packed batch; null otherwise.</param>
    public PretextBatch(Tensor inputs, Tensor targets, Tensor? paddingMask, long targetCount, Tensor? documentIds = null, Tensor? positionIds = null)
    {
        if (paddingMask is not null && documentIds is not null)
            throw new ArgumentException("a packed batch marks padding with a document id of its own, not with a padding mask.", nameof(paddingMask));
        if ((documentIds is null) != (positionIds is null))
            throw new ArgumentException("a packed batch needs both document ids and positions.", nameof(positionIds));
        Inputs = inputs;
        Targets = targets;
        PaddingMask = paddingMask;
        TargetCount = targetCount;
        DocumentIds = documentIds;
        PositionIds = positionIds;
    }

    /// <summary>Input ids (B, T).</summary>
    public Tensor Inputs { get; }

    /// <summary>Target ids (B, T); <see cref="IgnoreIndex"/> where no loss applies.</summary>
    public Tensor Targets { get; }

    /// <summary>(B, T) true for real tokens, or null.</summary>
    public Tensor? PaddingMask { get; }

    /// <summary>(B, T) document id of each token when the batch packs documents (padding has its own id), or null.</summary>
    public Tensor? DocumentIds { get; }

    /// <summary>(B, T) position of each token within its document when the batch packs documents, or null.</summary>
    public Tensor? PositionIds { get; }

    /// <summary>Positions that count in the loss.</summary>
    public long TargetCount { get; }

    /// <summary>Positions the model processes (B·T), for throughput figures.</summary>
    public long Positions => Inputs.shape[0] * Inputs.shape[1];

    /// <summary>Builds a batch from host arrays laid out row by row.</summary>
    public static PretextBatch FromArrays(long[] inputs, long[] targets, bool[]? paddingMask, int rows, int columns, long targetCount)
    {
        var shape = new long[] { rows, columns };
        var i = tensor(inputs, shape);
        var t = tensor(targets, shape);
        var m = paddingMask is null ? null : tensor(paddingMask, shape);
        return new PretextBatch(i, t, m, targetCount);
    }

    /// <summary>Builds a packed batch from host arrays laid out row by row.</summary>
    public static PretextBatch Packed(long[] inputs, long[] targets, long[] documentIds, long[] positionIds, int rows, int columns, long targetCount)
    {
        var shape = new long[] { rows, columns };
        return new PretextBatch(tensor(inputs, shape), tensor(targets, shape), null, targetCount, tensor(documentIds, shape), tensor(positionIds, shape));
    }

    /// <summary>
    /// The model's logits (B, T, V) for this batch: with its padding mask, or for a packed batch with the
    /// block-diagonal mask of <see cref="Transformer.DocumentMask"/> and the per-document positions.
    /// </summary>
    public Tensor Logits(Transformer model)
    {
        if (DocumentIds is null) return model.Forward(Inputs, PaddingMask);
        using var mask = Transformer.DocumentMask(DocumentIds);
        return model.Forward(Inputs, attentionMask: mask, positions: PositionIds);
    }

    /// <summary>The same batch on <paramref name="device"/> (this one is returned unchanged when already there).</summary>
    /// <remarks>
    /// Host-to-GPU copies are queued without blocking: a blocking copy from pageable memory synchronises the host
    /// with the stream, which would drain the GPU's queue once per step. The source may be freed at once, since the
    /// driver stages pageable memory before the call returns.
    /// </remarks>
    public PretextBatch To(Device device)
    {
        if (Inputs.device.type == device.type && Inputs.device.index == device.index) return this;
        var async = Inputs.device.type == DeviceType.CPU && device.type == DeviceType.CUDA;
        var moved = new PretextBatch(Inputs.to(device, non_blocking: async), Targets.to(device, non_blocking: async),
                                     PaddingMask?.to(device, non_blocking: async), TargetCount,
                                     DocumentIds?.to(device, non_blocking: async), PositionIds?.to(device, non_blocking: async));
        Dispose();
        return moved;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        Inputs.Dispose();
        Targets.Dispose();
        PaddingMask?.Dispose();
        DocumentIds?.Dispose();
        PositionIds?.Dispose();
    }
}
