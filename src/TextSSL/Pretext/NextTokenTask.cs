using System.Text.Json;
using TextSSL.Corpora;
using TextSSL.Modeling;

namespace TextSSL.Pretext;

/// <summary>
/// Causal language modeling (<c>clm</c>): windows of the token stream, with targets the inputs shifted by one
/// position, for a decoder. Windows are drawn at random offsets or in seeded sequential epochs.
/// </summary>
/// <remarks>
/// With <see cref="SequencePacking.Documents"/>, training sequences instead pack whole documents: each begins with
/// the end-of-text id before it and predicts its own text and then its end-of-text id, sees only itself (the next
/// document does not see the previous one) and counts positions from 0; padding fills the rest of a row under a
/// document id of its own and is never a target. Evaluation windows are the same in both layouts, so validation
/// losses compare.
/// </remarks>
public sealed class NextTokenTask : IPretextTask
{
    private long _seed;
    private readonly SeededRandom _random;
    private long _epoch;
    private long _cursor;
    private int[]? _order;      // window visiting order of the current epoch (sequential mode), rebuilt from (seed, epoch)
    private long _orderWindows;
    private readonly DocumentPacker? _packer;
    private readonly int _endOfText;

    /// <summary>Creates the task.</summary>
    /// <param name="seed">Seed of the window sampler.</param>
    /// <param name="order">Random offsets (default) or sequential epochs; stream packing only.</param>
    /// <param name="packing">Stream windows (default) or packed whole documents.</param>
    /// <param name="endOfText">The id that ends every document; needed to pack documents.</param>
    /// <exception cref="TextSslException">Packing documents without an end-of-text id.</exception>
    public NextTokenTask(long seed, WindowOrder order = WindowOrder.Random, SequencePacking packing = SequencePacking.Stream, int? endOfText = null)
    {
        _seed = seed;
        _random = new SeededRandom(seed);
        Order = order;
        Packing = packing;
        if (packing == SequencePacking.Documents)
        {
            _endOfText = endOfText ?? throw new TextSslException("packing documents needs an end-of-text token to find them, and the tokenizer has none. Use stream packing.");
            _packer = new DocumentPacker(seed, _endOfText, causal: true);
        }
    }

    /// <summary>How training sequences are laid out.</summary>
    public SequencePacking Packing { get; }

    /// <inheritdoc/>
    public string Name => "clm";

    /// <inheritdoc/>
    public ModelKind ModelKind => ModelKind.Decoder;

    /// <inheritdoc/>
    public bool ReportsAccuracy => false;

    /// <summary>How training windows are drawn.</summary>
    public WindowOrder Order { get; }

    /// <inheritdoc/>
    public void Validate(ITokenStream stream, int blockSize, string splitName)
    {
        if (blockSize < 1) throw new TextSslException($"block size must be positive (got {blockSize}).");
        if (stream.Count < blockSize + 1)
            throw new OptionException([nameof(Training.OptimizationOptions.BlockSize), nameof(Training.PretrainingOptions.ValidationFraction)], $"the {splitName} split has {stream.Count} tokens; next-token windows of block size {blockSize} need at least {blockSize + 1}. " +
                                       "Use more data, a smaller BlockSize, or a different ValidationFraction.");
    }

    /// <inheritdoc/>
    public PretextBatch NextBatch(ITokenStream stream, int batchSize, int blockSize)
    {
        if (_packer is not null) return NextPackedBatch(_packer, stream, batchSize, blockSize);
        var inputs = new long[batchSize * blockSize];
        var targets = new long[batchSize * blockSize];
        var window = new int[blockSize + 1];
        for (var row = 0; row < batchSize; row++)
        {
            stream.CopyTo(NextOffset(stream.Count, blockSize), window);
            for (var j = 0; j < blockSize; j++)
            {
                inputs[row * blockSize + j] = window[j];
                targets[row * blockSize + j] = window[j + 1];
            }
        }
        return PretextBatch.FromArrays(inputs, targets, null, batchSize, blockSize, (long)batchSize * blockSize);
    }

    /// <summary>Rows of whole documents (inputs from the end-of-text id before each, targets through the one after), padding after the last.</summary>
    private PretextBatch NextPackedBatch(DocumentPacker packer, ITokenStream stream, int batchSize, int blockSize)
    {
        var size = batchSize * blockSize;
        var inputs = new long[size];
        var targets = new long[size];
        var documents = new long[size];
        var positions = new long[size];
        var window = new int[blockSize + 1];
        long count = 0;
        for (var r = 0; r < batchSize; r++)
        {
            var n = 0;
            var document = 0;
            foreach (var (start, length) in packer.NextRow(stream, blockSize, 0))
            {
                document++;
                packer.CopyCausal(stream, start, window.AsSpan(0, length + 1));
                for (var j = 0; j < length; j++, n++)
                {
                    var at = r * blockSize + n;
                    inputs[at] = window[j];
                    targets[at] = window[j + 1];
                    documents[at] = document;
                    positions[at] = j;
                }
                count += length;
            }
            // Padding: its own document (id 0) after the text, never a target.
            for (var i = n; i < blockSize; i++)
            {
                var at = r * blockSize + i;
                inputs[at] = _endOfText;
                targets[at] = PretextBatch.IgnoreIndex;
                positions[at] = i - n;
            }
        }
        return PretextBatch.Packed(inputs, targets, documents, positions, batchSize, blockSize, count);
    }

    private long NextOffset(long count, int blockSize)
    {
        if (Order == WindowOrder.Random) return _random.NextInt64(count - blockSize);
        var windows = (count - 1) / blockSize;
        if (_order is null || _orderWindows != windows) BuildOrder(windows);
        if (_cursor >= windows)
        {
            _epoch++;
            _cursor = 0;
            BuildOrder(windows);
        }
        return (long)_order![_cursor++] * blockSize;
    }

    private void BuildOrder(long windows)
    {
        if (windows > int.MaxValue) throw new TextSslException($"sequential windows: {windows} windows per epoch is more than this sampler supports; use random windows.");
        _order = new int[windows];
        for (var i = 0; i < _order.Length; i++) _order[i] = i;
        // The order depends only on (seed, epoch), so the state to save is just the epoch and the cursor.
        new SeededRandom(_seed ^ (0x5851F42D4C957F2DL * (_epoch + 1))).Shuffle(_order.AsSpan());
        _orderWindows = windows;
    }

    /// <summary>
    /// Consecutive non-overlapping windows of <paramref name="blockSize"/> inputs from the stream's start; the
    /// last window is shorter when the stream does not divide evenly, so every token after the first is a
    /// target exactly once.
    /// </summary>
    public IEnumerable<PretextBatch> EvaluationBatches(ITokenStream stream, int batchSize, int blockSize)
    {
        var predicted = stream.Count - 1;                 // every token but the first is predicted once
        var fullWindows = predicted / blockSize;
        var window = new int[blockSize + 1];
        for (long w = 0; w < fullWindows; w += batchSize)
        {
            var rows = (int)Math.Min(batchSize, fullWindows - w);
            var inputs = new long[rows * blockSize];
            var targets = new long[rows * blockSize];
            for (var r = 0; r < rows; r++)
            {
                stream.CopyTo((w + r) * blockSize, window);
                for (var j = 0; j < blockSize; j++)
                {
                    inputs[r * blockSize + j] = window[j];
                    targets[r * blockSize + j] = window[j + 1];
                }
            }
            yield return PretextBatch.FromArrays(inputs, targets, null, rows, blockSize, (long)rows * blockSize);
        }
        var rest = (int)(predicted - fullWindows * blockSize);
        if (rest > 0)
        {
            var tail = new int[rest + 1];
            stream.CopyTo(fullWindows * blockSize, tail);
            yield return PretextBatch.FromArrays(tail[..rest].Select(x => (long)x).ToArray(), tail[1..].Select(x => (long)x).ToArray(), null, 1, rest, rest);
        }
    }

    /// <inheritdoc/>
    public PretextOutput Compute(Transformer model, PretextBatch batch, bool withAccuracy) =>
        PretextOutput.CrossEntropy(model, batch, withAccuracy);

    /// <inheritdoc/>
    public string SaveState() =>
        JsonSerializer.Serialize(_packer is null
            ? new State(Name, Order.ToString(), _seed, _random.State, _epoch, _cursor)
            : new State(Name, Order.ToString(), _seed, _random.State, _packer.Epoch, _packer.Cursor, nameof(SequencePacking.Documents), _packer.Pending));

    /// <inheritdoc/>
    public void LoadState(string state)
    {
        var s = JsonSerializer.Deserialize<State>(state);
        if (s is null || s.Task != Name || s.Order != Order.ToString())
            throw new OptionException([nameof(Training.PretrainingOptions.Task), nameof(Training.PretrainingOptions.Sampling)], $"the checkpoint's sampler state is not for the {Name} task with {Order} windows; resume with the same Task and Sampling.");
        var packing = s.Packing ?? nameof(SequencePacking.Stream);
        if (packing != Packing.ToString())
            throw new TextSslException($"the checkpoint's sampler packed sequences as {packing}, and this run as {Packing}; resume with the same Packing.");
        _seed = s.Seed;
        _random.State = s.Random;
        if (_packer is not null)
        {
            _packer.Restore(s.Seed, s.Epoch, s.Cursor, s.Pending ?? []);
            return;
        }
        _epoch = s.Epoch;
        _cursor = s.Cursor;
        _order = null;
    }

    private sealed record State(string Task, string Order, long Seed, ulong[] Random, long Epoch, long Cursor, string? Packing = null, int[]? Pending = null);
}
