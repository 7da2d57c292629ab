using TextSSL.Runtime;
using TextSSL.Training.Optimization;

namespace TextSSL.Tests.Optimization;

public class TorchScriptKernelsTests
{
    // A TorchScript compile error can abort the whole process rather than throw, so the kernels are compiled here,
    // in a test, before any training code relies on them; a broken Source fails (or kills) this run, not a user's.
    [Test]
    public void Kernels_compile_at_start_up()
    {
        TorchRuntime.EnsureLoaded();
        Assert.That(TorchScriptKernels.EnsureCompiled, Throws.Nothing);
        Assert.That(TorchScriptKernels.Source, Does.Contain("def adamw_step(").And.Contain("def clip_grad_norm("));
    }
}
