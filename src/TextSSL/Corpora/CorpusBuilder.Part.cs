using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Text;
using TextSSL.Corpora.Internal;
using TextSSL.Tokenization;

namespace TextSSL.Corpora;

/// <summary>The outcome of one part of a build split across machines.</summary>
/// <param name="Directory">The part's output directory.</param>
/// <param name="Part">Which part it is.</param>
/// <param name="DocumentsRead">Documents of its share read (before cleaning).</param>
/// <param name="DocumentsWritten">Documents left after cleaning, written for the merge (duplicates are decided there).</param>
/// <param name="BytesRead">Input bytes read.</param>
/// <param name="Elapsed">Wall-clock time.</param>
/// <param name="Resumed">Whether the run continued from a checkpoint.</param>
public sealed record PartResult(string Directory, BuildPart Part, long DocumentsRead, long DocumentsWritten, long BytesRead, TimeSpan Elapsed, bool Resumed);

public static partial class CorpusBuilder
{
    /// <summary>
    /// Builds one part of a corpus split across machines: reads the part's share of the inputs (see
    /// <see cref="BuildPart"/>), cleans, hashes, signs and tokenizes it, and writes into
    /// <see cref="BuildOptions.OutputDirectory"/> what <see cref="MergeAsync"/> needs: <c>documents.bin</c> (each
    /// document left after cleaning, with its input-order position, exact key, MinHash signature, split and token ids),
    /// <c>tokenizer/</c>, and <c>part.json</c> last (which part of which build: the full resolved options, the input
    /// list, the counts). Duplicates are not decided here, since the first occurrence may be in another part.
    /// </summary>
    /// <remarks>Crash-safe and resumable like <see cref="BuildAsync"/>: work happens in <c>OUT/.prep-work/</c>, and
    /// <c>part.json</c> appears only when the part is complete.</remarks>
    /// <exception cref="TextSslException">Bad input or options, standard input as a source, or a checkpoint that does not match.</exception>
    /// <exception cref="OperationCanceledException">Cancelled; <see cref="BuildOptions.Resume"/> continues from the last checkpoint.</exception>
    public static async Task<PartResult> BuildPartAsync(BuildOptions options, BuildPart part, IProgress<BuildProgress>? progress = null, CancellationToken ct = default)
    {
        var clock = Stopwatch.StartNew();
        part.Validate();
        var eot = Validate(options);
        var tokenizer = options.Tokenizer;
        var outDir = Path.GetFullPath(options.OutputDirectory);
        OutputChecks.EnsureWritable(outDir, nameof(BuildOptions.OutputDirectory));
        using var outputLock = OutputLock.Acquire(outDir, $"prep build part {part}");
        OutputOwnership.EnsureReplaceable(Path.Combine(outDir, TokenizerDirectoryName), OutputKind.Tokenizer);

        var files = CorpusReader.ListFiles(options.Sources);
        if (files.Any(f => f.Path == "-"))
            throw new OptionException(nameof(BuildOptions.Sources), "a build part cannot read standard input: every part must list the same inputs. Give files or directories that every machine can read.");
        var buildId = OptionsHash(options, files);
        var work = Path.Combine(outDir, WorkDirectoryName);
        var checkpoint = options.Resume ? PartCheckpoint.Load(work) : null;
        if (checkpoint is not null)
        {
            EnsureInputsUnchanged(checkpoint.Inputs, files, outDir);
            if (checkpoint.BuildId != buildId || checkpoint.Part != part.Index || checkpoint.Parts != part.Count)
                throw new OptionException(nameof(BuildOptions.Resume), $"cannot resume in '{outDir}': the interrupted run was part {checkpoint.Part}/{checkpoint.Parts} with its own inputs, options and tokenizer, and this run differs. Run with the same ones, or without Resume to start over.");
        }
        else StartWork(work);
        if (checkpoint is not null && File.Exists(Path.Combine(work, PartManifest.FileName)))
        {
            // the interrupted run had finished everything but moving files into place
            var ready = PartManifest.Load(work);
            InstallPart(work, outDir);
            return new PartResult(outDir, part, ready.Stats.Read, ready.Documents, 0, clock.Elapsed, Resumed: true);
        }

        var state = new RunState(options, files, eot, tokenizer.VocabSize <= 65536 ? 2 : 4, null) { Inputs = checkpoint?.Inputs ?? InputStamps(files) };
        var run = new PartRun(state, part, buildId, work, checkpoint);
        await run.RunAsync(progress, ct).ConfigureAwait(false);
        ct.ThrowIfCancellationRequested();

        var specs = options.Sources.ToList();
        var firstIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < files.Count; i++) firstIndex.TryAdd(files[i].Path, i);
        var manifest = new PartManifest
        {
            Part = part.Index,
            Parts = part.Count,
            BuildId = buildId,
            Build = new PartBuild(specs, options.Cleaning, options.Dedup, options.Split, options.ShardTokens, options.OnError, options.IncludeTokenizer, tokenizer.Fingerprint),
            Files = files.Select(f => new PartFile(f.Path, specs.FindIndex(s => ReferenceEquals(s, f.Spec)), f.Format, f.Bytes)).ToList(),
            Stats = state.PartStats(path => firstIndex.GetValueOrDefault(path)),
            Documents = run.Records,
            DocumentBytes = new FileInfo(Path.Combine(work, PartDocuments.FileName)).Length,
            DocumentsSha256 = ShardWriter.Sha256Of(Path.Combine(work, PartDocuments.FileName), ct),
        };
        // part.json marks the work directory complete, so everything it installs is written first
        TokenizerStore.Save(tokenizer, Path.Combine(work, TokenizerDirectoryName));
        manifest.Save(Path.Combine(work, PartManifest.FileName));
        InstallPart(work, outDir);
        return new PartResult(outDir, part, manifest.Stats.Read, manifest.Documents, state.Counter.Bytes, clock.Elapsed, checkpoint is not null);
    }

    /// <summary>The path a file is assigned to a part by: relative to its directory source, or its name for a file source.</summary>
    private static string RelativePath(SourceFile file) =>
        Directory.Exists(file.Spec.Path) ? Path.GetRelativePath(file.Spec.Path, file.Path) : Path.GetFileName(file.Path);

    /// <summary>Moves a finished part into its output directory, <c>part.json</c> last.</summary>
    private static void InstallPart(string work, string outDir)
    {
        var target = Path.Combine(outDir, PartManifest.FileName);
        if (File.Exists(target)) File.Delete(target); // from here on no part.json may describe documents being replaced
        var documents = Path.Combine(work, PartDocuments.FileName);
        if (File.Exists(documents)) File.Move(documents, Path.Combine(outDir, PartDocuments.FileName), overwrite: true);
        else if (!File.Exists(Path.Combine(outDir, PartDocuments.FileName)))
            throw new OptionException(nameof(BuildOptions.Resume), $"cannot finish: '{PartDocuments.FileName}' is neither in '{work}' nor in '{outDir}'. Run again without Resume.");
        var tokenizer = Path.Combine(work, TokenizerDirectoryName);
        if (Directory.Exists(tokenizer))
        {
            var to = Path.Combine(outDir, TokenizerDirectoryName);
            OutputOwnership.DeleteOwned(to, OutputKind.Tokenizer);
            Directory.Move(tokenizer, to);
        }
        File.Move(Path.Combine(work, PartManifest.FileName), target);
        DeleteWork(work);
    }

    /// <summary>One part's reading, processing and writing loop.</summary>
    private sealed class PartRun(RunState s, BuildPart part, string buildId, string work, PartCheckpoint? checkpoint)
    {
        private readonly HashSet<UInt128> _seen = [];
        private readonly long _resumeFrom = checkpoint?.DocumentsDone ?? 0;

        /// <summary>Documents written to <c>documents.bin</c>.</summary>
        public long Records { get; private set; } = checkpoint?.Records ?? 0;

        public async Task RunAsync(IProgress<BuildProgress>? progress, CancellationToken ct)
        {
            var o = s.Options;
            var files = s.Files;
            // a single input file is shared by record; several are shared by file
            var byRecord = files.Count == 1;
            var mine = Enumerable.Range(0, files.Count).Where(i => byRecord || part.OwnsFile(RelativePath(files[i]))).ToList();
            // with one file every part reads all of it: only part 1 reports its unreadable records, so the merge counts them once
            var readerErrors = byRecord && part.Index != 1 ? new CorpusErrors(o.OnError) : s.Errors;

            var path = Path.Combine(work, PartDocuments.FileName);
            var parallel = new ParallelOptions { MaxDegreeOfParallelism = o.Threads, CancellationToken = ct };
            var sinceCheckpoint = Stopwatch.StartNew();
            long done = 0;
            await using var stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.Write, FileShare.Read, 1 << 20);
            var keep = checkpoint?.DocumentBytes ?? 0;
            if (stream.Length < keep)
                throw new OptionException(nameof(BuildOptions.Resume), $"cannot resume: '{path}' is shorter than its checkpoint. Run again without Resume.");
            stream.SetLength(keep); // drop whatever was written after the checkpoint
            stream.Seek(0, SeekOrigin.End);
            using var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
            await ReadInBatchesAsync(o, Mine, batch =>
            {
                ProcessBatch(batch, done, writer, parallel);
                done += batch.Count;
                if (done > _resumeFrom && sinceCheckpoint.Elapsed >= o.CheckpointInterval)
                {
                    writer.Flush();
                    stream.Flush(flushToDisk: true);
                    new PartCheckpoint(buildId, part.Index, part.Count, done, Records, stream.Position) { Inputs = s.Inputs }.Save(work);
                    sinceCheckpoint.Restart();
                }
                progress?.Report(new BuildProgress(s.Counter.Bytes, s.TotalBytes, done, Records, 0, done < _resumeFrom));
            }, ct).ConfigureAwait(false);
            writer.Flush();
            stream.Flush(flushToDisk: true);

            // this part's documents with their input file and position in it
            async IAsyncEnumerable<((int File, long Ordinal, RawDocument Doc), int)> Mine([EnumeratorCancellation] CancellationToken token)
            {
                foreach (var i in mine)
                {
                    long ordinal = 0;
                    await foreach (var doc in CorpusReader.ReadAsync([files[i]], readerErrors, s.Counter, token).ConfigureAwait(false))
                    {
                        var k = ordinal++;
                        if (byRecord && !part.OwnsRecord(k)) continue;
                        yield return ((i, k, doc), doc.Text.Length);
                    }
                }
            }
        }

        private void ProcessBatch(List<(int File, long Ordinal, RawDocument Doc)> batch, long first, BinaryWriter writer, ParallelOptions parallel)
        {
            var o = s.Options;
            var n = batch.Count;
            var cleaned = new string?[n];
            var outcome = new CleanOutcome[n];
            var keys = new UInt128[n];
            var signatures = new ushort[]?[n];
            Parallel.For(0, n, parallel, i =>
            {
                outcome[i] = s.Cleaner.Clean(batch[i].Doc.Text, out cleaned[i]);
                if (cleaned[i] is not { } text) return;
                keys[i] = Deduplicator.Key(text);
                if (o.Dedup.Near && first + i >= _resumeFrom) signatures[i] = s.Dedup.Hasher.Signature(text);
            });

            var write = new List<int>();
            var tokenize = new List<int>();
            for (var i = 0; i < n; i++)
            {
                s.Count(batch[i].Doc, outcome[i]);
                if (outcome[i] != CleanOutcome.Kept) continue;
                // a repeat of an earlier text of this part is dropped by the merge whatever happens to the first: no tokens needed
                var repeat = o.Dedup.Exact && !_seen.Add(keys[i]);
                if (first + i < _resumeFrom) continue;
                write.Add(i);
                if (!repeat) tokenize.Add(i);
            }
            if (write.Count == 0) return;

            var ids = new int[n][];
            var failures = new string?[n];
            Parallel.For(0, tokenize.Count, parallel, j =>
            {
                var i = tokenize[j];
                try { ids[i] = o.Tokenizer.Encode(cleaned[i]!); }
                catch (TextSslException ex) { failures[i] = ex.Message; }
            });
            foreach (var i in write)
            {
                var text = cleaned[i]!;
                var split = (byte)SplitIndex(o.Split.Assign(keys[i]));
                var snippet = text.Length <= PartDocument.SnippetChars ? text : text[..PartDocument.SnippetChars];
                PartDocuments.Write(writer, new PartDocument(batch[i].File, batch[i].Ordinal, batch[i].Doc.Record, keys[i], signatures[i], split, snippet, ids[i], failures[i]), s.TokenBytes);
                Records++;
            }
        }
    }

    private static int SplitIndex(string split)
    {
        for (var i = 0; i < SplitOptions.Names.Count; i++) if (SplitOptions.Names[i] == split) return i;
        throw new ArgumentOutOfRangeException(nameof(split), split, "unknown split");
    }
}
