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
/// With <see cref="SequencePacking.Documents"/>, training sequences instead pack several whole documents, each laid
/// out as <c>[CLS] text [SEP]</c> and masked on its own exactly as if it were alone, with a document id and
/// positions restarting at 0 per document (padding fills the rest of a row under an id of its own). Evaluation
/// batches are the same in both layouts, so validation losses compare.
/// </remarks>
public sealed class MaskedLanguageModelTask : IPretextTask
{
    /// <summary>Seed of the masks drawn for evaluation; fixed so every evaluation scores the same positions.</summary>
    public const long EvaluationSeed = 0x0E7A1;

    private readonly TokenMasker _masker;
    private readonly SeededRandom _random;
    private readonly int? _cls, _sep, _pad, _eot;
    private readonly DocumentPacker? _packer;

    /// <summary>Creates the task for <paramref name="tokenizer"/>'s special tokens.</summary>
    /// <param name="tokenizer">The tokenizer the data was encoded with.</param>
    /// <param name="seed">Seed of the sampling and masking.</param>
    /// <param name="options">Masking settings.</param>
    /// <param name="packing">Stream windows cut at document ends (as before) or packed whole documents.</param>
    /// <exception cref="TextSslException">The tokenizer has no mask token, or packing documents without an end-of-text token.</exception>
    public MaskedLanguageModelTask(TextTokenizer tokenizer, long seed, MaskingOptions? options = null, SequencePacking packing = SequencePacking.Stream)
    {
        Options = options ?? new MaskingOptions();
        Packing = packing;
        _masker = new TokenMasker(tokenizer, Options);
        _random = new SeededRandom(seed);
        _cls = tokenizer.Specials.IdOf(SpecialTokenRole.Cls);
        _sep = tokenizer.Specials.IdOf(SpecialTokenRole.Sep);
        _pad = tokenizer.Specials.IdOf(SpecialTokenRole.Pad);
        _eot = tokenizer.Specials.IdOf(SpecialTokenRole.EndOfText);
        if (packing == SequencePacking.Documents)
            _packer = new DocumentPacker(seed, _eot ?? throw new TextSslException($"packing documents needs an end-of-text token to find them, and this {tokenizer.Kind} tokenizer has none. Use stream packing."),
                                         causal: false);
    }

    /// <summary>How training sequences are laid out.</summary>
    public SequencePacking Packing { get; }

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
            throw new OptionException(nameof(Training.OptimizationOptions.BlockSize), $"the {splitName} split has {stream.Count} tokens, fewer than one sequence of {blockSize - Markers}, and the tokenizer has no [PAD] to fill it. " +
                                       "Use more data or a smaller BlockSize.");
    }

    /// <inheritdoc/>
    public PretextBatch NextBatch(ITokenStream stream, int batchSize, int blockSize)
    {
        if (_packer is not null) return NextPackedBatch(_packer, stream, batchSize, blockSize);
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

    /// <summary>Rows of whole documents, each <c>[CLS] text [SEP]</c> masked on its own, padding after the last.</summary>
    private PretextBatch NextPackedBatch(DocumentPacker packer, ITokenStream stream, int batchSize, int blockSize)
    {
        var size = batchSize * blockSize;
        var inputs = new long[size];
        var labels = new long[size];
        var documents = new long[size];
        var positions = new long[size];
        var text = new int[blockSize];
        long targets = 0;
        for (var r = 0; r < batchSize; r++)
        {
            var row = inputs.AsSpan(r * blockSize, blockSize);
            var n = 0;
            var document = 0;
            foreach (var (start, length) in packer.NextRow(stream, blockSize, Markers))
            {
                document++;
                var first = n;
                stream.CopyTo(start, text.AsSpan(0, length));
                if (_cls is { } cls) row[n++] = cls;
                for (var i = 0; i < length; i++) row[n++] = text[i];
                if (_sep is { } sep) row[n++] = sep;
                for (var i = first; i < n; i++)
                {
                    documents[r * blockSize + i] = document;
                    positions[r * blockSize + i] = i - first;
                }
                targets += _masker.Apply(row[first..n], labels.AsSpan(r * blockSize + first, n - first), n - first, _random);
            }
            // Padding: its own document (id 0), never a target; positions restart so they stay in range.
            row[n..].Fill(_pad ?? _eot!.Value);
            labels.AsSpan(r * blockSize + n, blockSize - n).Fill(PretextBatch.IgnoreIndex);
            for (var i = n; i < blockSize; i++) positions[r * blockSize + i] = i - n;
        }
        return PretextBatch.Packed(inputs, labels, documents, positions, batchSize, blockSize, targets);
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
    public string SaveState() =>
        JsonSerializer.Serialize(_packer is null
            ? new State(Name, _random.State)
            : new State(Name, _random.State, nameof(SequencePacking.Documents), _packer.Seed, _packer.Epoch, _packer.Cursor, _packer.Pending));

    /// <inheritdoc/>
    public void LoadState(string state)
    {
        var s = JsonSerializer.Deserialize<State>(state);
        if (s is null || s.Task != Name) throw new OptionException(nameof(Training.PretrainingOptions.Task), $"the checkpoint's sampler state is not for the {Name} task; resume with the same Task.");
        var packing = s.Packing ?? nameof(SequencePacking.Stream);
        if (packing != Packing.ToString())
            throw new TextSslException($"the checkpoint's sampler packed sequences as {packing}, and this run as {Packing}; resume with the same Packing.");
        _random.State = s.Random;
        _packer?.Restore(s.Seed, s.Epoch, s.Cursor, s.Pending ?? []);
    }

    private sealed record State(string Task, ulong[] Random, string? Packing = null, long Seed = 0, long Epoch = 0, long Cursor = 0, int[]? Pending = null);

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
