using System.CommandLine;
using System.Text;
using TextSSL.Cli;
using TextSSL.Corpora;

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
        TextSSL.Cli.OptionFlags.Register(nameof(CorpusInputs.InputPaths), "input paths");
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

    /// <summary>What the command line says to read.</summary>
    public CorpusInputs Read(ParseResult pr)
    {
        var corpus = pr.GetValue(Corpus);
        var boundary = Enum.Parse<DocumentBoundary>(pr.GetValue(Boundary)!, ignoreCase: true);
        return new CorpusInputs
        {
            InputPaths = pr.GetValue(Inputs) ?? [],
            Corpus = corpus,
            Catalog = pr.GetValue(Catalog),
            Format = pr.GetValue(Format) switch
            {
                "text" => SourceFormat.Text, "jsonl" => SourceFormat.JsonLines, "csv" => SourceFormat.Csv, "tsv" => SourceFormat.Tsv,
                "parquet" => SourceFormat.Parquet, "email" => SourceFormat.Email, _ => SourceFormat.Auto,
            },
            // a catalog corpus keeps its recipe's boundary unless one is typed (e.g. paragraphs of moby-dick for a validation split)
            Boundary = corpus is null || pr.GetResult(Boundary) is { Implicit: false } ? boundary : null,
            Separator = pr.GetValue(Separator)!,
            Field = pr.GetValue(Field)!,
            HasHeader = !pr.GetValue(NoHeader),
            Include = pr.GetValue(Include) ?? [],
            Exclude = pr.GetValue(Exclude) ?? [],
            MaxRecordChars = pr.GetValue(MaxRecordChars),
        };
    }

    /// <summary>The sources named on the command line, or the catalog corpus's.</summary>
    public IReadOnlyList<SourceSpec> Sources(ParseResult pr, Func<SourceSpec, SourceSpec>? adjust = null) => Read(pr).Sources(adjust);

    /// <summary>
    /// Declares which property of <see cref="BuildRunOptions"/> (a build's <c>config.json</c>) each option sets, for
    /// <c>build --config</c>.
    /// </summary>
    public void SetsBuildProperties()
    {
        const string inputs = nameof(BuildRunOptions.Inputs), cleaning = nameof(BuildRunOptions.Cleaning);
        Inputs.Sets(inputs, nameof(CorpusInputs.InputPaths));
        Corpus.Sets(inputs, nameof(CorpusInputs.Corpus));
        Catalog.Sets(inputs, nameof(CorpusInputs.Catalog));
        Format.Sets(inputs, nameof(CorpusInputs.Format));
        Boundary.Sets(inputs, nameof(CorpusInputs.Boundary));
        Separator.Sets(inputs, nameof(CorpusInputs.Separator));
        Field.Sets(inputs, nameof(CorpusInputs.Field));
        NoHeader.Sets(inputs, nameof(CorpusInputs.HasHeader));
        Include.Sets(inputs, nameof(CorpusInputs.Include));
        Exclude.Sets(inputs, nameof(CorpusInputs.Exclude));
        MaxRecordChars.Sets(inputs, nameof(CorpusInputs.MaxRecordChars));
        Normalize.Sets(cleaning, nameof(CleaningOptions.Normalization));
        Lowercase.Sets(cleaning, nameof(CleaningOptions.Lowercase));
        MinChars.Sets(cleaning, nameof(CleaningOptions.MinChars));
        MaxChars.Sets(cleaning, nameof(CleaningOptions.MaxChars));
        OnError.Sets(nameof(BuildRunOptions.OnError));
    }

    public CleaningOptions Cleaning(ParseResult pr) => new()
    {
        Normalization = pr.GetValue(Normalize) switch { "nfkc" => NormalizationForm.FormKC, "none" => null, _ => NormalizationForm.FormC },
        Lowercase = pr.GetValue(Lowercase),
        MinChars = pr.GetValue(MinChars),
        MaxChars = pr.GetValue(MaxChars) ?? int.MaxValue,
    };

    public ErrorPolicy Errors(ParseResult pr) => pr.GetValue(OnError) == "skip" ? ErrorPolicy.Skip : ErrorPolicy.Fail;
}
