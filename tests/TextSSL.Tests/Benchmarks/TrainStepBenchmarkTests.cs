using TextSSL.Benchmarks;
using TextSSL.Modeling;
using TextSSL.Runtime;
using TextSSL.Training;
using static TorchSharp.torch;

namespace TextSSL.Tests.Benchmarks;

public class TrainStepBenchmarkTests
{
    [OneTimeSetUp]
    public void LoadTorch() => TorchRuntime.EnsureLoaded();

    [Test]
    public void Flops_per_token_follow_nanoGPTs_estimate_for_gpt2_small()
    {
        // nanoGPT's GPT-2 (124M, vocab 50,304, tied): 123.69M non-embedding parameters → 6N + 12·L·H·Q·T.
        var config = TransformerConfig.Preset("gpt2-small");
        const long total = 124_475_904; // with the 1024×768 position table
        var expected = 6.0 * (total - 1024 * 768) + 12.0 * 12 * 12 * 64 * 1024;
        Assert.That(config.FlopsPerToken(total, 1024), Is.EqualTo(expected));
        // Untied: the token embedding is a lookup, the head a product; N drops the embedding only.
        var untied = config with { TiedEmbeddings = false };
        var totalUntied = total + 50304L * 768;
        Assert.That(untied.FlopsPerToken(totalUntied, 1024), Is.EqualTo(expected));
    }

    [Test]
    public void Known_gpus_have_a_peak_and_unknown_ones_do_not()
    {
        Assert.That(PeakFlops.ForDeviceName("NVIDIA H100 80GB HBM3", ScalarType.BFloat16), Is.EqualTo(989.4));
        Assert.That(PeakFlops.ForDeviceName("NVIDIA H100 PCIe", ScalarType.Float32), Is.EqualTo(378.0));
        Assert.That(PeakFlops.ForDeviceName("Some Future Card", ScalarType.BFloat16), Is.Null);
    }

    [TestCase(TrainStepVariant.Fused)]
    [TestCase(TrainStepVariant.Reference)]
    public void Measures_every_phase_of_a_tiny_step(TrainStepVariant variant)
    {
        var r = TrainStepBenchmark.Run(new TrainBenchOptions("tiny", CPU, ScalarType.Float32, variant, Batch: 2, Warmup: 1, Repeats: 3, PeakTflops: 1.0));
        Assert.That(new[] { r.FwdBwdMs, r.ClipMs, r.OptimizerMs }, Has.All.GreaterThan(0));
        Assert.That(r.StepMs, Is.GreaterThanOrEqualTo(r.FwdBwdMs));
        Assert.That(r.TokensPerSecond, Is.EqualTo(2 * 32 / (r.StepMs / 1000)).Within(1e-6).Percent);
        Assert.That(r.Mfu, Is.GreaterThan(0).And.LessThan(1));
        Assert.That(TrainStepBenchmark.ToTable([r]).Rows, Has.Count.EqualTo(1));
    }

    [Test]
    public void Process_cpu_time_counts_work_not_waiting_and_only_on_the_cpu()
    {
        var timer = new PhaseTimer(CPU, BenchClock.ProcessCpu);
        timer.Start();
        Thread.Sleep(200);                                   // waiting costs no CPU time
        timer.Mark("sleep");
        using (var a = randn(256, 256))
            for (var i = 0; i < 20; i++) a.matmul(a).Dispose();
        timer.Mark("work");
        Assert.That(timer.Laps[0].Ms, Is.LessThan(100), "a sleeping process spends (almost) no CPU time");
        Assert.That(timer.Laps[1].Ms, Is.GreaterThan(0));
        Assert.That(() => new PhaseTimer(new Device(TorchSharp.DeviceType.CUDA, 0), BenchClock.ProcessCpu), Throws.InstanceOf<TextSslException>());
        var r = TrainStepBenchmark.Run(new TrainBenchOptions("tiny", CPU, ScalarType.Float32, TrainStepVariant.Fused, Batch: 2, Warmup: 1, Repeats: 3, PeakTflops: 1.0, Clock: BenchClock.ProcessCpu));
        Assert.That(r.StepMs, Is.GreaterThan(0));
        Assert.That(TrainStepBenchmark.ToTable([r]).Title, Does.Contain("CPU time"));
    }
}
