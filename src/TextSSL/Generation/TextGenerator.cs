using System.Diagnostics;
using System.Runtime.CompilerServices;
using TextSSL.Modeling;
using TextSSL.Tokenization;
using static TorchSharp.torch;

namespace TextSSL.Generation;

/// <summary>
/// Samples continuations of prompts from a decoder (causal) model, streaming tokens as they are produced.
/// </summary>
/// <remarks>
/// <para><b>Key/value cache.</b> The prompt is read once (prefill); after that each step feeds only the newest token,
/// and attention reads the earlier positions' keys and values from the cache.</para>
/// <para><b>Sliding window.</b> The model sees at most its block size of positions. A completion's window starts at
/// the last block-size tokens of the prompt; when the next token would not fit, the window jumps forward to the most
/// recent <see cref="GenerationOptions.SlidingWindowKeep"/> tokens (half a block by default), which are re-prefilled
/// from position 0. So positions never exceed the block size (learned position tables suffice), and a re-prefill
/// happens once every block/2 tokens instead of a full forward pass per token. Without the cache the same window is
/// recomputed at every step, so both modes produce the same tokens.</para>
/// <para><b>Batching.</b> Completions whose prompts encode to the same number of tokens (every sample of one prompt,
/// for instance) run as one batch; others run one batch after another, since a causal model here has no padding
/// mask. Each completion draws from its own random stream derived from the seed and its sample index, so batched
/// results equal one-by-one results.</para>
/// </remarks>
public sealed class TextGenerator
{
    private readonly Device _device;

    /// <summary>Wraps a decoder and its tokenizer.</summary>
    /// <exception cref="TextSslException">The model is an encoder, or the tokenizer's ids do not fit the model.</exception>
    public TextGenerator(Transformer model, TextTokenizer tokenizer)
    {
        if (model.Config.Kind != ModelKind.Decoder)
            throw new TextSslException("this model is an encoder (masked-LM); text generation needs a decoder trained with next-token prediction (task clm). For an encoder use fill-mask (MaskFiller).");
        if (tokenizer.VocabSize > model.Config.VocabSize)
            throw new TextSslException($"the tokenizer has {tokenizer.VocabSize} ids but the model only {model.Config.VocabSize}; they do not belong together.");
        Model = model;
        Tokenizer = tokenizer;
        _device = model.parameters().First().device;
    }

    /// <summary>The decoder.</summary>
    public Transformer Model { get; }

    /// <summary>Its tokenizer.</summary>
    public TextTokenizer Tokenizer { get; }

    /// <summary>Generates and returns every completion; <paramref name="onToken"/> sees each token as it is produced.</summary>
    public async Task<GenerationResult> GenerateAsync(IReadOnlyList<string> prompts, GenerationOptions options,
        Action<TokenGenerated>? onToken = null, CancellationToken cancellationToken = default)
    {
        await foreach (var e in StreamAsync(prompts, options, cancellationToken))
        {
            if (e is TokenGenerated token) onToken?.Invoke(token);
            else if (e is GenerationCompleted done) return done.Result;
        }
        throw new InvalidOperationException("the generation stream ended without a result.");
    }

    /// <summary>Generates completions of one prompt, synchronously.</summary>
    public GenerationResult Generate(string prompt, GenerationOptions options, CancellationToken cancellationToken = default) =>
        GenerateAsync([prompt], options, null, cancellationToken).GetAwaiter().GetResult();

    /// <summary>
    /// Streams a <see cref="TokenGenerated"/> per token (all completions of a batch advance together), then one
    /// <see cref="GenerationCompleted"/>.
    /// </summary>
    /// <param name="prompts">The prompts; each gets <see cref="GenerationOptions.NumSamples"/> completions.</param>
    /// <param name="options">Sampling settings.</param>
    /// <param name="cancellationToken">Checked before every step.</param>
    /// <exception cref="OptionException">An option is out of range.</exception>
    /// <exception cref="TextSslException">A prompt that cannot be encoded.</exception>
    public async IAsyncEnumerable<GenerationEvent> StreamAsync(IReadOnlyList<string> prompts, GenerationOptions options,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(prompts);
        if (prompts.Count == 0) throw new TextSslException("no prompt was given; give at least one.");
        options.Validate();
        var blockSize = Model.Config.BlockSize;
        var keep = options.SlidingWindowKeep ?? Math.Max(1, blockSize / 2);
        if (keep > blockSize)
            throw new OptionException(nameof(GenerationOptions.SlidingWindowKeep), $"SlidingWindowKeep {keep} is larger than the model's block size {blockSize}; keep at most {blockSize} tokens.");
        // The loop below is synchronous compute; this keeps the method a well-formed async iterator without a thread hop.
        await Task.CompletedTask;

        var clock = Stopwatch.StartNew();
        var seed = options.Seed ?? Random.Shared.NextInt64();
        var rows = new List<CompletionState>();
        try
        {
            for (var p = 0; p < prompts.Count; p++)
            {
                var ids = PromptEncoder.Encode(Tokenizer, prompts[p], options.ReplaceUnknownWith);
                for (var s = 0; s < options.NumSamples; s++)
                {
                    var sample = options.SampleOffset + s;
                    rows.Add(new CompletionState(p, sample, prompts[p], ids, new TorchSharp.torch.Generator(SampleSeed(seed, sample)), Tokenizer, options.StopSequences));
                }
            }
            Model.eval();
            var sampler = new TokenSampler(options);
            var endOfText = options.StopAtEndOfText ? Tokenizer.Specials.IdOf(SpecialTokenRole.EndOfText) : null;
            TimeSpan? firstToken = null;

            foreach (var group in rows.GroupBy(r => r.Context.Count))
            {
                using var batch = new Batch(group.ToList(), options.UseKvCache ? new KvCache(Model.Config.Layers) : null, blockSize, _device);
                for (var step = 0; step < options.MaxNewTokens && batch.Rows.Count > 0; step++)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    var next = Step(batch, keep, sampler);
                    firstToken ??= clock.Elapsed;
                    var events = new List<TokenGenerated>(next.Length);
                    for (var i = 0; i < next.Length; i++)
                        events.Add(batch.Rows[i].Accept(next[i], endOfText, options.MaxNewTokens));
                    foreach (var e in events) yield return e;
                    batch.DropFinished();
                }
            }

            var completions = rows.Select(r => r.ToCompletion()).ToList();
            yield return new GenerationCompleted(new GenerationResult(completions, seed, options.UseKvCache, firstToken ?? clock.Elapsed, clock.Elapsed));
        }
        finally
        {
            foreach (var r in rows) r.Random.Dispose();
        }
    }

    /// <summary>One decoding step for a batch: feed what the model has not seen yet, sample the next tokens.</summary>
    private int[] Step(Batch batch, int keep, TokenSampler sampler)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var length = batch.Rows[0].Context.Count;
        var from = batch.WindowStart + (batch.Cache?.Length ?? 0);
        if (length - batch.WindowStart > batch.BlockSize)
        {
            // Sliding window: jump forward and re-read the most recent `keep` tokens from position 0.
            batch.WindowStart = length - Math.Min(keep, length);
            batch.Cache?.Clear();
            from = batch.WindowStart;
        }
        var width = length - from;
        var flat = new long[batch.Rows.Count * width];
        for (var r = 0; r < batch.Rows.Count; r++)
            for (var i = 0; i < width; i++) flat[r * width + i] = batch.Rows[r].Context[from + i];
        var ids = tensor(flat, [batch.Rows.Count, width], device: _device);
        var logits = Model.Forward(ids, cache: batch.Cache).select(1, -1);      // (B, V) at the newest position
        if (logits.shape[1] > Tokenizer.VocabSize) logits = logits.narrow(1, 0, Tokenizer.VocabSize); // ids padded onto the model's vocabulary
        return sampler.Next(logits, batch.Rows.Select(r => (IReadOnlyList<int>)r.Context).ToList(), batch.Rows.Select(r => r.Random).ToList());
    }

    /// <summary>SplitMix64 of (seed, sample): well-separated streams for neighbouring seeds and samples.</summary>
    internal static ulong SampleSeed(long seed, int sample)
    {
        var z = unchecked((ulong)seed + 0x9E3779B97F4A7C15UL * (ulong)(sample + 1));
        z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
        z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
        return z ^ (z >> 31);
    }

    /// <summary>Completions that advance together, with their shared cache and window.</summary>
    private sealed class Batch(List<CompletionState> rows, KvCache? cache, int blockSize, Device device) : IDisposable
    {
        public List<CompletionState> Rows { get; } = rows;
        public KvCache? Cache { get; } = cache;
        public int BlockSize { get; } = blockSize;

        /// <summary>Index in each row's context of the first token in the model's view (equal for all rows).</summary>
        public int WindowStart { get; set; } = Math.Max(0, rows[0].Context.Count - blockSize);

        public void DropFinished()
        {
            if (Rows.All(r => !r.Finished)) return;
            var remaining = Enumerable.Range(0, Rows.Count).Where(i => !Rows[i].Finished).ToArray();
            if (Cache is not null && remaining.Length > 0 && Cache.Length > 0)
            {
                using var index = tensor(remaining.Select(i => (long)i).ToArray(), device: device);
                Cache.SelectRows(index);
            }
            Rows.RemoveAll(r => r.Finished);
        }

        public void Dispose() => Cache?.Dispose();
    }
}
