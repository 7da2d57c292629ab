using System.Globalization;
using System.Text;
using CsvHelper;

namespace TextSSL.Benchmarks;

/// <summary>
/// A table of benchmark results: named columns, rows of cells. Written as CSV (for tools) and as a Markdown
/// table (for READMEs and issue notes). Numbers are formatted with the invariant culture.
/// </summary>
public sealed class BenchTable
{
    private readonly List<string[]> _rows = [];

    /// <summary>A table with the given title and column names.</summary>
    public BenchTable(string title, params string[] columns)
    {
        if (columns.Length == 0) throw new ArgumentException("a table needs at least one column.", nameof(columns));
        Title = title;
        Columns = columns;
    }

    /// <summary>The table's title (a Markdown heading above it).</summary>
    public string Title { get; }

    /// <summary>Column names.</summary>
    public IReadOnlyList<string> Columns { get; }

    /// <summary>Rows as formatted text cells.</summary>
    public IReadOnlyList<IReadOnlyList<string>> Rows => _rows;

    /// <summary>
    /// Adds a row; one cell per column. <see langword="null"/> and NaN print as <c>n/a</c>, doubles with
    /// <paramref name="digits"/> decimals, everything else through its invariant string form.
    /// </summary>
    public void AddRow(IReadOnlyList<object?> cells, int digits = 2)
    {
        if (cells.Count != Columns.Count)
            throw new ArgumentException($"row has {cells.Count} cells, the table {Columns.Count} columns.", nameof(cells));
        _rows.Add(cells.Select(c => Format(c, digits)).ToArray());
    }

    /// <summary>Adds a row; one cell per column (see <see cref="AddRow(IReadOnlyList{object?}, int)"/>).</summary>
    public void Add(params object?[] cells) => AddRow(cells);

    /// <summary>Formats a cell value as the table prints it.</summary>
    public static string Format(object? value, int digits = 2) => value switch
    {
        null => "n/a",
        double d when double.IsNaN(d) || double.IsInfinity(d) => "n/a",
        double d => d.ToString("F" + digits, CultureInfo.InvariantCulture),
        float f => Format((double)f, digits),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    /// <summary>The table as CSV (header row first).</summary>
    public string ToCsv()
    {
        using var writer = new StringWriter(CultureInfo.InvariantCulture);
        using (var csv = CsvWriter.Create(writer, new CsvWriterOptions(), true))
        {
            csv.WriteRecord([.. Columns]);
            foreach (var row in _rows) csv.WriteRecord(row);
        }
        return writer.ToString();
    }

    /// <summary>The table as GitHub Markdown, with its title as a level-3 heading and numeric columns right-aligned.</summary>
    public string ToMarkdown()
    {
        var sb = new StringBuilder();
        sb.Append("### ").AppendLine(Title).AppendLine();
        sb.Append("| ").AppendJoin(" | ", Columns.Select(Escape)).AppendLine(" |");
        sb.Append('|');
        for (var i = 0; i < Columns.Count; i++) sb.Append(IsNumericColumn(i) ? "---:|" : "---|");
        sb.AppendLine();
        foreach (var row in _rows) sb.Append("| ").AppendJoin(" | ", row.Select(Escape)).AppendLine(" |");
        return sb.ToString();
    }

    /// <summary>Writes <c>&lt;name&gt;.csv</c> and <c>&lt;name&gt;.md</c> into <paramref name="directory"/>, each atomically; returns both paths.</summary>
    public (string Csv, string Markdown) Save(string directory, string name)
    {
        var csv = Path.Combine(directory, name + ".csv");
        var md = Path.Combine(directory, name + ".md");
        AtomicFile.WriteAllText(csv, ToCsv());
        AtomicFile.WriteAllText(md, ToMarkdown());
        return (csv, md);
    }

    private bool IsNumericColumn(int i) =>
        _rows.Count > 0 && _rows.All(r => r[i] == "n/a" || double.TryParse(r[i], NumberStyles.Float, CultureInfo.InvariantCulture, out _));

    private static string Escape(string s) => s.Replace("|", "\\|", StringComparison.Ordinal);
}
