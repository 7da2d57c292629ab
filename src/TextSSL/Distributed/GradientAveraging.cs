using static TorchSharp.torch;

namespace TextSSL.Distributed;

/// <summary>
/// Averages gradients across ranks after backward. TorchSharp has no gradient hooks, so there is no overlap with
/// backward: the gradients are copied into one contiguous fp32 buffer, summed in place by one all-reduce, divided
/// by the number of ranks and copied back. Every rank ends the call with the same gradients.
/// </summary>
internal static class GradientAveraging
{
    /// <summary>Replaces every tensor of <paramref name="gradients"/> (CPU, any shape) by its mean across ranks.</summary>
    public static void Average(IReadOnlyList<Tensor> gradients, Communicator communicator)
    {
        if (communicator.Size == 1 || gradients.Count == 0) return;
        using var scope = NewDisposeScope();
        var flat = cat(gradients.Select(g => g.detach().reshape(-1).to(ScalarType.Float32)).ToList(), 0).contiguous();
        communicator.AllReduce(flat, ReduceOp.Sum);
        flat.div_(communicator.Size);
        long offset = 0;
        foreach (var g in gradients)
        {
            var n = g.numel();
            g.detach().copy_(flat.narrow(0, offset, n).view(g.shape));
            offset += n;
        }
    }

    /// <summary>
    /// Averages two known gradients across every rank (rank r holds (r+1)·[0, 1, …, 5] as a 2×3 matrix and (r+1)·0.5
    /// in a vector of 4) and checks the result is the exact mean on every rank; the answer is agreed by all ranks.
    /// </summary>
    public static bool CheckOnKnownTensor(Communicator communicator)
    {
        using var scope = NewDisposeScope();
        var scale = communicator.Rank + 1f;
        var matrix = arange(6, ScalarType.Float32).reshape(2, 3) * scale;
        var vector = full(4, 0.5f * scale, ScalarType.Float32);
        Average([matrix, vector], communicator);
        var mean = (communicator.Size + 1) / 2.0;   // mean of 1 … Size
        var ok = matrix.eq(arange(6, ScalarType.Float32).reshape(2, 3) * (float)mean).all().item<bool>()
                 && vector.eq(full(4, (float)(0.5 * mean), ScalarType.Float32)).all().item<bool>();
        return communicator.AllReduce(ok ? 1L : 0L, ReduceOp.Min) == 1;
    }
}
