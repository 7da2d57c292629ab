using TextSSL.Modeling;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TextSSL.Tests.Optimization;

/// <summary>Tiny models and synthetic gradients shared by the optimizer tests.</summary>
internal static class OptimizerTestModels
{
    /// <summary>A 2-layer model with biases, so both weight-decay groups are populated.</summary>
    public static TextSSL.Modeling.Transformer Tiny(int seed = 0)
    {
        random.manual_seed(seed);
        return new TextSSL.Modeling.Transformer(TransformerConfig.Preset("tiny", vocabSize: 40) with { Bias = true });
    }

    /// <summary>
    /// Two models with identical weights. Copied rather than seeded twice: fixtures run in parallel and share the
    /// global generator, so two seeded constructions can interleave and differ.
    /// </summary>
    public static (TextSSL.Modeling.Transformer A, TextSSL.Modeling.Transformer B) Twins()
    {
        var a = Tiny();
        var b = Tiny();
        CopyParameters(a, b);
        return (a, b);
    }

    /// <summary>Detached copies of a model's parameters.</summary>
    public static List<Tensor> Snapshot(nn.Module model) => model.parameters().Select(p => p.detach().clone()).ToList();

    /// <summary>Copies every parameter of <paramref name="from"/> into <paramref name="to"/> (same shape).</summary>
    public static void CopyParameters(nn.Module from, nn.Module to)
    {
        using var _ = no_grad();
        foreach (var (a, b) in from.parameters().Zip(to.parameters())) b.copy_(a);
    }

    /// <summary>Gives each model's parameters the same random gradient (a fresh one per <paramref name="step"/>).</summary>
    public static void SetSameGradients(int step, params nn.Module[] models)
    {
        var generator = new TorchSharp.torch.Generator((ulong)(1000 + step));
        var shapes = models[0].parameters().Select(p => p.shape).ToList();
        var grads = shapes.Select(s => randn(s, generator: generator)).ToList();
        foreach (var m in models)
        {
            var ps = m.parameters().ToList();
            for (var i = 0; i < ps.Count; i++) ps[i].grad = grads[i].clone();
        }
        foreach (var g in grads) g.Dispose();
    }

    /// <summary>Largest absolute difference between corresponding parameters.</summary>
    public static double MaxDifference(nn.Module a, nn.Module b) => MaxDifference(a.parameters(), b.parameters());

    /// <summary>Largest absolute difference between corresponding tensors.</summary>
    public static double MaxDifference(IEnumerable<Tensor> a, IEnumerable<Tensor> b) =>
        a.Zip(b).Max(p => (p.First - p.Second).abs().max().item<float>());

    /// <summary>Whether corresponding parameters are bitwise equal.</summary>
    public static bool Identical(nn.Module a, nn.Module b) => a.parameters().Zip(b.parameters()).All(p => p.First.eq(p.Second).all().item<bool>());
}
