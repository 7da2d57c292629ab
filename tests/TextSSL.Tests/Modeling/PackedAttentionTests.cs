using TextSSL.Modeling;
using TextSSL.Runtime;
using static TorchSharp.torch;

namespace TextSSL.Tests.Modeling;

/// <summary>Several documents packed in one sequence under the block-diagonal mask behave as if each ran alone.</summary>
public class PackedAttentionTests
{
    [OneTimeSetUp]
    public void LoadTorch() => TorchRuntime.EnsureLoaded();

    private static readonly int[] Lengths = [5, 9, 3, 7];     // packed as two rows of 16: [5, 9, pad 2] and [3, 7, pad 6]
    private const int Width = 16;

    private static Transformer Tiny(ModelKind kind, PositionKind positions)
    {
        manual_seed(0);
        var model = new Transformer(TransformerConfig.Preset("tiny", kind, vocabSize: 50) with { Positions = positions });
        model.eval();
        return model;
    }

    private static long[][] Documents(long seed)
    {
        var random = new TextSSL.Pretext.SeededRandom(seed);
        return Lengths.Select(n => Enumerable.Range(0, n).Select(_ => (long)random.NextInt(50)).ToArray()).ToArray();
    }

    /// <summary>Two rows: documents 0 and 1 in the first, 2 and 3 in the second; padding (id 0 of its own) after them.</summary>
    private static (Tensor Ids, Tensor DocumentIds, Tensor Positions, (int Row, int Start)[] Where) Pack(long[][] docs)
    {
        var ids = new long[2 * Width];
        var documentIds = new long[2 * Width];
        var positions = new long[2 * Width];
        var where = new (int, int)[docs.Length];
        for (var row = 0; row < 2; row++)
        {
            var n = 0;
            for (var k = 0; k < 2; k++)
            {
                var d = 2 * row + k;
                where[d] = (row, n);
                for (var j = 0; j < docs[d].Length; j++, n++)
                {
                    ids[row * Width + n] = docs[d][j];
                    documentIds[row * Width + n] = k + 1;
                    positions[row * Width + n] = j;
                }
            }
            for (var j = n; j < Width; j++)
            {
                ids[row * Width + j] = 7;                        // padding: any id, its own document
                positions[row * Width + j] = j - n;
            }
        }
        return (tensor(ids, [2, Width]), tensor(documentIds, [2, Width]), tensor(positions, [2, Width]), where);
    }

    [TestCase(ModelKind.Encoder, PositionKind.Learned)]
    [TestCase(ModelKind.Encoder, PositionKind.Rotary)]
    [TestCase(ModelKind.Decoder, PositionKind.Learned)]
    [TestCase(ModelKind.Decoder, PositionKind.Rotary)]
    public void Each_packed_document_gives_the_logits_and_hidden_states_it_gives_alone(ModelKind kind, PositionKind positionKind)
    {
        using var model = Tiny(kind, positionKind);
        using var _ = no_grad();
        var docs = Documents(1);
        var (ids, documentIds, positions, where) = Pack(docs);
        using var mask = Transformer.DocumentMask(documentIds);
        Assert.That(mask.shape, Is.EqualTo(new long[] { 2, 1, Width, Width }));
        using var packed = model.Forward(ids, attentionMask: mask, positions: positions);
        var packedStates = model.HiddenStates(ids, attentionMask: mask, positions: positions);
        for (var d = 0; d < docs.Length; d++)
        {
            var (row, start) = where[d];
            var n = docs[d].Length;
            using var alone = tensor(docs[d], [1, n]);
            using var expected = model.Forward(alone);
            using var got = packed[row, start..(start + n)].unsqueeze(0);
            Assert.That((got - expected).abs().max().item<float>(), Is.LessThan(1e-5f), $"logits of document {d}");
            var aloneStates = model.HiddenStates(alone);
            for (var layer = 0; layer < aloneStates.Count; layer++)
            {
                using var state = packedStates[layer][row, start..(start + n)].unsqueeze(0);
                Assert.That((state - aloneStates[layer]).abs().max().item<float>(), Is.LessThan(1e-5f), $"hidden state {layer} of document {d}");
            }
            foreach (var s in aloneStates) s.Dispose();
        }
        foreach (var s in packedStates) s.Dispose();
        Assert.That(packed.isnan().any().item<bool>(), Is.False, "padding rows attend to themselves, so nothing is NaN");
    }

    [TestCase(ModelKind.Encoder, PositionKind.Learned)]
    [TestCase(ModelKind.Decoder, PositionKind.Rotary)]
    public void Changing_one_document_leaves_the_others_in_its_row_untouched(ModelKind kind, PositionKind positionKind)
    {
        using var model = Tiny(kind, positionKind);
        using var _ = no_grad();
        var docs = Documents(2);
        var (ids, documentIds, positions, where) = Pack(docs);
        // Change every token of document 0 (row 0, before document 1): document 1 shares the row and follows it.
        var changed = docs.Select(d => d.ToArray()).ToArray();
        for (var j = 0; j < changed[0].Length; j++) changed[0][j] = (changed[0][j] + 1 + j) % 50;
        var (otherIds, _, _, _) = Pack(changed);
        using var mask = Transformer.DocumentMask(documentIds);
        using var a = model.Forward(ids, attentionMask: mask, positions: positions);
        using var b = model.Forward(otherIds, attentionMask: mask, positions: positions);
        var (row, start) = where[1];
        var n = docs[1].Length;
        Assert.That(a[row, start..(start + n)].eq(b[row, start..(start + n)]).all().item<bool>(), Is.True, "document 1 saw document 0");
        Assert.That(a[1].eq(b[1]).all().item<bool>(), Is.True, "the other row moved");
        Assert.That(a[0, ..docs[0].Length].allclose(b[0, ..docs[0].Length]), Is.False, "the changed document did not change");
    }

    [Test]
    public void A_padding_mask_is_the_special_case_of_two_document_ids()
    {
        using var model = Tiny(ModelKind.Encoder, PositionKind.Learned);
        using var _ = no_grad();
        using var ids = randint(0, 50, [1, 12], dtype: ScalarType.Int64);
        using var real = ones(1, 12, ScalarType.Bool);
        real[0, 8..] = false;
        using var viaPadding = model.Forward(ids, real);
        using var viaMask = model.Forward(ids, attentionMask: real.view(1, 1, 1, 12));
        Assert.That(viaMask[0, ..8].allclose(viaPadding[0, ..8], rtol: 1e-5, atol: 1e-6), Is.True);
    }

    [Test]
    public void A_mask_or_positions_with_a_cache_is_refused()
    {
        using var model = Tiny(ModelKind.Decoder, PositionKind.Learned);
        using var cache = new KvCache(model.Config.Layers);
        using var ids = zeros(1, 4, ScalarType.Int64);
        using var positions = arange(4, dtype: ScalarType.Int64).unsqueeze(0);
        Assert.That(() => model.Forward(ids, cache: cache, positions: positions), Throws.ArgumentException);
    }
}
