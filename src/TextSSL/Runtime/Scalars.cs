using TorchSharp;
using static TorchSharp.torch;

namespace TextSSL.Runtime;

/// <summary>
/// Tensor arithmetic whose scalar arguments stay alive for the whole native call.
/// </summary>
/// <remarks>
/// TorchSharp turns every .NET number it passes to libtorch into a finalizable <see cref="Scalar"/>, including the
/// hidden <c>alpha = 1</c> of each <c>a + b</c> (TorchSharp's <c>a - b</c> passes none). Such a temporary is unreachable once its handle has
/// been read, so a background garbage collection can run its finalizer, and free it, while libtorch is still reading
/// it: the call then fails with "Expected false to be true … toFloat" (or worse). A long generation, whose decoded text
/// is re-allocated on the large-object heap at every token, starts background collections often enough to hit this
/// after some tens of thousands of tokens. The model's forward pass and the sampler therefore pass a process-lifetime
/// <see cref="One"/>, or a scalar held by a <c>using</c> variable that is disposed only after the call.
/// </remarks>
internal static class Scalars
{
    /// <summary>The integer 1, never finalized (a static root).</summary>
    public static readonly Scalar One = 1L.ToScalar();

    /// <summary><paramref name="a"/> + <paramref name="b"/> without a temporary scalar.</summary>
    public static Tensor Plus(this Tensor a, Tensor b) => a.add(b, One);
}
