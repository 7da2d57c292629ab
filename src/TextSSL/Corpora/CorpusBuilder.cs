using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Threading.Channels;
using TextSSL.Corpora.Internal;
using TextSSL.Tokenization;

namespace TextSSL.Corpora;

/// <summary>
/// Turns sources into token shards: read → clean → deduplicate → split → tokenize → write, streaming in batches
/// (reading overlaps processing; cleaning, hashing and tokenizing run on all cores; decisions and writes happen in
/// input order, so output never depends on thread timing).
/// </summary>
/// <remarks>
/// Crash safety: everything is written inside <c>OUT/.prep-work/</c>; checkpoints record how many documents are
/// durably written. Only at the end are the shards moved into <c>OUT</c> and the manifest renamed into place (an
/// older manifest is removed first), so a manifest never points at partial shards. A rerun, resumed or not, writes
/// byte-identical files.
/// </remarks>
public static partial class CorpusBuilder
{
    /// <summary>Name of the work directory inside the output directory.</summary>
    public const string WorkDirectoryName = ".prep-work";

    /// <summary>Where <see cref="BuildOptions.IncludeTokenizer"/> stores the tokenizer inside the output directory.</summary>
    public const string TokenizerDirectoryName = "tokenizer";

    /// <summary>Builds the shards described by <paramref name="options"/>.</summary>
    /// <exception cref="TextSslException">Bad input, an empty result, a tokenizer mismatch with an existing corpus, or a checkpoint that does not match.</exception>
    /// <exception cref="OperationCanceledException">Cancelled; <see cref="BuildOptions.Resume"/> continues from the last checkpoint.</exception>
    public static async Task<BuildResult> BuildAsync(BuildOptions options, IProgress<BuildProgress>? progress = null, CancellationToken ct = default)
    {
        var clock = Stopwatch.StartNew();
        var eot = Validate(options);
        var tokenizer = options.Tokenizer;
        var outDir = Path.GetFullPath(options.OutputDirectory);
        OutputChecks.EnsureWritable(outDir, nameof(BuildOptions.OutputDirectory));
        // one build per output directory at a time: two would mix their shards under one manifest
        using var outputLock = OutputLock.Acquire(outDir, "prep build");
        var manifestPath = Path.Combine(outDir, CorpusManifest.FileName);
        CheckExisting(manifestPath, tokenizer, options.Force);
        var tokenizerTarget = Path.Combine(outDir, TokenizerDirectoryName);
        if (options.IncludeTokenizer) OutputOwnership.EnsureReplaceable(tokenizerTarget, OutputKind.Tokenizer);

        var files = CorpusReader.ListFiles(options.Sources);
        var work = Path.Combine(outDir, WorkDirectoryName);
        var hash = OptionsHash(options, files);
        var checkpoint = options.Resume ? BuildCheckpoint.Load(work) : null;
        if (checkpoint is not null) EnsureInputsUnchanged(checkpoint.Inputs, files, outDir);
        if (checkpoint is not null && checkpoint.OptionsHash != hash)
            throw new OptionException(nameof(BuildOptions.Resume), $"cannot resume in '{outDir}': the inputs, options or tokenizer differ from the interrupted run. Run with the same ones, or without Resume to start over.");
        if (checkpoint is null) StartWork(work);
        else if (InstallPending(work, outDir) is { } ready) return new BuildResult(ready, manifestPath, 0, clock.Elapsed, Resumed: true);

        var state = new RunState(options, files, eot, tokenizer.VocabSize <= 65536 ? 2 : 4, checkpoint) { Inputs = checkpoint?.Inputs ?? InputStamps(files) };
        using (var writer = new ShardWriter(work, state.TokenBytes, options.ShardTokens, SplitOptions.Names, checkpoint?.Splits))
        {
            await RunAsync(state, writer, work, hash, progress, ct).ConfigureAwait(false);
            ct.ThrowIfCancellationRequested();
            var manifest = FinishAndInstall(state, writer, work, outDir, tokenizer, ct);
            return new BuildResult(manifest, manifestPath, state.Counter.Bytes, clock.Elapsed, checkpoint is not null);
        }
    }

    /// <summary>
    /// Closes the shards, refuses a corpus without documents (removing the work directory), then writes the tokenizer
    /// (when asked) and the pending manifest into the work directory and installs it as <paramref name="outDir"/>.
    /// </summary>
    private static CorpusManifest FinishAndInstall(RunState state, ShardWriter writer, string work, string outDir, TextTokenizer tokenizer, CancellationToken ct)
    {
        var splits = writer.Finish(ct);
        if (splits.Values.Sum(s => s.Documents) == 0)
        {
            writer.Dispose();
            DeleteWork(work);
            throw new OptionException([nameof(SourceSpec.Format), nameof(SourceSpec.Field), nameof(SourceSpec.Boundary), nameof(CleaningOptions.MinChars), nameof(CleaningOptions.MaxChars)], state.EmptyMessage());
        }
        var manifest = state.Manifest(splits);
        // the pending manifest marks the work directory complete, so everything it installs is written first
        if (state.Options.IncludeTokenizer) TokenizerStore.Save(tokenizer, Path.Combine(work, TokenizerDirectoryName));
        manifest.Save(Path.Combine(work, CorpusManifest.FileName));
        Install(work, outDir, manifest);
        return manifest;
    }

    /// <summary>Checks the numbers of <paramref name="options"/> and returns the tokenizer's end-of-text id.</summary>
    private static int Validate(BuildOptions options)
    {
        options.Split.Validate();
        if (options.ShardTokens < 1) throw new OptionException(nameof(BuildOptions.ShardTokens), $"ShardTokens must be at least 1 (got {options.ShardTokens}).");
        if (options.Threads < 1) throw new OptionException(nameof(BuildOptions.Threads), $"Threads must be at least 1 (got {options.Threads}).");
        if (options.HeapAllowance < 0) throw new TextSslException($"the heap allowance must not be negative (got {options.HeapAllowance}).");
        if (options.BatchChars < 1) throw new OptionException(nameof(BuildOptions.BatchChars), $"BatchChars must be at least 1 (got {options.BatchChars}).");
        if (options.CheckpointInterval < TimeSpan.Zero) throw new OptionException(nameof(BuildOptions.CheckpointInterval), $"CheckpointInterval must not be negative (got {options.CheckpointInterval.TotalSeconds} s).");
        var tokenizer = options.Tokenizer;
        return tokenizer.Specials.IdOf(SpecialTokenRole.EndOfText)
               ?? throw new TextSslException($"the {tokenizer.Kind} tokenizer has no end-of-text special token, which separates documents in the shards. Use a tokenizer that has one.");
    }

    private static async Task RunAsync(RunState s, ShardWriter writer, string work, string hash, IProgress<BuildProgress>? progress, CancellationToken ct)
    {
        var o = s.Options;
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = o.Threads, CancellationToken = ct };
        var sinceCheckpoint = Stopwatch.StartNew();
        long done = 0;
        await ReadInBatchesAsync(o, Documents, batch =>
        {
            ProcessBatch(s, writer, batch, done, parallel);
            done += batch.Count;
            if (done > s.ResumeFrom && sinceCheckpoint.Elapsed >= o.CheckpointInterval)
            {
                new BuildCheckpoint(hash, done, writer.Checkpoint(), s.Untokenizable.Count, s.Untokenizable.First.ToList()) { Inputs = s.Inputs }.Save(work);
                sinceCheckpoint.Restart();
            }
            progress?.Report(new BuildProgress(s.Counter.Bytes, s.TotalBytes, done, s.Kept, writer.Tokens, done < s.ResumeFrom));
        }, ct).ConfigureAwait(false);

        async IAsyncEnumerable<(RawDocument, int)> Documents([EnumeratorCancellation] CancellationToken token)
        {
            await foreach (var doc in CorpusReader.ReadAsync(s.Files, s.Errors, s.Counter, token).ConfigureAwait(false))
                yield return (doc, doc.Text.Length);
        }
    }

    /// <summary>
    /// The read loop of a build and of a build part: reads items on a background task into batches of about
    /// <see cref="BuildOptions.BatchChars"/> characters (at most 65,536 items), two batches ahead, and hands each batch
    /// to <paramref name="consume"/> in input order, checking the heap ceiling after each. A failure while consuming stops
    /// the reader before it is rethrown; a read failure is rethrown once the batches read before it are consumed.
    /// </summary>
    private static async Task ReadInBatchesAsync<T>(BuildOptions o, Func<CancellationToken, IAsyncEnumerable<(T Item, int Chars)>> read,
                                                    Action<List<T>> consume, CancellationToken ct)
    {
        var channel = Channel.CreateBounded<List<T>>(new BoundedChannelOptions(2) { SingleReader = true, SingleWriter = true });
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        Exception? readFailure = null;
        var producer = Task.Run(async () =>
        {
            try
            {
                var batch = new List<T>();
                long chars = 0;
                await foreach (var (item, length) in read(cts.Token).ConfigureAwait(false))
                {
                    batch.Add(item);
                    chars += length;
                    if (chars < o.BatchChars && batch.Count < 65536) continue;
                    await channel.Writer.WriteAsync(batch, cts.Token).ConfigureAwait(false);
                    batch = [];
                    chars = 0;
                }
                if (batch.Count > 0) await channel.Writer.WriteAsync(batch, cts.Token).ConfigureAwait(false);
            }
            catch (Exception ex) { readFailure = ex; }
            finally { channel.Writer.TryComplete(); }
        }, CancellationToken.None);

        var heap = new HeapCeiling(HeapAllowance(o));
        try
        {
            await foreach (var batch in channel.Reader.ReadAllAsync(ct).ConfigureAwait(false))
            {
                consume(batch);
                heap.Check();
            }
        }
        catch
        {
            await cts.CancelAsync().ConfigureAwait(false);
            await producer.ConfigureAwait(false);
            throw;
        }
        await producer.ConfigureAwait(false);
        if (readFailure is not null) ExceptionDispatchInfo.Throw(readFailure);
    }

    // room for the batches in flight (raw and cleaned text as UTF-16, token ids) several times over
    private static long HeapAllowance(BuildOptions o) => o.HeapAllowance ?? Math.Max(64L << 20, 16L * o.BatchChars);

    private static void ProcessBatch(RunState s, ShardWriter writer, List<RawDocument> batch, long first, ParallelOptions parallel)
    {
        var n = batch.Count;
        var cleaned = new string?[n];
        var outcome = new CleanOutcome[n];
        var keys = new UInt128[n];
        var signatures = new ushort[]?[n];
        var near = s.Options.Dedup.Near;
        Parallel.For(0, n, parallel, i =>
        {
            outcome[i] = s.Cleaner.Clean(batch[i].Text, out cleaned[i]);
            if (cleaned[i] is not { } text) return;
            keys[i] = Deduplicator.Key(text);
            if (near) signatures[i] = s.Dedup.Hasher.Signature(text);
        });

        // decisions in input order: the first of duplicates wins, whatever the threads did
        var write = new List<(int Index, string Split)>();
        for (var i = 0; i < n; i++)
        {
            s.Count(batch[i], outcome[i]);
            if (outcome[i] != CleanOutcome.Kept) continue;
            if (s.Dedup.Check(keys[i], signatures[i], batch[i], cleaned[i]!) != DuplicateKind.Unique) continue;
            if (first + i >= s.ResumeFrom) write.Add((i, s.Options.Split.Assign(keys[i])));
        }
        if (write.Count == 0) return;

        var ids = new int[write.Count][];
        var failures = new string?[write.Count];
        Parallel.For(0, write.Count, parallel, j =>
        {
            try { ids[j] = s.Options.Tokenizer.Encode(cleaned[write[j].Index]!); }
            catch (TextSslException ex) { failures[j] = ex.Message; }
        });
        ReadOnlySpan<int> end = [s.EndOfText];
        for (var j = 0; j < write.Count; j++)
        {
            var doc = batch[write[j].Index];
            if (failures[j] is { } reason)
            {
                s.Untokenizable.Report(doc.Source, doc.Record, $"cannot tokenize: {reason}");
                continue;
            }
            writer.Append(write[j].Split, ids[j], endsDocument: false);
            writer.Append(write[j].Split, end, endsDocument: true);
            s.Kept++;
        }
    }

    private static void CheckExisting(string manifestPath, TextTokenizer tokenizer, bool force)
    {
        if (!File.Exists(manifestPath) || force) return;
        var old = CorpusManifest.Load(manifestPath);
        if (old.TokenizerFingerprint != tokenizer.Fingerprint)
            throw new OptionException([nameof(BuildOptions.OutputDirectory), nameof(BuildOptions.Force)], $"{manifestPath} was made with another tokenizer ({old.TokenizerKind} {old.TokenizerFingerprint}; this run uses {tokenizer.Kind} {tokenizer.Fingerprint}). " +
                                       "Write to another OutputDirectory, or use Force to replace it.");
    }

    /// <summary>Moves finished shards into the output directory and renames the manifest into place last.</summary>
    private static void Install(string work, string outDir, CorpusManifest manifest)
    {
        var manifestPath = Path.Combine(outDir, CorpusManifest.FileName);
        // only shards an earlier manifest of this directory lists are TextSSL's to remove
        var previous = PreviousShards(manifestPath);
        if (File.Exists(manifestPath)) File.Delete(manifestPath); // from here on no manifest may point at shards being replaced
        var keep = new HashSet<string>(StringComparer.Ordinal);
        foreach (var shard in manifest.Splits.Values.SelectMany(s => s.Shards))
        {
            keep.Add(shard.File);
            var from = Path.Combine(work, shard.File);
            var to = Path.Combine(outDir, shard.File);
            if (File.Exists(from)) File.Move(from, to, overwrite: true);
            else if (!File.Exists(to) || new FileInfo(to).Length != shard.Bytes)
                throw new OptionException(nameof(BuildOptions.Resume), $"cannot finish: shard '{shard.File}' is neither in '{work}' nor in '{outDir}'. Run again without Resume.");
        }
        foreach (var stale in previous.Where(f => ShardFile().IsMatch(f) && !keep.Contains(f)))
            if (File.Exists(Path.Combine(outDir, stale))) File.Delete(Path.Combine(outDir, stale));
        var tokenizer = Path.Combine(work, TokenizerDirectoryName);
        if (Directory.Exists(tokenizer))
        {
            var target = Path.Combine(outDir, TokenizerDirectoryName);
            OutputOwnership.DeleteOwned(target, OutputKind.Tokenizer); // checked before the build started; refuses if it changed since
            Directory.Move(tokenizer, target);
        }
        File.Move(Path.Combine(work, CorpusManifest.FileName), manifestPath);
        DeleteWork(work);
    }

    private static List<string> PreviousShards(string manifestPath)
    {
        if (!File.Exists(manifestPath)) return [];
        try
        {
            return CorpusManifest.Load(manifestPath).Splits.Values.SelectMany(s => s.Shards).Select(s => s.File).ToList();
        }
        catch (TextSslException)
        {
            return []; // an unreadable manifest names nothing: leave its files alone
        }
    }

    /// <summary>Deletes the work directory, only after checking it holds nothing but what a build writes there.</summary>
    /// <summary>Starts the work directory afresh: an earlier one TextSSL wrote is removed, a new one created and marked.</summary>
    private static void StartWork(string work)
    {
        DeleteWork(work);
        Directory.CreateDirectory(work);
        OutputOwnership.Mark(work, OutputKind.PrepWork);
    }

    /// <summary>
    /// On resume: when the interrupted build or merge had finished everything but moving its files into place, finishes
    /// that move and returns the manifest; otherwise null.
    /// </summary>
    private static CorpusManifest? InstallPending(string work, string outDir)
    {
        var pending = Path.Combine(work, CorpusManifest.FileName);
        if (!File.Exists(pending)) return null;
        var ready = CorpusManifest.Load(pending);
        Install(work, outDir, ready);
        return ready;
    }

    private static void DeleteWork(string work)
    {
        if (!Directory.Exists(work)) return;
        if (OutputOwnership.KindOf(work) != OutputKind.PrepWork
            && !Directory.EnumerateFileSystemEntries(work).All(e => WorkEntry().IsMatch(Path.GetFileName(e))))
            throw new TextSslException($"'{work}' holds files a build does not write ({OutputOwnership.Describe(work)}); move them out of it and run again.");
        Directory.Delete(work, recursive: true);
    }

    [GeneratedRegex(@"^((train|validation|test)-\d{5}\.bin|checkpoint\.json|manifest\.json|tokenizer|part-checkpoint\.json|part\.json|documents\.bin|\.textssl-owner)(\.tmp-[\w-]+)?$")]
    private static partial Regex WorkEntry();

    [GeneratedRegex(@"^(train|validation|test)-\d{5}\.bin$")]
    private static partial Regex ShardFile();

    private static string OptionsHash(BuildOptions o, IReadOnlyList<SourceFile> files)
    {
        var identity = new
        {
            Sources = o.Sources,
            Files = files.Select(f => new { f.Path, f.Bytes, f.Format }),
            o.Cleaning,
            o.Dedup,
            o.Split,
            o.ShardTokens,
            o.OnError,
            Tokenizer = o.Tokenizer.Fingerprint,
        };
        var bytes = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(identity, CorpusManifest.Json));
        return Convert.ToHexStringLower(SHA256.HashData(bytes));
    }
}
