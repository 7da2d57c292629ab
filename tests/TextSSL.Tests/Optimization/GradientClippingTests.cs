using TextSSL.Runtime;
using TextSSL.Training.Optimization;
using static TextSSL.Tests.Optimization.OptimizerTestModels;
using static TorchSharp.torch;

namespace TextSSL.Tests.Optimization;

public class GradientClippingTests
{
    [OneTimeSetUp]
    public void LoadTorch()
    {
        TorchRuntime.EnsureLoaded();
        TorchScriptKernels.EnsureCompiled();
    }

    [TestCase(0.5)]   // clips: the random gradients' norm is far above 0.5
    [TestCase(1e6)]   // does not clip: gradients must come back unchanged
    public void Foreach_clipping_equals_clip_grad_norm(double maxNorm)
    {
        using var a = Tiny();
        using var b = Tiny();
        SetSameGradients(0, a, b);
        var before = a.parameters().Select(p => p.grad!.clone()).ToList();
        using var normForeach = GradientClipping.ClipGradNorm(a.parameters().ToList(), maxNorm);
        using var normReference = GradientClipping.ClipGradNormReference(b.parameters().ToList(), maxNorm);

        Assert.That(normForeach.dim(), Is.EqualTo(0));
        Assert.That(normForeach.item<float>(), Is.EqualTo(normReference.item<float>()).Within(1e-5).Percent);
        foreach (var (p, q) in a.parameters().Zip(b.parameters()))
            Assert.That(p.grad!.allclose(q.grad!, rtol: 1e-5, atol: 1e-8), Is.True);
        if (maxNorm > 1e5)
            Assert.That(a.parameters().Zip(before).All(x => x.First.grad!.allclose(x.Second, rtol: 1e-6)), Is.True);
        else
        {
            using var clipped = stack(a.parameters().Select(p => p.grad!.norm()).ToArray()).norm();
            Assert.That(clipped.item<float>(), Is.EqualTo(maxNorm).Within(1e-4).Percent);
        }
    }

    [Test]
    public void No_gradients_gives_a_zero_norm()
    {
        using var a = Tiny();
        using var norm = GradientClipping.ClipGradNorm(a.parameters().ToList(), 1.0);
        Assert.That(norm.item<float>(), Is.Zero);
    }
}
