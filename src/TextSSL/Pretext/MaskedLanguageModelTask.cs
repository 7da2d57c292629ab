using System.Text.Json;
using TextSSL.Corpora;
using TextSSL.Modeling;
using TextSSL.Tokenization;

namespace TextSSL.Pretext;

/// <summary>
/// Masked language modeling (<c>mlm</c>) for a bidirectional encoder: sequences <c>[CLS] text [SEP] [PAD]…</c>
/// cut at document boundaries, with masks drawn afresh for every batch (dynamic masking, RoBERTa) by
/// <see cref="TokenMasker"/>; the loss counts only the chosen positions.
/// </summary>
/// <remarks>
/// Without a <c>[PAD]</c> token sequences are not cut at document boundaries (the end-of-text token stays in
/// them, never masked). <c>[CLS]</c> and <c>[SEP]</c> are added when the tokenizer has them.
/// </remarks>
public sealed class MaskedLanguageModelTask : IPretextTask
{
    /// <summary>Seed of the masks drawn for evaluation; fixed so every evaluation scores the same positions.</summary>
    public const long EvaluationSeed = 0x0E7A1;

    private readonly TokenMasker _masker;
    private readonly SeededRandom _random;
    private readonly int? _cls, _sep, _pad, _eot;

    /// <summary>Creates the task for <paramref name="tokenizer"/>'s special tokens.</summary>
    /// <exception cref="TextSslException">The tokenizer has no mask token.</exception>
    public MaskedLanguageModelTask(TextTokenizer tokenizer, long seed, MaskingOptions? options = null)
    {
        Options = options ?? new MaskingOptions();
        _masker = new TokenMasker(tokenizer, Options);
        _random = new SeededRandom(seed);
        _cls = tokenizer.Specials.IdOf(SpecialTokenRole.Cls);
        _sep = tokenizer.Specials.IdOf(SpecialTokenRole.Sep);
        _pad = tokenizer.Specials.IdOf(SpecialTokenRole.Pad);
        _eot = tokenizer.Specials.IdOf(SpecialTokenRole.EndOfText);
    }

    /// <inheritdoc/>
    public string Name => "mlm";

    /// <inheritdoc/>
    public ModelKind ModelKind => ModelKind.Encoder;

    /// <inheritdoc/>
    public bool ReportsAccuracy => true;

    /// <summary>The masking settings.</summary>
    public MaskingOptions Options { get; }

    private int Markers => (_cls is null ? 0 : 1) + (_sep is null ? 0 : 1);

    private bool CutsDocuments => _pad is not null && _eot is not null;

    /// <inheritdoc/>
    public void Validate(ITokenStream stream, int blockSize, string splitName)
    {
        if (blockSize <= Markers) throw new TextSslException($"block size {blockSize} leaves no room for text between [CLS] and [SEP].");
        if (stream.Count < 1) throw new TextSslException($"the {splitName} split is empty.");
        if (_pad is null && stream.Count < blockSize - Markers)
            throw new TextSslException($"the {splitName} split has {stream.Count} tokens, fewer than one sequence of {blockSize - Markers}, and the tokenizer has no [PAD] to fill it. " +
                                       "Use more data or a smaller --block-size.");
    }

    /// <inheritdoc/>
    public PretextBatch NextBatch(ITokenStream stream, int batchSize, int blockSize)
    {
        var content = (int)Math.Min(blockSize - Markers, stream.Count);
        var builder = new RowBuilder(this, batchSize, blockSize);
        var window = new int[content];
        for (var draws = 0; builder.Rows < batchSize; draws++)
        {
            if (draws > 1000 * batchSize) throw new TextSslException("masked-LM found no text to mask: the stream holds only end-of-text tokens.");
            stream.CopyTo(_random.NextInt64(stream.Count - content + 1), window);
            ReadOnlySpan<int> text = CutsDocuments ? FirstDocument(window, out _) : window;
            builder.Add(text, _random);
        }
        return builder.Build();
    }

    /// <summary>
    /// Consecutive sequences covering the stream from its start: each document is cut into pieces of at most
    /// block size minus the markers. Masks come from a generator seeded with <see cref="EvaluationSeed"/>.
    /// </summary>
    public IEnumerable<PretextBatch> EvaluationBatches(ITokenStream stream, int batchSize, int blockSize)
    {
        var random = new SeededRandom(EvaluationSeed);
        var content = blockSize - Markers;
        var builder = new RowBuilder(this, batchSize, blockSize);
        var window = new int[content];
        long position = 0;
        while (position < stream.Count)
        {
            var n = (int)Math.Min(content, stream.Count - position);
            var span = window.AsSpan(0, n);
            stream.CopyTo(position, span);
            ReadOnlySpan<int> text = span;
            if (CutsDocuments)
            {
                text = FirstDocument(span, out var skipped);
                position += skipped + text.Length;
                if (text.Length == 0) continue;
            }
            else position += n;
            // Without padding every row of a batch must have the same length: a short tail goes alone.
            if (_pad is null && text.Length + Markers != blockSize)
            {
                var tailText = text.ToArray();
                if (builder.Rows > 0) yield return builder.Build();
                var tail = new RowBuilder(this, 1, tailText.Length + Markers);
                tail.Add(tailText, random);
                yield return tail.Build();
                builder = new RowBuilder(this, batchSize, blockSize);
                continue;
            }
            builder.Add(text, random);
            if (builder.Rows == batchSize)
            {
                yield return builder.Build();
                builder = new RowBuilder(this, batchSize, blockSize);
            }
        }
        if (builder.Rows > 0) yield return builder.Build();
    }

    /// <summary>The first document in the window: leading end-of-text tokens skipped, cut before the next one.</summary>
    private ReadOnlySpan<int> FirstDocument(ReadOnlySpan<int> window, out int skipped)
    {
        var eot = _eot!.Value;
        skipped = 0;
        while (skipped < window.Length && window[skipped] == eot) skipped++;
        var rest = window[skipped..];
        var end = rest.IndexOf(eot);
        return end < 0 ? rest : rest[..end];
    }

    /// <inheritdoc/>
    public PretextOutput Compute(Transformer model, PretextBatch batch, bool withAccuracy) =>
        PretextOutput.CrossEntropy(model, batch, withAccuracy);

    /// <inheritdoc/>
    public string SaveState() => JsonSerializer.Serialize(new State(Name, _random.State));

    /// <inheritdoc/>
    public void LoadState(string state)
    {
        var s = JsonSerializer.Deserialize<State>(state);
        if (s is null || s.Task != Name) throw new TextSslException($"the checkpoint's sampler state is not for the {Name} task; resume with the same --task.");
        _random.State = s.Random;
    }

    private sealed record State(string Task, ulong[] Random);

    /// <summary>Lays out <c>[CLS] text [SEP] [PAD]…</c> rows, masks them and packs them into a batch.</summary>
    private sealed class RowBuilder(MaskedLanguageModelTask task, int capacity, int width)
    {
        private readonly long[] _inputs = new long[capacity * width];
        private readonly long[] _labels = new long[capacity * width];
        private readonly bool[] _real = new bool[capacity * width];
        private long _targets;
        private bool _padded;

        public int Rows { get; private set; }

        public void Add(ReadOnlySpan<int> text, SeededRandom random)
        {
            var row = _inputs.AsSpan(Rows * width, width);
            var n = 0;
            if (task._cls is { } cls) row[n++] = cls;
            foreach (var t in text) row[n++] = t;
            if (task._sep is { } sep) row[n++] = sep;
            if (n == 0) return;                                  // nothing to learn from; draw again
            if (n < width)
            {
                row[n..].Fill(task._pad!.Value);
                _padded = true;
            }
            _real.AsSpan(Rows * width, n).Fill(true);
            _targets += task._masker.Apply(row, _labels.AsSpan(Rows * width, width), n, random);
            Rows++;
        }

        public PretextBatch Build()
        {
            var used = Rows * width;
            return PretextBatch.FromArrays(_inputs[..used], _labels[..used], _padded ? _real[..used] : null, Rows, width, _targets);
        }
    }
}
