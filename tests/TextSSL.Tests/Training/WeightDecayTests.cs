using TextSSL.Modeling;
using TextSSL.Runtime;
using TextSSL.Training;
using TextSSL.Training.Optimization;
using static TorchSharp.torch;

namespace TextSSL.Tests.Training;

public class WeightDecayTests
{
    [OneTimeSetUp]
    public void LoadTorch() => TorchRuntime.EnsureLoaded();

    [Test]
    public void Matrices_and_embeddings_are_decayed_and_gains_and_biases_are_not()
    {
        using var model = new Transformer(TransformerConfig.Preset("tiny", vocabSize: 40) with { Bias = true });
        var (decayed, notDecayed) = ParameterGroups.Split(model);
        Assert.That(decayed.All(p => p.dim() >= 2), Is.True);
        Assert.That(notDecayed.All(p => p.dim() == 1), Is.True);
        Assert.That(decayed.Count + notDecayed.Count, Is.EqualTo(model.parameters().Count()));
        var named = model.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        Assert.That(decayed, Has.Some.SameAs(named.Single(p => p.Key.StartsWith("wte", StringComparison.Ordinal)).Value), "the (tied) token embedding is decayed");
        Assert.That(notDecayed, Has.Some.SameAs(named.First(p => p.Key.EndsWith("ln_1.bias", StringComparison.Ordinal)).Value));
    }

    [Test]
    public void With_zero_gradients_adamw_shrinks_only_the_decayed_group()
    {
        manual_seed(3);
        using var model = new Transformer(TransformerConfig.Preset("tiny", vocabSize: 40));
        // LayerNorm gains start at exactly 1; move them so a wrong decay would show.
        using (no_grad()) foreach (var p in model.parameters().Where(p => p.dim() == 1)) p.add_(0.5);
        var before = model.parameters().Select(p => p.detach().clone()).ToList();
        using var optimizer = OptimizerFactory.Create(OptimizerKind.Fused, model, new AdamWSettings(WeightDecay: 0.5), 0.1);
        foreach (var p in model.parameters()) p.grad = zeros_like(p);
        optimizer.Step(0.1);
        var after = model.parameters().ToList();
        for (var i = 0; i < after.Count; i++)
        {
            var expected = after[i].dim() >= 2 ? before[i] * (1 - 0.1 * 0.5) : before[i];
            Assert.That(after[i].allclose(expected, rtol: 1e-6, atol: 1e-7), Is.True, $"parameter {i} ({after[i].dim()}-D)");
        }
    }
}
