using TextSSL.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace TextSSL.Generation;

/// <summary>
/// Turns one step's logits into next tokens: repetition penalty, temperature, top-k, top-p, then a draw.
/// Every row draws with its own CPU generator, so a row's tokens do not depend on which other rows share its batch.
/// </summary>
internal sealed class TokenSampler(GenerationOptions options)
{
    /// <summary>Chooses one token per row.</summary>
    /// <param name="logits">Last-position logits (B, V), fp32, on any device.</param>
    /// <param name="contexts">Each row's tokens so far (prompt and completion), for the repetition penalty; all of equal length.</param>
    /// <param name="generators">One CPU generator per row.</param>
    /// <exception cref="TextSslException">The scores hold NaN (or an infinity that makes the distribution undefined).</exception>
    public int[] Next(Tensor logits, IReadOnlyList<IReadOnlyList<int>> contexts, IReadOnlyList<TorchSharp.torch.Generator> generators)
    {
        using var scope = NewDisposeScope();
        var scores = options.RepetitionPenalty == 1.0 ? logits : Penalise(logits, contexts, options.RepetitionPenalty);
        if (options.Temperature == 0)
        {
            var best = scores.argmax(-1);
            // argmax picks a NaN when there is one, so checking the picked scores catches a model that produced NaN.
            if (!scores.gather(1, best.unsqueeze(1)).isfinite().all().item<bool>()) throw NonFinite();
            return ToInts(best);
        }
        var probs = Probabilities(scores).cpu();
        if (probs.isnan().any().item<bool>()) throw NonFinite();
        var next = new int[probs.shape[0]];
        for (var r = 0; r < next.Length; r++)
            next[r] = (int)probs[r].multinomial(1, false, generators[r]).item<long>();
        return next;
    }

    /// <summary>The distribution a draw is taken from (B, V): temperature, top-k and top-p applied to <paramref name="scores"/>.</summary>
    public Tensor Probabilities(Tensor scores)
    {
        using var scope = NewDisposeScope();
        // scalars held by `using` outlive the calls that read them (see Scalars)
        using var temperature = options.Temperature.ToScalar();
        using var minusInfinity = double.NegativeInfinity.ToScalar();
        var x = scores.div(temperature);
        if (options.TopK is { } k && k < x.shape[^1])
        {
            var (values, _) = x.topk(k, -1);
            var kth = values.narrow(-1, k - 1, 1);                 // (B, 1): the k-th largest logit
            x = x.masked_fill(x < kth, minusInfinity);
        }
        if (options.TopP is { } p && p < 1)
        {
            var (sorted, order) = x.sort(-1, descending: true);
            var sortedProbs = sorted.softmax(-1);
            // Drop a token when the tokens ranked above it already reach p; the most likely token always stays.
            using var threshold = p.ToScalar();
            var before = sortedProbs.cumsum(-1) - sortedProbs;
            var dropSorted = before.ge(threshold);
            var drop = zeros_like(dropSorted).scatter(-1, order, dropSorted);
            x = x.masked_fill(drop, minusInfinity);
        }
        return x.softmax(-1).MoveToOuterDisposeScope();
    }

    /// <summary>CTRL's repetition penalty over each row's context.</summary>
    public static Tensor Penalise(Tensor logits, IReadOnlyList<IReadOnlyList<int>> contexts, double penalty)
    {
        using var scope = NewDisposeScope();
        var width = contexts[0].Count;
        var flat = new long[contexts.Count * width];
        for (var r = 0; r < contexts.Count; r++)
            for (var i = 0; i < width; i++) flat[r * width + i] = contexts[r][i];
        var ids = tensor(flat, [contexts.Count, width], device: logits.device);
        var seen = logits.gather(1, ids);
        using var zero = 0.0.ToScalar();
        using var factor = penalty.ToScalar();
        var penalised = where(seen.gt(zero), seen.div(factor), seen.mul(factor));
        return logits.scatter(1, ids, penalised).MoveToOuterDisposeScope();
    }

    private static TextSslException NonFinite() =>
        new("the model produced scores that are not numbers (NaN or infinity), so no token can be chosen; its weights are damaged or " +
            "training diverged. Use an earlier checkpoint.");

    private static int[] ToInts(Tensor ids) => ids.cpu().to(ScalarType.Int64).data<long>().Select(v => (int)v).ToArray();
}
