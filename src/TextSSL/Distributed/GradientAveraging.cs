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
}
