using TextSSL.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace TextSSL.Modeling;

/// <summary>Rotary position embedding (RoPE, rotate-half form) with precomputed cos/sin tables.</summary>
internal sealed class Rotary : nn.Module
{
    private readonly Tensor cos;
    private readonly Tensor sin;

    public Rotary(int headDim, int maxPositions, double theta = 10000.0) : base("rotary")
    {
        using var scope = NewDisposeScope();
        var inv = 1.0 / pow(theta, arange(0, headDim, 2, dtype: ScalarType.Float64) / headDim);
        var t = arange(maxPositions, dtype: ScalarType.Float64);
        var freqs = outer(t, inv);                       // (T, D/2)
        var emb = cat([freqs, freqs], -1);               // (T, D)
        cos = emb.cos().to(ScalarType.Float32).MoveToOuterDisposeScope();
        sin = emb.sin().to(ScalarType.Float32).MoveToOuterDisposeScope();
        RegisterComponents();
    }

    /// <summary>Rotates x (B, H, T, D) whose first position has index <paramref name="offset"/>.</summary>
    public Tensor Apply(Tensor x, int offset)
    {
        using var scope = NewDisposeScope();
        var t = x.shape[2];
        var c = cos.narrow(0, offset, t).to(x.dtype);
        var s = sin.narrow(0, offset, t).to(x.dtype);
        var half = x.shape[3] / 2;
        var x1 = x.narrow(3, 0, half);
        var x2 = x.narrow(3, half, half);
        var rotated = cat([-x2, x1], -1);
        return (x * c).Plus(rotated * s).MoveToOuterDisposeScope();
    }

    /// <summary>Rotates x (B, H, T, D) whose token (b, t) sits at position <paramref name="positions"/>[b, t] (B, T).</summary>
    public Tensor Apply(Tensor x, Tensor positions)
    {
        using var scope = NewDisposeScope();
        var (b, t, d) = (x.shape[0], x.shape[2], x.shape[3]);
        var flat = positions.reshape(-1);
        var c = cos.index_select(0, flat).view(b, 1, t, d).to(x.dtype);      // (B, 1, T, D), shared by the heads
        var s = sin.index_select(0, flat).view(b, 1, t, d).to(x.dtype);
        var half = d / 2;
        var x1 = x.narrow(3, 0, half);
        var x2 = x.narrow(3, half, half);
        var rotated = cat([-x2, x1], -1);
        return (x * c).Plus(rotated * s).MoveToOuterDisposeScope();
    }
}
