using TextSSL.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace TextSSL.Modeling;

/// <summary>
/// y = x·Wᵀ + b with its forward and backward products sent to oneDNN while every other product stays in the BLAS
/// (<see cref="CpuMatmul.Linear"/>). libtorch reads its oneDNN routing setting when a product runs, and the backward
/// products of a plain <c>linear</c> run later, inside <c>backward()</c>: so the layer is a custom autograd function
/// whose forward and backward each switch the routing on around their own products. Same math as
/// <c>nn.functional.linear</c> in fp32; only the summation order of the products differs.
/// </summary>
internal static class OneDnnLinear
{
    /// <summary>
    /// <c>nn.functional.linear(x, weight, bias)</c>, through oneDNN when <see cref="OneDnnMatmul.ForLinearLayers"/> is on
    /// and the product is an fp32 one on the CPU; otherwise exactly <c>nn.functional.linear</c>.
    /// </summary>
    public static Tensor Forward(Tensor x, Tensor weight, Tensor? bias)
    {
        if (!OneDnnMatmul.ForLinearLayers || x.device_type != DeviceType.CPU || x.dtype != ScalarType.Float32 || weight.dtype != ScalarType.Float32)
            return nn.functional.linear(x, weight, bias);
        return Apply(x, weight, bias);
    }

    /// <summary>The oneDNN path whatever the setting (CPU, fp32): the autograd function when a gradient is wanted, else one routed product.</summary>
    internal static Tensor Apply(Tensor x, Tensor weight, Tensor? bias)
    {
        if (is_grad_enabled() && (x.requires_grad || weight.requires_grad || bias?.requires_grad == true))
            return Function.apply(x, weight, bias!);
        using (OneDnnMatmul.RouteProducts()) return nn.functional.linear(x, weight, bias);
    }

    private sealed class Function : autograd.SingleTensorFunction<Function>
    {
        public override string Name => "OneDnnLinear";

        public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
        {
            var (x, weight, bias) = ((Tensor)vars[0], (Tensor)vars[1], vars[2] as Tensor);
            ctx.save_for_backward([x, weight]);
            ctx.save_data("bias", bias is not null);
            using (OneDnnMatmul.RouteProducts()) return nn.functional.linear(x, weight, bias);
        }

        public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor gradOutput)
        {
            var saved = ctx.get_saved_variables();
            var (x, weight) = (saved[0], saved[1]);
            var n = weight.shape[0];
            using var g = gradOutput.reshape(-1, n);                               // (rows, out)
            Tensor gradX, gradW;
            using (OneDnnMatmul.RouteProducts())
            {
                gradX = g.mm(weight).view(x.shape);                                // (rows, in) → x's shape
                using var x2 = x.reshape(-1, weight.shape[1]);
                gradW = g.t().mm(x2);                                              // (out, in)
            }
            var gradB = (bool)ctx.get_data("bias") ? g.sum(dim: 0L) : null;   // (out); a literal 0 would bind to sum(ScalarType)
            return [gradX, gradW, gradB!];
        }
    }
}
