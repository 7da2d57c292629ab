namespace TextSSL.Corpora;

/// <summary>One input of a corpus: a file, a directory (read recursively, in ordinal path order) or <c>-</c> for stdin.</summary>
/// <param name="Path">The file or directory, or <c>-</c> for standard input.</param>
public sealed record SourceSpec(string Path)
{
    /// <summary>How to read it; <see cref="SourceFormat.Auto"/> (the default) decides per file from the extension.</summary>
    public SourceFormat Format { get; init; } = SourceFormat.Auto;

    /// <summary>Document boundary for text sources (default: one document per file).</summary>
    public DocumentBoundary Boundary { get; init; } = DocumentBoundary.File;

    /// <summary>The separator line for <see cref="DocumentBoundary.Separator"/> (default <c>%</c>).</summary>
    public string Separator { get; init; } = "%";

    /// <summary>The JSON field, or CSV/TSV/Parquet column, holding the text (default <c>text</c>). For CSV without a header, a 0-based column index.</summary>
    public string Field { get; init; } = "text";

    /// <summary>Whether CSV/TSV files start with a header row (default true).</summary>
    public bool HasHeader { get; init; } = true;

    /// <summary>Where labels come from (default none).</summary>
    public LabelSource LabelFrom { get; init; } = LabelSource.None;

    /// <summary>The field or column holding the label when <see cref="LabelFrom"/> is <see cref="LabelSource.Field"/>.</summary>
    public string? LabelField { get; init; }

    /// <summary>Renames labels (e.g. <c>easy-ham-1 → ham</c>); labels not in the map are kept as they are.</summary>
    public IReadOnlyDictionary<string, string>? LabelMap { get; init; }

    /// <summary>File-name patterns (<c>*</c> and <c>?</c>) that directories are filtered by; empty means every file.</summary>
    public IReadOnlyList<string> Include { get; init; } = [];

    /// <summary>File-name patterns skipped when reading directories (e.g. <c>*.dat</c>).</summary>
    public IReadOnlyList<string> Exclude { get; init; } = [];

    /// <summary>
    /// The longest document or record accepted while reading, in characters (default 64 Mi). A longer one is an
    /// unreadable record (an error, or skipped and counted with <see cref="ErrorPolicy.Skip"/>) and is never held in
    /// memory whole, so one huge file or line cannot exhaust memory; lines of text and JSONL sources may hold at most
    /// four bytes per character of it. Split a large single text file with <see cref="Boundary"/> instead.
    /// </summary>
    public int MaxRecordChars { get; init; } = 64 << 20;

    /// <summary>Whether this source is standard input.</summary>
    public bool IsStdin => Path == "-";
}
