using TextSSL.Modeling;
using static TorchSharp.torch;

namespace TextSSL.Interop;

/// <summary>One GPT-2 tensor and the TextSSL parameter it corresponds to.</summary>
/// <param name="Gpt2Name">Its name in a <c>GPT2LMHeadModel</c> state dict (<c>transformer.h.0.attn.c_attn.weight</c>).</param>
/// <param name="TextSslName">The <see cref="Transformer"/> parameter (<c>h.0.attn.c_attn.weight</c>).</param>
/// <param name="Transposed">GPT-2's <c>Conv1D</c> stores [in, out]; TextSSL's Linear stores [out, in].</param>
/// <param name="Gpt2Shape">The shape in GPT-2's layout.</param>
/// <param name="IsBias">A bias: a bias-free TextSSL model exports zeros here.</param>
internal sealed record Gpt2Tensor(string Gpt2Name, string TextSslName, bool Transposed, long[] Gpt2Shape, bool IsBias);

/// <summary>
/// GPT-2's parameter names and layouts (the published <c>GPT2LMHeadModel</c>) against TextSSL's decoder. Both compute
/// pre-LayerNorm blocks (eps 1e-5), a fused QKV projection split [q | k | v] with heads contiguous inside each, attention
/// scaled by 1/√head-width, a 4× MLP, a final LayerNorm and a tied (or separate) head without bias.
/// </summary>
internal static class Gpt2Layout
{
    /// <summary>The prefix of the trunk's tensors in <c>GPT2LMHeadModel</c>; files saved from <c>GPT2Model</c> omit it.</summary>
    public const string Prefix = "transformer.";

    /// <summary>Every tensor of a GPT-2 with <paramref name="c"/>'s shape; <c>lm_head.weight</c> only when untied.</summary>
    public static IEnumerable<Gpt2Tensor> Tensors(TransformerConfig c)
    {
        long d = c.Dim;
        yield return new(Prefix + "wte.weight", "wte.weight", false, [c.VocabSize, d], false);
        yield return new(Prefix + "wpe.weight", "wpe.weight", false, [c.BlockSize, d], false);
        for (var i = 0; i < c.Layers; i++)
        {
            var h = $"h.{i}.";
            foreach (var ln in new[] { "ln_1", "ln_2" })
            {
                yield return new(Prefix + h + ln + ".weight", h + ln + ".weight", false, [d], false);
                yield return new(Prefix + h + ln + ".bias", h + ln + ".bias", false, [d], true);
            }
            foreach (var (name, inF, outF) in new[] { ("attn.c_attn", d, 3 * d), ("attn.c_proj", d, d), ("mlp.c_fc", d, 4 * d), ("mlp.c_proj", 4 * d, d) })
            {
                yield return new(Prefix + h + name + ".weight", h + name + ".weight", true, [inF, outF], false);
                yield return new(Prefix + h + name + ".bias", h + name + ".bias", false, [outF], true);
            }
        }
        yield return new(Prefix + "ln_f.weight", "ln_f.weight", false, [d], false);
        yield return new(Prefix + "ln_f.bias", "ln_f.bias", false, [d], true);
        if (!c.TiedEmbeddings) yield return new("lm_head.weight", "lm_head.weight", false, [c.VocabSize, d], false);
    }

    /// <summary>
    /// Whether a tensor in a GPT-2 file is something TextSSL rebuilds itself: the causal-mask buffers
    /// (<c>attn.bias</c>, <c>attn.masked_bias</c>) older checkpoints store, and a tied <c>lm_head.weight</c>.
    /// </summary>
    public static bool IsIgnorable(string name, bool tied) =>
        name.EndsWith(".attn.bias", StringComparison.Ordinal) || name.EndsWith(".attn.masked_bias", StringComparison.Ordinal)
        || (tied && name == "lm_head.weight");

    /// <summary>The model's parameters as GPT-2 tensors (fp32 copies on the CPU), in GPT-2's order.</summary>
    public static List<(string Name, Tensor Tensor)> Export(Transformer model)
    {
        var parameters = model.named_parameters().ToDictionary(p => p.name, p => (Tensor)p.parameter);
        var result = new List<(string, Tensor)>();
        using var _ = no_grad();
        foreach (var t in Tensors(model.Config))
        {
            Tensor value;
            if (parameters.TryGetValue(t.TextSslName, out var p))
            {
                using var cpu = p.detach().to(ScalarType.Float32).cpu();
                value = t.Transposed ? cpu.t().contiguous() : cpu.clone();
            }
            else if (t.IsBias) value = zeros(t.Gpt2Shape, ScalarType.Float32); // bias-free model: GPT-2 always has biases
            else throw new InvalidOperationException($"the model has no parameter '{t.TextSslName}' for GPT-2's '{t.Gpt2Name}'.");
            if (!value.shape.SequenceEqual(t.Gpt2Shape))
                throw new InvalidOperationException($"'{t.TextSslName}' has shape [{string.Join(", ", value.shape)}]; GPT-2's '{t.Gpt2Name}' needs [{string.Join(", ", t.Gpt2Shape)}].");
            result.Add((t.Gpt2Name, value));
        }
        return result;
    }

    /// <summary>Copies GPT-2 tensors into <paramref name="model"/>'s parameters.</summary>
    /// <param name="model">A freshly built model whose config matches the file's.</param>
    /// <param name="weights">GPT-2 name → fp32 tensor, as read from the directory.</param>
    /// <param name="source">The directory, for messages.</param>
    /// <exception cref="TextSslException">A tensor is missing, has the wrong shape, or is not part of GPT-2.</exception>
    public static void Import(Transformer model, IReadOnlyDictionary<string, Tensor> weights, string source)
    {
        var parameters = model.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        // Files saved from GPT2Model (the original OpenAI conversion) have no "transformer." prefix.
        var prefixed = weights.Keys.Any(k => k.StartsWith(Prefix, StringComparison.Ordinal));
        string FileName(string gpt2Name) => prefixed || !gpt2Name.StartsWith(Prefix, StringComparison.Ordinal) ? gpt2Name : gpt2Name[Prefix.Length..];
        var expected = Tensors(model.Config).ToList();
        var used = new HashSet<string>();
        using var _ = no_grad();
        foreach (var t in expected)
        {
            var name = FileName(t.Gpt2Name);
            if (!weights.TryGetValue(name, out var value))
                throw new TextSslException($"'{source}': the weights lack '{name}', which a GPT-2 with this config.json has.");
            if (!value.shape.SequenceEqual(t.Gpt2Shape))
                throw new TextSslException($"'{source}': tensor '{name}' has shape [{string.Join(", ", value.shape)}]; config.json implies [{string.Join(", ", t.Gpt2Shape)}].");
            var target = parameters[t.TextSslName];
            using var source32 = t.Transposed ? value.t() : value.alias();
            target.copy_(source32);
            used.Add(name);
        }
        var extra = weights.Keys.Where(k => !used.Contains(k) && !IsIgnorable(k, model.Config.TiedEmbeddings)).Order(StringComparer.Ordinal).FirstOrDefault();
        if (extra is not null)
            throw new TextSslException($"'{source}': tensor '{extra}' is not part of a GPT-2 with this config.json (a different architecture or an option TextSSL lacks).");
    }
}
