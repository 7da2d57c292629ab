using TextSSL.Modeling;
using TextSSL.Runtime;
using static TorchSharp.torch;

namespace TextSSL.Tests.Modeling;

public class OneDnnLinearTests
{
    [TestCase(true)]
    [TestCase(false)]
    public void Forward_and_gradients_match_linear_and_the_routing_is_restored(bool withBias)
    {
        TorchRuntime.EnsureLoaded();
        if (TorchRuntime.Cpu.Amx) Assert.Ignore("with AMX oneDNN computes fp32 products in bf16 by design");
        using var scope = NewDisposeScope();
        manual_seed(3);
        var before = OneDnnMatmul.Reachable ? OneDnnMatmul.Get() : 0;
        var (x, w, b) = (randn(3, 5, 16), randn(24, 16), withBias ? randn(24) : null);
        var gy = randn(3, 5, 24);

        (Tensor Y, Tensor Gx, Tensor Gw, Tensor? Gb) Run(Func<Tensor, Tensor, Tensor?, Tensor> linear)
        {
            var (xl, wl, bl) = (x.detach().requires_grad_(), w.detach().requires_grad_(), b?.detach().requires_grad_());
            var y = linear(xl, wl, bl);
            y.backward([gy]);
            return (y.detach(), xl.grad!, wl.grad!, bl?.grad);
        }

        var reference = Run((xi, wi, bi) => nn.functional.linear(xi, wi, bi));
        var routed = Run(OneDnnLinear.Apply);
        Assert.That(routed.Y.shape, Is.EqualTo(reference.Y.shape));
        Assert.That(routed.Gx.shape, Is.EqualTo(x.shape));
        Assert.That(routed.Y.allclose(reference.Y, rtol: 1e-5, atol: 1e-5), Is.True, "forward");
        Assert.That(routed.Gx.allclose(reference.Gx, rtol: 1e-5, atol: 1e-5), Is.True, "input gradient");
        Assert.That(routed.Gw.allclose(reference.Gw, rtol: 1e-5, atol: 1e-5), Is.True, "weight gradient");
        if (withBias) Assert.That(routed.Gb!.allclose(reference.Gb!, rtol: 1e-5, atol: 1e-5), Is.True, "bias gradient");
        else Assert.That(routed.Gb, Is.Null);
        if (OneDnnMatmul.Reachable) Assert.That(OneDnnMatmul.Get(), Is.EqualTo(before), "forward and backward put libtorch's setting back");

        using (no_grad())
            Assert.That(OneDnnLinear.Apply(x, w, b).allclose(reference.Y, rtol: 1e-5, atol: 1e-5), Is.True, "without autograd");
    }

    [Test]
    public void The_chosen_path_gives_linear_in_fp32_and_bf16()
    {
        TorchRuntime.EnsureLoaded();
        if (TorchRuntime.Cpu.Amx) Assert.Ignore("with AMX oneDNN computes fp32 products in bf16 by design");
        using var scope = NewDisposeScope();
        manual_seed(4);
        var x = randn(4, 8, requires_grad: true);
        var w = randn(6, 8, requires_grad: true);
        using var runtime = TorchRuntime.Configure(null, null, CpuMatmul.Linear);
        Assert.That(OneDnnMatmul.ForLinearLayers, Is.EqualTo(TorchRuntime.CpuMatmulInUse.InUse == CpuMatmul.Linear));
        Assert.That(OneDnnLinear.Forward(x, w, null).allclose(nn.functional.linear(x, w), rtol: 1e-5, atol: 1e-5), Is.True);
        var (xb, wb) = (x.to(ScalarType.BFloat16), w.to(ScalarType.BFloat16));
        Assert.That(OneDnnLinear.Forward(xb, wb, null).equal(nn.functional.linear(xb, wb)).all().item<bool>(), Is.True, "bf16 products are left to linear");
    }
}
