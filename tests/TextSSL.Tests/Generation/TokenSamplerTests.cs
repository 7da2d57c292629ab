using TextSSL.Generation;
using TextSSL.Runtime;
using static TorchSharp.torch;

namespace TextSSL.Tests.Generation;

public class TokenSamplerTests
{
    // Probabilities 0.40, 0.25, 0.15, 0.10, 0.06, 0.04 as logits.
    private static readonly double[] Probs = [0.40, 0.25, 0.15, 0.10, 0.06, 0.04];
    private const int Draws = 20_000;

    [OneTimeSetUp]
    public void LoadTorch() => TorchRuntime.EnsureLoaded();

    private static double[] Frequencies(GenerationOptions options)
    {
        var sampler = new TokenSampler(options);
        using var logits = tensor(Probs.Select(p => (float)Math.Log(p)).ToArray(), [1, Probs.Length]);
        using var g = new Generator(1234);
        var counts = new double[Probs.Length];
        IReadOnlyList<int> context = [0];
        for (var i = 0; i < Draws; i++) counts[sampler.Next(logits, [context], [g])[0]]++;
        return counts.Select(c => c / Draws).ToArray();
    }

    private static void AssertFrequencies(double[] observed, double[] expected)
    {
        for (var i = 0; i < expected.Length; i++)
        {
            if (expected[i] == 0) Assert.That(observed[i], Is.Zero, $"token {i} is outside the allowed set but was drawn");
            // Five standard deviations of a binomial proportion: fails only when the frequencies are really off.
            else Assert.That(observed[i], Is.EqualTo(expected[i]).Within(5 * Math.Sqrt(expected[i] * (1 - expected[i]) / Draws)), $"token {i}");
        }
    }

    private static double[] Renormalised(int keep) =>
        Probs.Select((p, i) => i < keep ? p / Probs.Take(keep).Sum() : 0).ToArray();

    [Test]
    public void Plain_sampling_follows_the_distribution() =>
        AssertFrequencies(Frequencies(new GenerationOptions { Temperature = 1 }), Probs);

    [Test]
    public void Top_k_samples_only_the_k_most_likely_tokens_in_proportion() =>
        AssertFrequencies(Frequencies(new GenerationOptions { Temperature = 1, TopK = 3 }), Renormalised(3));

    [Test]
    public void Top_p_samples_the_smallest_set_reaching_p_in_proportion()
    {
        // Cumulative 0.40, 0.65, 0.80: p = 0.7 needs the third token, p = 0.6 only two.
        AssertFrequencies(Frequencies(new GenerationOptions { Temperature = 1, TopP = 0.7 }), Renormalised(3));
        AssertFrequencies(Frequencies(new GenerationOptions { Temperature = 1, TopP = 0.6 }), Renormalised(2));
    }

    [Test]
    public void Top_k_and_top_p_combine()
    {
        // Top-k 2 leaves 0.40/0.65 and 0.25/0.65; top-p 0.5 then keeps only the first (0.615 ≥ 0.5).
        AssertFrequencies(Frequencies(new GenerationOptions { Temperature = 1, TopK = 2, TopP = 0.5 }), Renormalised(1));
    }

    [Test]
    public void Temperature_sharpens_the_distribution()
    {
        // At T = 0.5 the probabilities become p² renormalised.
        var squared = Probs.Select(p => p * p / Probs.Sum(q => q * q)).ToArray();
        AssertFrequencies(Frequencies(new GenerationOptions { Temperature = 0.5 }), squared);
    }

    [Test]
    public void Repetition_penalty_divides_positive_and_multiplies_negative_logits_of_seen_tokens()
    {
        using var logits = tensor(new float[] { 2f, -2f, 2f, -2f }, [1, 4]);
        using var penalised = TokenSampler.Penalise(logits, [new[] { 0, 1, 1 }], 2.0);
        Assert.That(penalised.data<float>().ToArray(), Is.EqualTo(new[] { 1f, -4f, 2f, -2f }));
    }

    [Test]
    public void Greedy_takes_the_argmax_whatever_the_generator()
    {
        var sampler = new TokenSampler(GenerationOptions.Greedy);
        using var logits = tensor(new float[] { 0.1f, 3f, 2.9f, 0f, 1f, 3.5f }, [2, 3]);
        using var g = new Generator(1);
        IReadOnlyList<int> context = [0];
        Assert.That(sampler.Next(logits, [context, context], [g, g]), Is.EqualTo(new[] { 1, 2 }));
    }
}
