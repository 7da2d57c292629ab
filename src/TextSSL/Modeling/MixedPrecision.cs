using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TextSSL.Modeling;

/// <summary>
/// The dtype matrix products run in. Parameters stay fp32 (the master weights); with bf16 compute each
/// Linear casts its weight for the product, while LayerNorm, softmax statistics and the loss stay fp32.
/// TorchSharp has no autocast, so the model carries this setting itself.
/// </summary>
public sealed class ComputePrecision
{
    /// <summary>The dtype of matrix products; <see cref="ScalarType.Float32"/> means plain fp32 (TF32 on CUDA when enabled).</summary>
    public ScalarType Dtype { get; set; } = ScalarType.Float32;

    /// <summary>Whether products run in a dtype other than fp32.</summary>
    public bool IsMixed => Dtype != ScalarType.Float32;
}

/// <summary>A Linear layer with fp32 weights whose product runs in the model's compute dtype.</summary>
internal sealed class MixedLinear : nn.Module<Tensor, Tensor>
{
    private readonly ComputePrecision _precision;
    public readonly Parameter weight;
    public readonly Parameter? bias;

    public MixedLinear(string name, int inFeatures, int outFeatures, bool hasBias, ComputePrecision precision) : base(name)
    {
        _precision = precision;
        weight = new Parameter(empty(outFeatures, inFeatures));
        bias = hasBias ? new Parameter(zeros(outFeatures)) : null;
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        if (!_precision.IsMixed) return OneDnnLinear.Forward(x, weight, bias);
        var dtype = _precision.Dtype;
        using var w = weight.to(dtype);
        using var b = bias?.to(dtype);
        return nn.functional.linear(x.dtype == dtype ? x : x.to(dtype), w, b);
    }
}

/// <summary>LayerNorm computed in fp32 whatever the input dtype, returning the compute dtype.</summary>
internal sealed class Fp32LayerNorm : nn.Module<Tensor, Tensor>
{
    private readonly ComputePrecision _precision;
    private readonly long[] _shape;
    public readonly Parameter weight;
    public readonly Parameter? bias;

    public Fp32LayerNorm(string name, int dim, bool hasBias, ComputePrecision precision) : base(name)
    {
        _precision = precision;
        _shape = [dim];
        weight = new Parameter(ones(dim));
        bias = hasBias ? new Parameter(zeros(dim)) : null;
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        if (x.dtype == ScalarType.Float32) return nn.functional.layer_norm(x, _shape, weight, bias, 1e-5);
        using var x32 = x.to(ScalarType.Float32);
        using var y = nn.functional.layer_norm(x32, _shape, weight, bias, 1e-5);
        return y.to(_precision.Dtype);
    }
}
