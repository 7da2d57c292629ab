using TextSSL.Corpora.Catalog;

namespace TextSSL.Corpora;

/// <summary>
/// What a build or a labelled set reads, as given: input paths with how to read them, or a catalog corpus read by its
/// recipe. <see cref="Sources"/> turns it into the <see cref="SourceSpec"/> list the readers take.
/// </summary>
public sealed record CorpusInputs
{
    /// <summary>Files or directories to read (<c>-</c> is stdin); empty when <see cref="Corpus"/> is set.</summary>
    public IReadOnlyList<string> InputPaths { get; init; } = [];

    /// <summary>A catalog corpus, read by its recipe (instead of <see cref="InputPaths"/>).</summary>
    public string? Corpus { get; init; }

    /// <summary>The catalog folder; null for the default (<see cref="CorpusCatalog.Open"/>).</summary>
    public string? Catalog { get; init; }

    /// <summary>How the input paths are read (auto: by extension).</summary>
    public SourceFormat Format { get; init; } = SourceFormat.Auto;

    /// <summary>Where a text document ends; null keeps the default (a whole file; a catalog corpus's own recipe).</summary>
    public DocumentBoundary? Boundary { get; init; }

    /// <summary>The separator line of <see cref="DocumentBoundary.Separator"/>.</summary>
    public string Separator { get; init; } = "%";

    /// <summary>JSON field (dotted path) or column holding the text.</summary>
    public string Field { get; init; } = "text";

    /// <summary>Whether CSV/TSV files have a header row.</summary>
    public bool HasHeader { get; init; } = true;

    /// <summary>File-name patterns read in directories (none: all).</summary>
    public IReadOnlyList<string> Include { get; init; } = [];

    /// <summary>File-name patterns skipped in directories.</summary>
    public IReadOnlyList<string> Exclude { get; init; } = [];

    /// <summary>Longest document or record read, in characters.</summary>
    public int MaxRecordChars { get; init; } = 64 << 20;

    /// <summary>The sources to read: the catalog corpus's (with <see cref="Boundary"/> and <see cref="Separator"/> when a boundary is given), or one per input path.</summary>
    /// <param name="adjust">Applied to each source (e.g. where labels come from).</param>
    /// <exception cref="OptionException">Both or neither of <see cref="InputPaths"/> and <see cref="Corpus"/>, or <see cref="MaxRecordChars"/> below 1.</exception>
    public IReadOnlyList<SourceSpec> Sources(Func<SourceSpec, SourceSpec>? adjust = null)
    {
        var paths = InputPaths ?? [];
        if (Corpus is not null && paths.Count > 0) throw new OptionException([nameof(InputPaths), nameof(Corpus)], "give either InputPaths or Corpus, not both.");
        if (Corpus is null && paths.Count == 0)
            throw new OptionException([nameof(InputPaths), nameof(Corpus)], "no input: give InputPaths (files or directories, '-' for stdin) or a catalog Corpus.");
        if (MaxRecordChars < 1) throw new OptionException(nameof(MaxRecordChars), $"MaxRecordChars must be at least 1 (got {MaxRecordChars}).");
        IEnumerable<SourceSpec> sources = Corpus is not null
            ? CorpusCatalog.Open(Catalog).Get(Corpus).Sources().Select(s => Boundary is { } b ? s with { Boundary = b, Separator = Separator } : s)
            : paths.Select(path => new SourceSpec(path)
            {
                Format = Format,
                Boundary = Boundary ?? DocumentBoundary.File,
                Separator = Separator,
                Field = Field,
                HasHeader = HasHeader,
                Include = Include ?? [],
                Exclude = Exclude ?? [],
            });
        return sources.Select(s => s with { MaxRecordChars = MaxRecordChars }).Select(s => adjust is null ? s : adjust(s)).ToList();
    }
}
