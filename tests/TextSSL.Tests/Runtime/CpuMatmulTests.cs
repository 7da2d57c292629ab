using TextSSL.Modeling;
using TextSSL.Runtime;
using TextSSL.Training;
using TextSSL.Training.Optimization;
using static TorchSharp.torch;

namespace TextSSL.Tests.Runtime;

public class CpuMatmulTests
{
    private const string Epyc = """
        processor	: 0
        vendor_id	: AuthenticAMD
        model name	: AMD EPYC 9R14 96-Core Processor
        flags		: fpu sse sse2 avx avx2 fma avx512f avx512dq avx512cd avx512bw avx512vl avx512_bf16 avx512_vnni
        processor	: 1
        vendor_id	: AuthenticAMD
        """;

    private const string SapphireRapids = """
        vendor_id	: GenuineIntel
        model name	: Intel(R) Xeon(R) Platinum 8480+
        flags		: avx2 avx512f avx512dq avx512bw avx512vl avx512_bf16 amx_bf16 amx_tile amx_int8
        """;

    private const string Zen3 = """
        vendor_id	: AuthenticAMD
        model name	: AMD EPYC 7763 64-Core Processor
        flags		: sse avx avx2 fma
        """;

    [Test]
    public void Cpuinfo_gives_vendor_model_and_the_instruction_sets_that_matter()
    {
        Assert.That(CpuFeatures.Parse(Epyc), Is.EqualTo(new CpuFeatures("AuthenticAMD", "AMD EPYC 9R14 96-Core Processor", true, true, false)));
        Assert.That(CpuFeatures.Parse(SapphireRapids), Is.EqualTo(new CpuFeatures("GenuineIntel", "Intel(R) Xeon(R) Platinum 8480+", true, true, true)));
        Assert.That(CpuFeatures.Parse(Zen3), Is.EqualTo(new CpuFeatures("AuthenticAMD", "AMD EPYC 7763 64-Core Processor", false, false, false)));
        Assert.That(CpuFeatures.Parse(""), Is.EqualTo(CpuFeatures.Unknown));
        // AVX-512 needs all four of F, BW, VL, DQ (what libtorch checks before it sends products to oneDNN)
        Assert.That(CpuFeatures.Parse("flags : avx512f avx512bw avx512vl").Avx512, Is.False);
    }

    [Test]
    public void Auto_picks_onednn_only_on_amd_with_avx512_and_without_amx_every_product_for_wide_models()
    {
        CpuMatmul Auto(string cpuinfo, bool reachable = true, int? width = 384) => CpuMatmulChoice.Resolve(CpuMatmul.Auto, CpuFeatures.Parse(cpuinfo), reachable, width).InUse;
        Assert.That(Auto(Epyc), Is.EqualTo(CpuMatmul.OneDnn));
        Assert.That(Auto(Epyc, width: CpuMatmulChoice.OneDnnMinWidth), Is.EqualTo(CpuMatmul.OneDnn));
        Assert.That(Auto(Epyc, width: 128), Is.EqualTo(CpuMatmul.Linear), "narrow models: Linear layers only, attention's tiny products stay in the BLAS");
        Assert.That(Auto(Epyc, width: CpuMatmulChoice.OneDnnMinWidth - 1), Is.EqualTo(CpuMatmul.Linear));
        Assert.That(Auto(Epyc, width: null), Is.EqualTo(CpuMatmul.Linear), "no model yet: Linear layers only until a run says how wide");
        Assert.That(Auto(SapphireRapids), Is.EqualTo(CpuMatmul.Blas), "Intel: MKL is at full speed, and AMX would turn oneDNN's fp32 into bf16");
        Assert.That(Auto(Zen3), Is.EqualTo(CpuMatmul.Blas), "without AVX-512 libtorch does not route fp32 products to oneDNN");
        Assert.That(Auto(Epyc.Replace("avx512_vnni", "avx512_vnni amx_bf16")), Is.EqualTo(CpuMatmul.Blas), "AMX means bf16 arithmetic: never automatic");
        Assert.That(Auto(""), Is.EqualTo(CpuMatmul.Blas));
        Assert.That(Auto(Epyc, reachable: false), Is.EqualTo(CpuMatmul.Blas), "a libtorch without the setting keeps its BLAS");
    }

    [Test]
    public void An_explicit_choice_overrides_auto_where_the_cpu_allows_it()
    {
        var epyc = CpuFeatures.Parse(Epyc);
        Assert.That(CpuMatmulChoice.Resolve(CpuMatmul.Blas, epyc, true, 768).InUse, Is.EqualTo(CpuMatmul.Blas));
        Assert.That(CpuMatmulChoice.Resolve(CpuMatmul.OneDnn, epyc, true, 128).InUse, Is.EqualTo(CpuMatmul.OneDnn));
        Assert.That(CpuMatmulChoice.Resolve(CpuMatmul.OneDnn, CpuFeatures.Parse(SapphireRapids), true).InUse, Is.EqualTo(CpuMatmul.OneDnn));
        Assert.That(CpuMatmulChoice.Resolve(CpuMatmul.Linear, epyc, true, 768).InUse, Is.EqualTo(CpuMatmul.Linear), "asked for: kept at any width");
        Assert.That(CpuMatmulChoice.Resolve(CpuMatmul.Linear, CpuFeatures.Parse(SapphireRapids), true).InUse, Is.EqualTo(CpuMatmul.Linear));
        Assert.That(CpuMatmulChoice.Resolve(CpuMatmul.Linear, epyc, false).InUse, Is.EqualTo(CpuMatmul.Blas), "a libtorch without the setting keeps its BLAS");
        foreach (var asked in new[] { CpuMatmul.OneDnn, CpuMatmul.Linear })
        {
            var refused = CpuMatmulChoice.Resolve(asked, CpuFeatures.Parse(Zen3), true);
            Assert.That(refused.InUse, Is.EqualTo(CpuMatmul.Blas));
            Assert.That(refused.Reason, Does.Contain("AVX-512"));
        }
    }

    [TestCase("auto", CpuMatmul.Auto)]
    [TestCase(null, CpuMatmul.Auto)]
    [TestCase(" BLAS ", CpuMatmul.Blas)]
    [TestCase("mkl", CpuMatmul.Blas)]
    [TestCase("oneDNN", CpuMatmul.OneDnn)]
    [TestCase("Linear", CpuMatmul.Linear)]
    [TestCase("onednn-linear", CpuMatmul.Linear)]
    public void Spellings_parse(string? value, CpuMatmul expected) => Assert.That(CpuMatmulChoice.Parse("CpuMatmul", value), Is.EqualTo(expected));

    [Test]
    public void Unknown_spelling_names_the_option_and_the_choices() =>
        Assert.That(() => CpuMatmulChoice.Parse("CpuMatmul", "openblas"),
            Throws.InstanceOf<OptionException>().With.Message.Contains("openblas").And.Message.Contains("auto, blas, onednn, linear"));

    [Test]
    public void This_machine_gets_the_automatic_choice_at_start_up_and_a_scope_restores_it()
    {
        TorchRuntime.EnsureLoaded();
        CpuMatmul? requested = CpuMatmulChoice.Parse(CpuMatmulChoice.EnvironmentVariable, Environment.GetEnvironmentVariable(CpuMatmulChoice.EnvironmentVariable));
        var expected = CpuMatmulChoice.Resolve(requested.Value, TorchRuntime.Cpu, OneDnnMatmul.Reachable);
        var atStart = TorchRuntime.CpuMatmulInUse;
        Assert.That(atStart, Is.EqualTo(expected));
        var other = atStart.InUse == CpuMatmul.OneDnn ? CpuMatmul.Blas : CpuMatmul.OneDnn;
        using (TorchRuntime.Configure(threads: null, tf32: null, other))
        {
            Assert.That(TorchRuntime.CpuMatmulInUse.Requested, Is.EqualTo(other));
            if (OneDnnMatmul.Reachable)
                Assert.That(OneDnnMatmul.Get() == OneDnnMatmul.Bf16, Is.EqualTo(TorchRuntime.CpuMatmulInUse.InUse == CpuMatmul.OneDnn), "libtorch's setting follows the choice");
        }
        using (TorchRuntime.Configure(threads: null, tf32: null, CpuMatmul.Linear))
        {
            Assert.That(OneDnnMatmul.ForLinearLayers, Is.EqualTo(TorchRuntime.CpuMatmulInUse.InUse == CpuMatmul.Linear));
            if (OneDnnMatmul.Reachable) Assert.That(OneDnnMatmul.Get(), Is.Not.EqualTo(OneDnnMatmul.Bf16), "Linear layers switch oneDNN on themselves; the rest stays in the BLAS");
        }
        Assert.That(OneDnnMatmul.ForLinearLayers, Is.EqualTo(atStart.InUse == CpuMatmul.Linear));
        Assert.That(TorchRuntime.CpuMatmulInUse, Is.EqualTo(atStart));
        using (TorchRuntime.Configure(null, null, CpuMatmul.Auto, modelWidth: 512))
            Assert.That(TorchRuntime.CpuMatmulInUse, Is.EqualTo(CpuMatmulChoice.Resolve(requested!.Value, TorchRuntime.Cpu, OneDnnMatmul.Reachable, 512)));
        Assert.That(TorchRuntime.CpuMatmulInUse, Is.EqualTo(atStart));
        if (OneDnnMatmul.Reachable)
            Assert.That(OneDnnMatmul.Get() == OneDnnMatmul.Bf16, Is.EqualTo(atStart.InUse == CpuMatmul.OneDnn));
    }

    [Test]
    public void Onednn_fp32_products_keep_fp32_precision_without_amx()
    {
        TorchRuntime.EnsureLoaded();
        if (TorchRuntime.Cpu.Amx) Assert.Ignore("with AMX oneDNN computes fp32 products in bf16 by design");
        using var scope = NewDisposeScope();
        manual_seed(5);
        var a = randn(300, 200);
        var b = randn(200, 100);
        Tensor blas, oneDnn;
        using (TorchRuntime.Configure(null, null, CpuMatmul.Blas)) blas = a.matmul(b);
        using (TorchRuntime.Configure(null, null, CpuMatmul.OneDnn))
        {
            if (TorchRuntime.CpuMatmulInUse.InUse != CpuMatmul.OneDnn) Assert.Ignore($"oneDNN is not used here: {TorchRuntime.CpuMatmulInUse.Reason}");
            oneDnn = a.matmul(b);
        }
        var relative = ((oneDnn - blas).abs().max() / blas.abs().max()).item<float>();
        Assert.That(relative, Is.LessThan(1e-5), "a bf16 product would differ by ~1e-3");
    }

    [Test]
    public void Fp32_training_losses_are_equal_through_either_library()
    {
        TorchRuntime.EnsureLoaded();
        if (TorchRuntime.Cpu.Amx) Assert.Ignore("with AMX oneDNN computes fp32 products in bf16 by design");
        var blas = Losses(CpuMatmul.Blas);
        using (TorchRuntime.Configure(null, null, CpuMatmul.OneDnn))
            if (TorchRuntime.CpuMatmulInUse.InUse != CpuMatmul.OneDnn) Assert.Ignore($"oneDNN is not used here: {TorchRuntime.CpuMatmulInUse.Reason}");
        var oneDnn = Losses(CpuMatmul.OneDnn);
        var linear = Losses(CpuMatmul.Linear);
        Assert.That(blas[^1], Is.LessThan(blas[0]), "the model learns");
        Assert.That(oneDnn, Is.EqualTo(blas).Within(1e-4).Percent, "fp32 in both: only the summation order differs");
        Assert.That(linear, Is.EqualTo(blas).Within(1e-4).Percent, "fp32 in both: only the summation order differs");
        Assert.That(Losses(CpuMatmul.Blas), Is.EqualTo(blas), "the BLAS path is deterministic, so the tolerance above is about the library");
    }

    private static float[] Losses(CpuMatmul library)
    {
        using var runtime = TorchRuntime.Configure(null, null, library);
        manual_seed(11);
        using var model = new Transformer(TransformerConfig.Preset("tiny", vocabSize: 32));
        model.train();
        using var optimizer = OptimizerFactory.Create(OptimizerKind.Fused, model, new AdamWSettings(), 3e-3);
        using var step = new TrainStep(model, model.Precision, optimizer, new TrainStepOptions(), CPU);
        using var x = randint(0, 32, [4, 17], dtype: ScalarType.Int64);
        var losses = new float[8];
        for (var i = 0; i < losses.Length; i++)
        {
            step.Run(i, 3e-3, _ =>
            {
                var logits = model.forward(x[.., ..16]);
                return nn.functional.cross_entropy(logits.reshape(-1, 32), x[.., 1..].reshape(-1));
            });
            losses[i] = step.ReadMeanLoss();
        }
        foreach (var p in step.Parameters) p.Dispose();
        return losses;
    }
}
