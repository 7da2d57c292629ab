using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using TextSSL.Corpora.Internal;
using TextSSL.Tokenization;

namespace TextSSL.Corpora;

public static partial class CorpusBuilder
{
    /// <summary>
    /// Merges the parts of a build (see <see cref="BuildPartAsync"/>) into one corpus whose shards and manifest are
    /// byte-identical to a single <see cref="BuildAsync"/> of the same inputs and options: the parts' documents are
    /// visited in global input order, exact and near duplicates are decided across all parts with the same
    /// deduplicator (the first occurrence in input order wins), and the survivors' tokens are written in that order.
    /// </summary>
    /// <remarks>Crash-safe and resumable like <see cref="BuildAsync"/>; the parts are only read.</remarks>
    /// <exception cref="TextSslException">A part is missing, repeated, unfinished, damaged or from another build; an empty result; a tokenizer mismatch with an existing corpus.</exception>
    /// <exception cref="OperationCanceledException">Cancelled; <see cref="MergeOptions.Resume"/> continues from the last checkpoint.</exception>
    public static async Task<BuildResult> MergeAsync(MergeOptions options, IProgress<BuildProgress>? progress = null, CancellationToken ct = default)
    {
        if (options.Parts.Count == 0) throw new OptionException(nameof(MergeOptions.Parts), "no part directories given. Give the output directories of every part of the build.");
        if (options.CheckpointInterval < TimeSpan.Zero) throw new OptionException(nameof(MergeOptions.CheckpointInterval), $"CheckpointInterval must not be negative (got {options.CheckpointInterval.TotalSeconds} s).");
        var parts = LoadParts(options.Parts);
        return await Task.Run(() =>
        {
            foreach (var (dir, m) in parts)
                if (ShardWriter.Sha256Of(Path.Combine(dir, PartDocuments.FileName), ct) != m.DocumentsSha256)
                    throw new TextSslException($"'{Path.Combine(dir, PartDocuments.FileName)}' does not match the sha256 in its part.json (damaged or copied incompletely). Copy or build part {m.Part}/{m.Parts} again.");
            return Merge(options, parts, progress, ct);
        }, ct).ConfigureAwait(false);
    }

    /// <summary>Loads every part and checks that together they are parts 1..N of one build, each once.</summary>
    private static List<(string Directory, PartManifest Manifest)> LoadParts(IReadOnlyList<string> directories)
    {
        var parts = new List<(string Directory, PartManifest Manifest)>();
        foreach (var dir in directories.Select(d => Path.GetFullPath(d)))
        {
            if (!Directory.Exists(dir)) throw new OptionException(nameof(MergeOptions.Parts), $"part directory '{dir}' does not exist (or is not a directory). Give the output directories of the part builds.");
            parts.Add((dir, PartManifest.Load(dir)));
        }
        var (firstDir, first) = parts[0];
        foreach (var (dir, m) in parts.Skip(1))
            if (m.BuildId != first.BuildId || m.Parts != first.Parts)
                throw new OptionException(nameof(MergeOptions.Parts), $"'{dir}' (part {m.Part}/{m.Parts}) is from a different build than '{firstDir}' (part {first.Part}/{first.Parts}): " +
                                          "their inputs, options, tokenizer or part count differ. Merge only the parts of one build.");
        foreach (var g in parts.GroupBy(p => p.Manifest.Part).Where(g => g.Count() > 1))
            throw new OptionException(nameof(MergeOptions.Parts), $"part {g.Key}/{first.Parts} is given twice: '{g.First().Directory}' and '{g.Skip(1).First().Directory}'. Give each part once.");
        var missing = Enumerable.Range(1, first.Parts).Except(parts.Select(p => p.Manifest.Part)).ToList();
        if (missing.Count > 0)
            throw new OptionException(nameof(MergeOptions.Parts), $"part {missing[0]}/{first.Parts} is missing{(missing.Count > 1 ? $" (and {missing.Count - 1} more)" : "")}: " +
                                      $"the build has {first.Parts} parts and {parts.Count} were given. Build the missing part and give all {first.Parts} directories.");
        foreach (var (dir, m) in parts)
        {
            var docs = Path.Combine(dir, PartDocuments.FileName);
            if (!File.Exists(docs) || new FileInfo(docs).Length != m.DocumentBytes)
                throw new TextSslException($"'{docs}' is missing or has the wrong size for its part.json. Build part {m.Part}/{m.Parts} again.");
        }
        return parts.OrderBy(p => p.Manifest.Part).ToList();
    }

    private static BuildResult Merge(MergeOptions mo, List<(string Directory, PartManifest Manifest)> parts, IProgress<BuildProgress>? progress, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        var first = parts[0].Manifest;
        var b = first.Build;
        var tokenizer = TokenizerStore.Open(Path.Combine(parts[0].Directory, TokenizerDirectoryName));
        if (tokenizer.Fingerprint != b.TokenizerFingerprint)
            throw new TextSslException($"the tokenizer in '{parts[0].Directory}' is not the one its part was built with. Build that part again.");
        var options = new BuildOptions(b.Sources, mo.OutputDirectory, tokenizer)
        {
            Cleaning = b.Cleaning, Dedup = b.Dedup, Split = b.Split, ShardTokens = b.ShardTokens, OnError = b.OnError,
            IncludeTokenizer = b.IncludeTokenizer, Resume = mo.Resume, Force = mo.Force, CheckpointInterval = mo.CheckpointInterval,
        };
        var eot = Validate(options);
        var files = first.Files.Select(f => new SourceFile(f.Path, b.Sources[f.Source], f.Format, f.Bytes)).ToList();

        var outDir = Path.GetFullPath(options.OutputDirectory);
        if (parts.Any(p => string.Equals(Path.TrimEndingDirectorySeparator(p.Directory), Path.TrimEndingDirectorySeparator(outDir), StringComparison.Ordinal)))
            throw new OptionException(nameof(BuildOptions.OutputDirectory), $"'{outDir}' is one of the parts being merged. Write the merged corpus to another OutputDirectory.");
        OutputChecks.EnsureWritable(outDir, nameof(BuildOptions.OutputDirectory));
        using var outputLock = OutputLock.Acquire(outDir, "prep merge");
        var manifestPath = Path.Combine(outDir, CorpusManifest.FileName);
        CheckExisting(manifestPath, tokenizer, options.Force);
        if (options.IncludeTokenizer) OutputOwnership.EnsureReplaceable(Path.Combine(outDir, TokenizerDirectoryName), OutputKind.Tokenizer);

        var work = Path.Combine(outDir, WorkDirectoryName);
        var hash = MergeHash(parts.Select(p => p.Manifest));
        var checkpoint = options.Resume ? BuildCheckpoint.Load(work) : null;
        if (checkpoint is not null && checkpoint.OptionsHash != hash)
            throw new OptionException(nameof(MergeOptions.Resume), $"cannot resume in '{outDir}': the interrupted merge had other parts (or was a build). Give the same part directories, or run without Resume to start over.");
        if (checkpoint is null) StartWork(work);
        else if (InstallPending(work, outDir) is { } ready) return new BuildResult(ready, manifestPath, 0, clock.Elapsed, Resumed: true);

        var tokenBytes = tokenizer.VocabSize <= 65536 ? 2 : 4;
        var state = new RunState(options, files, eot, tokenBytes, checkpoint);
        state.Absorb(parts.Select(p => p.Manifest.Stats).ToList());
        using (var writer = new ShardWriter(work, tokenBytes, options.ShardTokens, SplitOptions.Names, checkpoint?.Splits))
        {
            var since = Stopwatch.StartNew();
            long done = 0;
            ReadOnlySpan<int> end = [eot];
            foreach (var d in InInputOrder(parts, files.Count, tokenBytes))
            {
                var source = files[d.File].Path;
                var kind = state.Dedup.Check(d.Key, d.Signature, new RawDocument("", source, d.Record), d.Snippet);
                if (kind == DuplicateKind.Unique && done >= state.ResumeFrom)
                {
                    if (d.Failure is { } reason) state.Untokenizable.Report(source, d.Record, $"cannot tokenize: {reason}");
                    else
                    {
                        var ids = d.Ids ?? throw new TextSslException($"{source}:{d.Record}: a part left this document untokenized as a repeat, but it is the first of its text. Build the parts again.");
                        writer.Append(SplitOptions.Names[d.Split], ids, endsDocument: false);
                        writer.Append(SplitOptions.Names[d.Split], end, endsDocument: true);
                        state.Kept++;
                    }
                }
                done++;
                if (done % 64 != 0) continue;
                ct.ThrowIfCancellationRequested();
                if (done > state.ResumeFrom && since.Elapsed >= options.CheckpointInterval)
                {
                    new BuildCheckpoint(hash, done, writer.Checkpoint(), state.Untokenizable.Count, state.Untokenizable.First.ToList()).Save(work);
                    since.Restart();
                }
                progress?.Report(new BuildProgress(0, 0, done, state.Kept, writer.Tokens, done < state.ResumeFrom));
            }
            ct.ThrowIfCancellationRequested();
            var manifest = FinishAndInstall(state, writer, work, outDir, tokenizer, ct);
            return new BuildResult(manifest, manifestPath, parts.Sum(p => p.Manifest.DocumentBytes), clock.Elapsed, checkpoint is not null);
        }
    }

    /// <summary>The parts' documents in global input order (file index, then ordinal within the file): a k-way merge of streams each already in that order.</summary>
    private static IEnumerable<PartDocument> InInputOrder(List<(string Directory, PartManifest Manifest)> parts, int fileCount, int tokenBytes)
    {
        var streams = parts.Select(p => PartDocuments.Read(Path.Combine(p.Directory, PartDocuments.FileName), tokenBytes).GetEnumerator()).ToList();
        try
        {
            var counts = new long[parts.Count];
            var queue = new PriorityQueue<int, (int, long)>();
            for (var i = 0; i < streams.Count; i++)
                if (streams[i].MoveNext()) queue.Enqueue(i, (streams[i].Current.File, streams[i].Current.Ordinal));
            while (queue.TryDequeue(out var i, out var position))
            {
                var doc = streams[i].Current;
                if (doc.File < 0 || doc.File >= fileCount || doc.Split >= SplitOptions.Names.Count)
                    throw new TextSslException($"'{parts[i].Directory}' holds a document outside its build's inputs. Build that part again.");
                counts[i]++;
                yield return doc;
                if (!streams[i].MoveNext()) continue;
                var next = (streams[i].Current.File, streams[i].Current.Ordinal);
                if (next.CompareTo(position) <= 0)
                    throw new TextSslException($"'{parts[i].Directory}' lists its documents out of input order. Build that part again.");
                queue.Enqueue(i, next);
            }
            for (var i = 0; i < parts.Count; i++)
                if (counts[i] != parts[i].Manifest.Documents)
                    throw new TextSslException($"'{parts[i].Directory}' holds {counts[i]} documents; its part.json says {parts[i].Manifest.Documents}. Build that part again.");
        }
        finally
        {
            foreach (var s in streams) s.Dispose();
        }
    }

    private static string MergeHash(IEnumerable<PartManifest> parts)
    {
        var text = string.Join('\n', parts.Select(p => $"{p.BuildId} {p.Part}/{p.Parts} {p.Documents} {p.DocumentBytes}"));
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes("merge\n" + text)));
    }
}
