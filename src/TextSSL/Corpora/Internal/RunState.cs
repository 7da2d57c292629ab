using System.Reflection;
using System.Text;

namespace TextSSL.Corpora.Internal;

/// <summary>The mutable state of one build: counters, dedup tables, error logs.</summary>
internal sealed class RunState
{
    private readonly Dictionary<string, int> _sourceOf = new(StringComparer.Ordinal);
    private readonly long[] _perSource;
    private long _read, _empty, _tooShort, _tooLong;

    public RunState(BuildOptions options, IReadOnlyList<SourceFile> files, int endOfText, int tokenBytes, BuildCheckpoint? checkpoint)
    {
        Options = options;
        Files = files;
        EndOfText = endOfText;
        TokenBytes = tokenBytes;
        TotalBytes = files.Sum(f => f.Bytes);
        Cleaner = new TextCleaner(options.Cleaning);
        Dedup = new Deduplicator(options.Dedup);
        Errors = new CorpusErrors(options.OnError);
        Untokenizable = new CorpusErrors(options.OnError);
        ResumeFrom = checkpoint?.DocumentsDone ?? 0;
        if (checkpoint is not null)
        {
            Untokenizable.Restore(checkpoint.Untokenizable, checkpoint.UntokenizableFirst);
            Kept = checkpoint.Splits.Values.Sum(x => x.Documents);
        }
        var specs = options.Sources.ToList();
        _perSource = new long[specs.Count];
        foreach (var f in files) _sourceOf.TryAdd(f.Path, specs.IndexOf(f.Spec));
    }

    public BuildOptions Options { get; }
    public IReadOnlyList<SourceFile> Files { get; }
    public int EndOfText { get; }
    public int TokenBytes { get; }
    public long TotalBytes { get; }
    public TextCleaner Cleaner { get; }
    public Deduplicator Dedup { get; }
    public CorpusErrors Errors { get; }
    public CorpusErrors Untokenizable { get; }
    public ByteCounter Counter { get; } = new();
    public long ResumeFrom { get; }
    public long Kept { get; set; }
    /// <summary>The inputs' sizes and modification times when the run (or the run it resumes) started.</summary>
    public List<InputStamp>? Inputs { get; init; }

    public void Count(RawDocument doc, CleanOutcome outcome)
    {
        _read++;
        if (_sourceOf.TryGetValue(doc.Source, out var i) && i >= 0) _perSource[i]++;
        switch (outcome)
        {
            case CleanOutcome.Empty: _empty++; break;
            case CleanOutcome.TooShort: _tooShort++; break;
            case CleanOutcome.TooLong: _tooLong++; break;
        }
    }

    /// <summary>What this state counted, for a part's <c>part.json</c>; <paramref name="fileOf"/> maps a source path to its file index.</summary>
    public PartStats PartStats(Func<string, int> fileOf) =>
        new(_read, _perSource.ToArray(), _empty, _tooShort, _tooLong, Errors.Count, Errors.First.Select(e => new PartSkipped(fileOf(e.Source), e)).ToList());

    /// <summary>Adds the counts of every part of a build (a merge), listing unreadable records in input order.</summary>
    public void Absorb(IReadOnlyList<PartStats> parts)
    {
        foreach (var p in parts)
        {
            _read += p.Read;
            _empty += p.Empty;
            _tooShort += p.TooShort;
            _tooLong += p.TooLong;
            for (var i = 0; i < _perSource.Length && i < p.PerSource.Length; i++) _perSource[i] += p.PerSource[i];
        }
        // each file belongs to one part and a part lists its records in reading order: a stable sort by file is input order
        Errors.Restore(parts.Sum(p => p.Skipped), parts.SelectMany(p => p.SkippedFirst).OrderBy(e => e.File).Select(e => e.Record));
    }

    public CorpusManifest Manifest(Dictionary<string, SplitManifest> splits)
    {
        var o = Options;
        var c = o.Cleaning;
        var sources = o.Sources.Select((spec, i) =>
        {
            var mine = Files.Where(f => ReferenceEquals(f.Spec, spec)).ToList();
            return new SourceSummary(spec.Path, spec.Format.ToString().ToLowerInvariant(), mine.Count, mine.Sum(f => f.Bytes), _perSource[i]);
        }).ToList();
        return new CorpusManifest
        {
            ToolVersion = typeof(RunState).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0",
            TokenizerFingerprint = o.Tokenizer.Fingerprint,
            TokenizerKind = o.Tokenizer.Kind,
            VocabSize = o.Tokenizer.VocabSize,
            EndOfTextId = EndOfText,
            TokenBytes = TokenBytes,
            ShardTokens = o.ShardTokens,
            Splits = SplitOptions.Names.ToDictionary(n => n, n => splits[n]),
            Sources = sources,
            Cleaning = new CleaningSummary(NormalizationName(c.Normalization), c.Lowercase, c.MinChars, c.MaxChars, _read, _empty, _tooShort, _tooLong),
            Dedup = new DedupSummary(o.Dedup.Exact, o.Dedup.Near, o.Dedup.Threshold, o.Dedup.ShingleWords, Dedup.ExactDuplicates, Dedup.NearDuplicates, Dedup.Examples.ToList()),
            SplitRule = o.Split,
            Errors = new ErrorSummary(o.OnError, Errors.Count, Errors.First, Untokenizable.Count, Untokenizable.First),
        };
    }

    public string EmptyMessage() =>
        $"no documents left to write: {_read} read, {_empty} empty, {_tooShort} shorter than {Options.Cleaning.MinChars} chars, " +
        $"{_tooLong} longer than {Options.Cleaning.MaxChars} chars, {Dedup.ExactDuplicates} exact and {Dedup.NearDuplicates} near duplicates, " +
        $"{Errors.Count} unreadable and {Untokenizable.Count} untokenizable records skipped. " +
        "Check the input format (Format, Field, Boundary) and relax MinChars/MaxChars.";

    public static string NormalizationName(NormalizationForm? form) => form switch
    {
        null => "none",
        NormalizationForm.FormC => "nfc",
        NormalizationForm.FormKC => "nfkc",
        NormalizationForm.FormD => "nfd",
        NormalizationForm.FormKD => "nfkd",
        _ => form.ToString()!,
    };
}
