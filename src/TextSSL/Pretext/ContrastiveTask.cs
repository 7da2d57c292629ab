using System.Text.Json;
using TextSSL.Corpora;
using TextSSL.Modeling;
using TextSSL.Probing;
using TextSSL.Tokenization;
using TorchSharp;
using static TorchSharp.torch;

namespace TextSSL.Pretext;

/// <summary>
/// Contrastive learning of text vectors (<c>contrastive</c>), unsupervised SimCSE (Gao, Yao and Chen 2021): every
/// text of a batch passes through the model twice with dropout on, so the two pooled vectors differ only by the
/// dropout noise; they are each other's positive, the other texts of the batch are the negatives, and the loss is
/// InfoNCE — cross-entropy over the cosine similarities divided by a temperature.
/// </summary>
/// <remarks>
/// <para>Rows hold one document each (<c>[CLS] text [SEP]</c> on an encoder whose tokenizer has those tokens): a window
/// of the stream at a random offset, cut at the first end-of-text token, at most block size long, right-padded; the
/// batch's padding mask keeps padding out of attention (encoders) and out of pooling. A decoder gets no mask: with right
/// padding and causal attention no real position reads a pad, and pooling reads real positions only.</para>
/// <para>Both views run in one forward pass of the batch stacked on itself, so each row draws its own dropout mask.</para>
/// <para>Evaluation runs with dropout off, so the two views are the same vector: the validation loss then measures how
/// well texts are told apart from the other texts of their batch (the "uniformity" side of the objective), not the
/// alignment of noisy views. SimCSE itself judges its models downstream; in TextSSL that is the probe.</para>
/// <para>The loss sum is over the texts of the batch and <see cref="PretextOutput.TargetCount"/> is the number of texts,
/// so losses and "tokens" of evaluation count texts for this task.</para>
/// </remarks>
public sealed class ContrastiveTask : IPretextTask
{
    private readonly SeededRandom _random;
    private readonly int? _cls, _sep, _eot;
    private readonly int _pad;
    private ContrastiveProjection? _head;

    /// <summary>Creates the task.</summary>
    /// <param name="tokenizer">The data's tokenizer (its [CLS], [SEP], [PAD] and end-of-text tokens are used when present).</param>
    /// <param name="seed">Seed of the window sampler.</param>
    /// <param name="options">Temperature and pooling.</param>
    /// <param name="kind">Encoder (default; bidirectional) or decoder (causal, e.g. continuing a next-token checkpoint).</param>
    public ContrastiveTask(TextTokenizer tokenizer, long seed, ContrastiveOptions? options = null, ModelKind kind = ModelKind.Encoder)
    {
        Options = (options ?? new ContrastiveOptions()).Validate();
        ModelKind = kind;
        _random = new SeededRandom(seed);
        var specials = tokenizer.Specials;
        if (kind == ModelKind.Encoder)
        {
            _cls = specials.IdOf(SpecialTokenRole.Cls);
            _sep = specials.IdOf(SpecialTokenRole.Sep);
        }
        _eot = specials.IdOf(SpecialTokenRole.EndOfText);
        _pad = specials.IdOf(SpecialTokenRole.Pad) ?? 0;   // any id will do: padded positions are masked
    }

    /// <inheritdoc/>
    public string Name => "contrastive";

    /// <inheritdoc/>
    public ModelKind ModelKind { get; }

    /// <inheritdoc/>
    /// <remarks>No accuracy: evaluation runs without dropout, so a text's two views are the same vector and in-batch
    /// retrieval of its positive would be right for every text that is not repeated in its batch.</remarks>
    public bool ReportsAccuracy => false;

    /// <inheritdoc/>
    /// <remarks>Texts: the loss is InfoNCE per text, which has no perplexity.</remarks>
    public Training.EvaluationUnit EvaluationUnit => Training.EvaluationUnit.Text;

    /// <summary>Temperature and pooling.</summary>
    public ContrastiveOptions Options { get; }

    private int Markers => (_cls is null ? 0 : 1) + (_sep is null ? 0 : 1);

    /// <inheritdoc/>
    public void Validate(ITokenStream stream, int blockSize, string splitName)
    {
        if (blockSize <= Markers) throw new TextSslException($"block size {blockSize} leaves no room for text between [CLS] and [SEP].");
        if (stream.Count < 2) throw new TextSslException($"the {splitName} split has {stream.Count} tokens; contrastive batches need at least two texts.");
    }

    /// <inheritdoc/>
    public PretextBatch NextBatch(ITokenStream stream, int batchSize, int blockSize)
    {
        var content = (int)Math.Min(blockSize - Markers, stream.Count);
        var builder = new RowBuilder(this, batchSize, blockSize);
        var window = new int[content];
        for (var draws = 0; builder.Rows < batchSize; draws++)
        {
            if (draws > 1000 * batchSize) throw new TextSslException("contrastive batches found no text: the stream holds only end-of-text tokens.");
            stream.CopyTo(_random.NextInt64(stream.Count - content + 1), window);
            builder.Add(FirstDocument(window, out _));
        }
        return builder.Build();
    }

    /// <summary>Consecutive texts from the stream's start: each document, cut into pieces of at most block size minus the markers.</summary>
    public IEnumerable<PretextBatch> EvaluationBatches(ITokenStream stream, int batchSize, int blockSize)
    {
        var content = blockSize - Markers;
        var builder = new RowBuilder(this, batchSize, blockSize);
        var window = new int[content];
        long position = 0;
        while (position < stream.Count)
        {
            var n = (int)Math.Min(content, stream.Count - position);
            var span = window.AsSpan(0, n);
            stream.CopyTo(position, span);
            var text = FirstDocument(span, out var skipped);
            position += skipped + text.Length;
            if (text.Length == 0) continue;
            builder.Add(text);
            if (builder.Rows == batchSize)
            {
                yield return builder.Build();
                builder = new RowBuilder(this, batchSize, blockSize);
            }
        }
        if (builder.Rows > 1) yield return builder.Build();      // one text alone has no negative to be told apart from
    }

    /// <summary>The first document in the window: leading end-of-text tokens skipped, cut before the next one.</summary>
    private ReadOnlySpan<int> FirstDocument(ReadOnlySpan<int> window, out int skipped)
    {
        skipped = 0;
        if (_eot is not { } eot) return window;
        while (skipped < window.Length && window[skipped] == eot) skipped++;
        var rest = window[skipped..];
        var end = rest.IndexOf(eot);
        return end < 0 ? rest : rest[..end];
    }

    /// <inheritdoc/>
    public PretextOutput Compute(Transformer model, PretextBatch batch, bool withAccuracy)
    {
        using var scope = NewDisposeScope();
        var (first, second) = Views(model, batch);
        var loss = InfoNceSum(first, second, Options.Temperature);
        return new PretextOutput(loss.MoveToOuterDisposeScope(), batch.Inputs.shape[0], null);
    }

    /// <summary>
    /// The two pooled views (B, C) of the batch's texts: in training mode from one forward pass of the batch stacked on
    /// itself (independent dropout per row); in eval mode one pass, returned twice.
    /// </summary>
    public (Tensor First, Tensor Second) Views(Transformer model, PretextBatch batch)
    {
        using var scope = NewDisposeScope();
        var mask = batch.PaddingMask ?? ones_like(batch.Inputs, ScalarType.Bool);
        if (!model.training)
        {
            var z = Pooled(model, batch.Inputs, mask);
            return (z.MoveToOuterDisposeScope(), z.alias().MoveToOuterDisposeScope());
        }
        var both = Pooled(model, cat([batch.Inputs, batch.Inputs], 0), cat([mask, mask], 0));
        var views = both.chunk(2, 0);
        return (views[0].MoveToOuterDisposeScope(), views[1].MoveToOuterDisposeScope());
    }

    private Tensor Pooled(Transformer model, Tensor ids, Tensor mask)
    {
        var states = model.HiddenStates(ids, model.Config.Kind == ModelKind.Encoder ? mask : null);
        var pooled = FeatureExtractor.Pool(states[^1], mask.sum([1]), Options.Pooling);
        return _head is null ? pooled : _head.forward(pooled);
    }

    /// <summary>
    /// When <see cref="ContrastiveOptions.Projection"/> is set: creates the projection head for <paramref name="model"/>
    /// (on its device, in its mode) and returns the module the optimizer must update (model and head); otherwise the model.
    /// </summary>
    internal nn.Module Trainable(Transformer model, Device device)
    {
        if (!Options.Projection) return model;
        _head?.Dispose();
        _head = new ContrastiveProjection(model.Config.Dim);
        _head.to(device);
        _head.train(model.training);
        return new ModelWithProjection(model, _head);
    }

    /// <summary>
    /// InfoNCE summed over the rows: row i's positive is <paramref name="second"/>[i], the other rows of
    /// <paramref name="second"/> are its negatives; logits are cosine similarities divided by <paramref name="temperature"/>.
    /// </summary>
    /// <param name="first">(B, C) first views.</param>
    /// <param name="second">(B, C) second views.</param>
    /// <param name="temperature">The softmax temperature (SimCSE: 0.05).</param>
    /// <returns>A 0-d fp32 tensor: the sum over rows of −log softmax(sim[i, :])[i].</returns>
    public static Tensor InfoNceSum(Tensor first, Tensor second, double temperature)
    {
        using var scope = NewDisposeScope();
        var a = nn.functional.normalize(first.to(ScalarType.Float32), p: 2, dim: 1);
        var b = nn.functional.normalize(second.to(ScalarType.Float32), p: 2, dim: 1);
        var logits = a.mm(b.t()) / temperature;                                          // (B, B)
        var labels = arange(first.shape[0], dtype: ScalarType.Int64, device: first.device);
        return nn.functional.cross_entropy(logits, labels, reduction: nn.Reduction.Sum).MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    public string SaveState() =>
        JsonSerializer.Serialize(new State(Name, _random.State, _head?.parameters().Select(p => p.detach().cpu().data<float>().ToArray()).ToArray()));

    /// <inheritdoc/>
    public void LoadState(string state)
    {
        var s = JsonSerializer.Deserialize<State>(state);
        if (s is null || s.Task != Name) throw new TextSslException($"the checkpoint's sampler state is not for the {Name} task; resume with the same task.");
        if ((s.Projection is null) != (_head is null))
            throw new TextSslException($"the checkpoint was trained {(s.Projection is null ? "without" : "with")} a projection head; resume with the same Projection setting.");
        _random.State = s.Random;
        if (_head is null) return;
        using var _ = no_grad();
        var parameters = _head.parameters().ToList();
        for (var i = 0; i < parameters.Count; i++)
        {
            using var saved = tensor(s.Projection![i], parameters[i].shape);
            parameters[i].copy_(saved);
        }
    }

    private sealed record State(string Task, ulong[] Random, float[][]? Projection = null);

    /// <summary>Lays out <c>[CLS] text [SEP] pad…</c> rows with their padding mask.</summary>
    private sealed class RowBuilder(ContrastiveTask task, int capacity, int width)
    {
        private readonly long[] _inputs = new long[capacity * width];
        private readonly bool[] _real = new bool[capacity * width];

        public int Rows { get; private set; }

        public void Add(ReadOnlySpan<int> text)
        {
            if (text.Length == 0) return;                        // nothing to embed; draw again
            var row = _inputs.AsSpan(Rows * width, width);
            var n = 0;
            if (task._cls is { } cls) row[n++] = cls;
            foreach (var t in text) row[n++] = t;
            if (task._sep is { } sep) row[n++] = sep;
            row[n..].Fill(task._pad);
            _real.AsSpan(Rows * width, n).Fill(true);
            Rows++;
        }

        public PretextBatch Build()
        {
            var used = Rows * width;
            var targets = new long[used];
            Array.Fill(targets, PretextBatch.IgnoreIndex);
            return PretextBatch.FromArrays(_inputs[..used], targets, _real[..used], Rows, width, Rows);
        }
    }
}
