using TextSSL.Modeling;
using TextSSL.Tokenization;
using static TorchSharp.torch;

namespace TextSSL.Generation;

/// <summary>
/// Fill-mask for encoder (masked-LM) models: each mask token in a text gets its most probable replacements.
/// </summary>
/// <remarks>
/// The text is split at the tokenizer's mask string (e.g. <c>[MASK]</c>); the pieces are encoded and joined with the
/// mask id, and wrapped in the classification and separator tokens when the tokenizer has both, as masked-LM training
/// sequences are. Each mask is predicted independently in one forward pass. Special tokens are never offered as
/// candidates; probabilities are over the whole vocabulary.
/// </remarks>
public sealed class MaskFiller
{
    private readonly Device _device;

    /// <summary>Wraps an encoder and its tokenizer.</summary>
    /// <exception cref="TextSslException">The model is a decoder, or the tokenizer has no mask token.</exception>
    public MaskFiller(Transformer model, TextTokenizer tokenizer)
    {
        if (model.Config.Kind != ModelKind.Encoder)
            throw new TextSslException("this model is a decoder (next-token); fill-mask needs an encoder trained with masked-LM (task mlm). For a decoder generate text instead (TextGenerator).");
        MaskToken = tokenizer.Specials[SpecialTokenRole.Mask]
                    ?? throw new TextSslException("this model's tokenizer has no mask token, so there is nothing to fill. Train the tokenizer with a [MASK] special token.");
        Model = model;
        Tokenizer = tokenizer;
        _device = model.parameters().First().device;
    }

    /// <summary>The encoder.</summary>
    public Transformer Model { get; }

    /// <summary>Its tokenizer.</summary>
    public TextTokenizer Tokenizer { get; }

    /// <summary>The token that marks what to fill.</summary>
    public SpecialToken MaskToken { get; }

    /// <summary>Predicts every mask in <paramref name="text"/>.</summary>
    /// <param name="text">Text holding the mask string (<see cref="MaskToken"/>) at least once.</param>
    /// <param name="topK">Candidates per mask.</param>
    /// <param name="replaceUnknownWith">Replacement for characters the tokenizer cannot encode; null to fail naming them.</param>
    /// <exception cref="TextSslException">No mask in the text, or the text is too long for the model.</exception>
    /// <exception cref="OptionException"><paramref name="topK"/> (the option <c>TopK</c>) is below 1.</exception>
    public IReadOnlyList<MaskPrediction> Predict(string text, int topK = 5, string? replaceUnknownWith = null)
    {
        OptionException.CheckRange("TopK", topK, 1, int.MaxValue);
        var pieces = text.Split(MaskToken.Text);
        if (pieces.Length < 2)
            throw new TextSslException($"the text has no mask token; write {MaskToken.Text} where a token should be predicted, e.g. \"The {MaskToken.Text} rose over the sea.\"");

        var ids = new List<int>();
        var cls = Tokenizer.Specials.IdOf(SpecialTokenRole.Cls);
        var sep = Tokenizer.Specials.IdOf(SpecialTokenRole.Sep);
        var wrap = cls is not null && sep is not null;
        if (wrap) ids.Add(cls!.Value);
        var positions = new List<int>();
        for (var i = 0; i < pieces.Length; i++)
        {
            if (i > 0) { positions.Add(ids.Count); ids.Add(MaskToken.Id); }
            ids.AddRange(PromptEncoder.EncodeText(Tokenizer, pieces[i], replaceUnknownWith));
        }
        if (wrap) ids.Add(sep!.Value);
        if (ids.Count > Model.Config.BlockSize)
            throw new TextSslException($"the text is {ids.Count} tokens long; this model reads at most {Model.Config.BlockSize}. Shorten it.");

        float[][] probs;
        using (var scope = NewDisposeScope())
        using (no_grad())
        {
            Model.eval();
            var input = tensor(ids.Select(i => (long)i).ToArray(), [1, ids.Count], device: _device);
            var logits = Model.Forward(input)[0];                                       // (T, V)
            var atMasks = logits.index_select(0, tensor(positions.Select(p => (long)p).ToArray(), device: _device));
            var p = atMasks.softmax(-1).cpu();
            probs = Enumerable.Range(0, positions.Count).Select(m => p[m].data<float>().ToArray()).ToArray();
        }

        var specials = Tokenizer.Specials.All.Select(s => s.Id).ToHashSet();
        var predictions = new List<MaskPrediction>(positions.Count);
        for (var m = 0; m < positions.Count; m++)
        {
            var candidates = Enumerable.Range(0, Math.Min(probs[m].Length, Tokenizer.VocabSize))
                .Where(id => !specials.Contains(id))
                .OrderByDescending(id => probs[m][id]).ThenBy(id => id)
                .Take(topK)
                .Select(id =>
                {
                    var token = Tokenizer.Decode([id]);
                    return new MaskCandidate(id, token, probs[m][id], Fill(pieces, m, token));
                })
                .ToList();
            predictions.Add(new MaskPrediction(m, positions[m], candidates));
        }
        return predictions;
    }

    private string Fill(string[] pieces, int mask, string token)
    {
        var parts = new System.Text.StringBuilder(pieces[0]);
        for (var i = 1; i < pieces.Length; i++)
            parts.Append(i - 1 == mask ? token : MaskToken.Text).Append(pieces[i]);
        return parts.ToString();
    }
}
