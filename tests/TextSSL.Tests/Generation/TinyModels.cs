using TextSSL.Modeling;
using TextSSL.Tokenization;
using static TorchSharp.torch;

namespace TextSSL.Tests.Generation;

/// <summary>Tiny character models; the decoder is briefly trained on a repetitive text so that its outputs are not noise.</summary>
internal static class TinyModels
{
    public const string Text = "the cat sat on the mat. the dog ate the log. a cat and a dog. ";

    public static CharTokenizer Tokenizer() =>
        CharTokenizer.Train(Text, [SpecialTokenRole.EndOfText, SpecialTokenRole.Mask, SpecialTokenRole.Cls, SpecialTokenRole.Sep, SpecialTokenRole.Pad]);

    public static Transformer Untrained(TextTokenizer tokenizer, ModelKind kind, PositionKind positions = PositionKind.Learned)
    {
        manual_seed(0);
        return new Transformer(TransformerConfig.Preset("tiny", kind, tokenizer.VocabSize) with { Positions = positions });
    }

    /// <summary>A decoder after 150 AdamW steps of next-token prediction on <see cref="Text"/>.</summary>
    public static Transformer TrainedDecoder(TextTokenizer tokenizer, PositionKind positions = PositionKind.Learned)
    {
        var model = Untrained(tokenizer, ModelKind.Decoder, positions);
        Train(model, tokenizer, x => (x[.., ..^1], x[.., 1..]), 150);
        return model;
    }

    private static void Train(Transformer model, TextTokenizer tokenizer, Func<Tensor, (Tensor Input, Tensor Labels)> task, int steps, double lr = 1e-2)
    {
        var data = tokenizer.Encode(string.Concat(Enumerable.Repeat(Text, 12)));
        var random = new Random(0);
        using var optimizer = optim.AdamW(model.parameters(), lr: lr);
        model.train();
        const int batch = 16, length = 32;
        for (var step = 0; step < steps; step++)
        {
            using var scope = NewDisposeScope();
            var rows = new long[batch * (length + 1)];
            for (var b = 0; b < batch; b++)
            {
                var start = random.Next(data.Length - length - 1);
                for (var i = 0; i <= length; i++) rows[b * (length + 1) + i] = data[start + i];
            }
            var (input, labels) = task(tensor(rows, [batch, length + 1]));
            var logits = model.Forward(input);
            var loss = nn.functional.cross_entropy(logits.reshape(-1, logits.shape[^1]), labels.reshape(-1), ignore_index: -100);
            optimizer.zero_grad();
            loss.backward();
            optimizer.step();
        }
        model.eval();
    }
}
