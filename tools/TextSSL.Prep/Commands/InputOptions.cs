using System.CommandLine;
using System.Text;
using TextSSL.Corpora;
using TextSSL.Corpora.Catalog;

namespace TextSSL.Prep.Commands;

/// <summary>The options that say what to read, shared by <c>build</c> and <c>labels</c>.</summary>
internal sealed class InputOptions
{
    public Argument<string[]> Inputs { get; } = new("inputs")
    {
        Description = "Files or directories to read ('-' reads stdin). Directories are read recursively in path order.",
        Arity = ArgumentArity.ZeroOrMore,
    };
    public Option<string?> Corpus { get; } = new("--corpus") { Description = "A catalog corpus (see 'textssl-prep list'), read by its recipe. Fetch it first." };
    public Option<string?> Catalog { get; } = new("--catalog") { Description = "The catalog folder (default: corpora/ of the repository, or $TEXTSSL_CORPORA)." };
    public Option<string> Format { get; } = new("--format")
    {
        Description = "Input format: auto (by extension), text, jsonl (.gz/.zst too), csv, tsv, parquet, email.",
        DefaultValueFactory = _ => "auto",
    };
    public Option<string> Boundary { get; } = new("--boundary")
    {
        Description = "Where a text document ends: file, line, paragraph (blank lines) or separator (a line holding only --separator).",
        DefaultValueFactory = _ => "file",
    };
    public Option<string> Separator { get; } = new("--separator") { Description = "The separator line for --boundary separator.", DefaultValueFactory = _ => "%" };
    public Option<string> Field { get; } = new("--field")
    {
        Description = "JSON field (dotted path) or CSV/TSV/Parquet column holding the text; a 0-based index with --no-header.",
        DefaultValueFactory = _ => "text",
    };
    public Option<bool> NoHeader { get; } = new("--no-header") { Description = "CSV/TSV files have no header row." };
    public Option<string[]> Include { get; } = new("--include") { Description = "File-name patterns to read in directories (e.g. '*.txt'); repeatable.", AllowMultipleArgumentsPerToken = true };
    public Option<string[]> Exclude { get; } = new("--exclude") { Description = "File-name patterns to skip in directories; repeatable.", AllowMultipleArgumentsPerToken = true };
    public Option<string> Normalize { get; } = new("--normalize") { Description = "Unicode normalization: nfc, nfkc or none.", DefaultValueFactory = _ => "nfc" };
    public Option<bool> Lowercase { get; } = new("--lowercase") { Description = "Lower-case all text." };
    public Option<int> MinChars { get; } = new("--min-chars") { Description = "Drop documents shorter than this after cleaning.", DefaultValueFactory = _ => 1 };
    public Option<int?> MaxChars { get; } = new("--max-chars") { Description = "Drop documents longer than this after cleaning (default: no limit)." };
    public Option<int> MaxRecordChars { get; } = new("--max-record-chars")
    {
        Description = "Longest document or record read, in characters; a longer one is an unreadable record (never held in memory whole). " +
                      "A big single text file needs --boundary line|paragraph|separator.",
        DefaultValueFactory = _ => 64 << 20,
    };
    public Option<string> OnError { get; } = new("--on-error")
    {
        Description = "Unreadable records (malformed JSON, invalid UTF-8, missing column...): fail (stop, naming file and line) or skip (count and list them).",
        DefaultValueFactory = _ => "fail",
    };

    public InputOptions()
    {
        TextSSL.Cli.OptionFlags.Register(nameof(SourceSpec.HasHeader), "--no-header");
        Format.AcceptOnlyFromAmong("auto", "text", "jsonl", "csv", "tsv", "parquet", "email");
        Boundary.AcceptOnlyFromAmong("file", "line", "paragraph", "separator");
        Normalize.AcceptOnlyFromAmong("nfc", "nfkc", "none");
        OnError.AcceptOnlyFromAmong("fail", "skip");
    }

    public void AddTo(Command command)
    {
        command.Arguments.Add(Inputs);
        foreach (var o in new Option[] { Corpus, Catalog, Format, Boundary, Separator, Field, NoHeader, Include, Exclude, Normalize, Lowercase, MinChars, MaxChars, MaxRecordChars, OnError })
            command.Options.Add(o);
    }

    /// <summary>The sources named on the command line, or the catalog corpus's.</summary>
    public IReadOnlyList<SourceSpec> Sources(ParseResult pr, Func<SourceSpec, SourceSpec>? adjust = null)
    {
        var inputs = pr.GetValue(Inputs) ?? [];
        var corpus = pr.GetValue(Corpus);
        if (corpus is not null && inputs.Length > 0) throw new TextSslException("pass either input paths or --corpus, not both.");
        if (corpus is not null)
        {
            // the catalog's recipe, with the document boundary overridable (e.g. paragraphs of moby-dick for a validation split)
            var given = pr.GetResult(Boundary) is { Implicit: false };
            return CorpusCatalog.Open(pr.GetValue(Catalog)).Get(corpus).Sources()
                .Select(s => given ? s with { Boundary = Enum.Parse<DocumentBoundary>(pr.GetValue(Boundary)!, ignoreCase: true), Separator = pr.GetValue(Separator)! } : s)
                .Select(s => s with { MaxRecordChars = RecordLimit(pr) })
                .Select(s => adjust is null ? s : adjust(s)).ToList();
        }
        if (inputs.Length == 0) throw new TextSslException("no input: pass files or directories, '-' for stdin, or --corpus NAME.");
        return inputs.Select(path =>
        {
            var spec = new SourceSpec(path)
            {
                Format = pr.GetValue(Format) switch
                {
                    "text" => SourceFormat.Text, "jsonl" => SourceFormat.JsonLines, "csv" => SourceFormat.Csv, "tsv" => SourceFormat.Tsv,
                    "parquet" => SourceFormat.Parquet, "email" => SourceFormat.Email, _ => SourceFormat.Auto,
                },
                Boundary = Enum.Parse<DocumentBoundary>(pr.GetValue(Boundary)!, ignoreCase: true),
                Separator = pr.GetValue(Separator)!,
                Field = pr.GetValue(Field)!,
                HasHeader = !pr.GetValue(NoHeader),
                Include = pr.GetValue(Include) ?? [],
                Exclude = pr.GetValue(Exclude) ?? [],
                MaxRecordChars = RecordLimit(pr),
            };
            return adjust is null ? spec : adjust(spec);
        }).ToList();
    }

    private int RecordLimit(ParseResult pr) =>
        pr.GetValue(MaxRecordChars) is var n and >= 1 ? n : throw new TextSslException($"--max-record-chars must be at least 1 (got {pr.GetValue(MaxRecordChars)}).");

    public CleaningOptions Cleaning(ParseResult pr) => new()
    {
        Normalization = pr.GetValue(Normalize) switch { "nfkc" => NormalizationForm.FormKC, "none" => null, _ => NormalizationForm.FormC },
        Lowercase = pr.GetValue(Lowercase),
        MinChars = pr.GetValue(MinChars),
        MaxChars = pr.GetValue(MaxChars) ?? int.MaxValue,
    };

    public ErrorPolicy Errors(ParseResult pr) => pr.GetValue(OnError) == "skip" ? ErrorPolicy.Skip : ErrorPolicy.Fail;
}
