using TextSSL.Modeling;
using TextSSL.Training;
using TextSSL.Training.Optimization;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TextSSL.Benchmarks;

/// <summary>One optimizer or clipping implementation timed on a preset's parameters.</summary>
/// <param name="Preset">Model preset whose parameter shapes were used.</param>
/// <param name="DeviceName">Where it ran.</param>
/// <param name="Operation">What was timed.</param>
/// <param name="ParameterTensors">Number of parameter tensors.</param>
/// <param name="Parameters">Number of parameters.</param>
/// <param name="MedianMs">Median milliseconds per call.</param>
/// <param name="MeanMs">Mean milliseconds per call.</param>
/// <param name="MinMs">Fastest call.</param>
public sealed record OptimizerBenchResult(string Preset, string DeviceName, string Operation, int ParameterTensors, long Parameters,
    double MedianMs, double MeanMs, double MinMs);

/// <summary>
/// Times fused AdamW against <c>optim.AdamW</c>, and multi-tensor clipping against <c>clip_grad_norm_</c>, on the
/// parameters of a preset with real gradients (one forward/backward on random tokens). Each call is bracketed by a
/// device synchronisation.
/// </summary>
public static class OptimizerBenchmark
{
    /// <summary>Runs every operation <paramref name="warmup"/> + <paramref name="repeats"/> times and returns one result per operation.</summary>
    public static IReadOnlyList<OptimizerBenchResult> Run(string preset, Device device, int warmup, int repeats, int seed = 1337, CancellationToken ct = default)
    {
        var config = TransformerConfig.Preset(preset);
        random.manual_seed(seed);
        using var model = new TextSSL.Modeling.Transformer(config);
        model.to(device);
        var parameters = model.parameters().ToList();
        using (var scope = NewDisposeScope())
        {
            // A short sequence is enough for gradients of realistic magnitude in every tensor, and keeps gpt2-small quick on a CPU.
            var t = Math.Min(config.BlockSize, 64);
            var tokens = randint(0, config.VocabSize, [2, t + 1], dtype: ScalarType.Int64, device: device);
            var logits = model.forward(tokens[.., ..t]);
            nn.functional.cross_entropy(logits.reshape(-1, config.VocabSize), tokens[.., 1..].reshape(-1)).backward();
        }

        var deviceName = device.type == DeviceType.CUDA
            ? (GpuInfo.TryOpen() is { } gpu ? Using(gpu, g => g.Name(Math.Max(device.index, 0))) : null) ?? device.ToString()
            : $"cpu ({get_num_threads()} threads)";
        var results = new List<OptimizerBenchResult>();
        void Time(string operation, Action call)
        {
            var samples = BenchLoop.Run(device, warmup, repeats, _ => call(), ct);
            results.Add(new OptimizerBenchResult(preset, deviceName, operation, parameters.Count, model.ParameterCount,
                samples.MedianTotal, samples.MeanTotal, MinOf(samples)));
        }

        // Gradients stay in place between calls (no ZeroGrad), so every call updates with the same kind of input.
        // The optimizers and clipping are the ones the trainer's TrainStep gets from OptimizerFactory.
        using (var fused = OptimizerFactory.Create(OptimizerKind.Fused, model, new AdamWSettings(), 6e-4))
            Time("fused AdamW (_fused_adamw_)", () => fused.Step(6e-4));
        using (var reference = OptimizerFactory.Create(OptimizerKind.Torch, model, new AdamWSettings(), 6e-4))
            Time("optim.AdamW", () => reference.Step(6e-4));
        Time("foreach clip (_foreach_norm/_foreach_mul_)", () => OptimizerFactory.ClipGradNorm(parameters, 1.0));
        Time("clip_grad_norm_", () => GradientClipping.ClipGradNormReference(parameters, 1.0));
        foreach (var p in parameters) { p.grad = null; p.Dispose(); }
        return results;
    }

    /// <summary>
    /// Runs fused AdamW and <c>optim.AdamW</c> side by side for <paramref name="steps"/> steps on two copies of a
    /// preset's model with identical random gradients, and returns the largest parameter difference: a quick
    /// correctness check on devices the unit tests do not reach (CUDA).
    /// </summary>
    public static double CheckAgreement(string preset, Device device, int steps = 3, int seed = 1337)
    {
        var config = TransformerConfig.Preset(preset);
        random.manual_seed(seed);
        using var fusedModel = new TextSSL.Modeling.Transformer(config);
        random.manual_seed(seed);
        using var referenceModel = new TextSSL.Modeling.Transformer(config);
        fusedModel.to(device);
        referenceModel.to(device);
        using var fused = OptimizerFactory.Create(OptimizerKind.Fused, fusedModel, new AdamWSettings(), 1e-3);
        using var reference = OptimizerFactory.Create(OptimizerKind.Torch, referenceModel, new AdamWSettings(), 1e-3);
        var fusedParams = fusedModel.parameters().ToList();
        var referenceParams = referenceModel.parameters().ToList();
        for (var step = 0; step < steps; step++)
        {
            using var scope = NewDisposeScope();
            for (var i = 0; i < fusedParams.Count; i++)
            {
                var g = randn(fusedParams[i].shape, device: device);
                fusedParams[i].grad = g;
                referenceParams[i].grad = g.clone();
            }
            fused.Step(1e-3);
            reference.Step(1e-3);
        }
        try
        {
            using var _ = no_grad();
            return fusedParams.Zip(referenceParams).Max(p => { using var d = (p.First - p.Second).abs().max(); return d.item<float>(); });
        }
        finally
        {
            // Free gradients and parameters now rather than at the next GC: at gpt2-small size they are gigabytes.
            foreach (var p in fusedParams.Concat(referenceParams)) { p.grad = null; p.Dispose(); }
        }
    }

    /// <summary>The results as a table, with each implementation's speed-up over the reference next to it.</summary>
    public static BenchTable ToTable(IEnumerable<OptimizerBenchResult> results)
    {
        var table = new BenchTable("bench optimizer", "preset", "device", "operation", "tensors", "params (M)", "ms (median)", "ms (mean)", "ms (min)");
        foreach (var r in results)
            table.AddRow([r.Preset, r.DeviceName, r.Operation, r.ParameterTensors, r.Parameters / 1e6, r.MedianMs, r.MeanMs, r.MinMs], digits: 3);
        return table;
    }

    private static double MinOf(PhaseSamples samples) => samples.Count == 0 ? double.NaN : samples.Min;

    private static TResult Using<T, TResult>(T disposable, Func<T, TResult> f) where T : IDisposable
    {
        using (disposable) return f(disposable);
    }
}
