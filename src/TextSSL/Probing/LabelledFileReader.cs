using System.Globalization;
using System.Text.Json;
using CsvHelper;

namespace TextSSL.Probing;

/// <summary>Reads labelled texts from CSV, TSV or JSON Lines files.</summary>
internal static class LabelledFileReader
{
    /// <summary>Reads <paramref name="path"/>; the format follows the extension (.csv, .tsv, .jsonl/.json).</summary>
    /// <param name="path">The file.</param>
    /// <param name="columns">Column names.</param>
    /// <param name="firstId">The id of the first row; later rows count up from it.</param>
    /// <exception cref="TextSslException">The file is missing, has an unknown extension, lacks a column or is malformed.</exception>
    public static LabelledFile Read(string path, LabelledColumns columns, long firstId = 0)
    {
        if (!File.Exists(path)) throw new TextSslException($"labelled data file '{path}' does not exist.");
        var ext = Path.GetExtension(path).ToLowerInvariant();
        return ext switch
        {
            ".csv" => ReadDelimited(path, columns, firstId, ','),
            ".tsv" or ".tab" => ReadDelimited(path, columns, firstId, '\t'),
            ".jsonl" or ".json" or ".ndjson" => ReadJsonLines(path, columns, firstId),
            _ => throw new TextSslException($"'{path}': unknown labelled-data format '{ext}'. Use a .csv, .tsv or .jsonl file."),
        };
    }

    private static LabelledFile ReadDelimited(string path, LabelledColumns columns, long firstId, char separator)
    {
        var options = CsvReaderOptions.Default with
        {
            Separator = separator,
            HasHeader = true,
            // Tab-separated files rarely quote; a stray quote must stay part of the text.
            Mode = separator == '\t' ? CsvMode.NoEscape : CsvMode.Rfc4180,
        };
        try
        {
            using var csv = CsvReader.FromFile(path, options);
            var header = csv.Headers.ToArray();
            if (header.Length == 0) throw new TextSslException($"'{path}' is empty: expected a header row with the columns '{columns.Text}' and '{columns.Label}'.");
            var textIndex = ColumnIndex(header, columns.Text, path, TextColumnOption);
            var labelIndex = ColumnIndex(header, columns.Label, path, LabelColumnOption);
            var splitIndex = FindColumn(header, columns.Split);
            var builder = new Builder(path, firstId, splitIndex >= 0);
            while (csv.Read())
                builder.Add(csv.GetString(textIndex), csv.GetString(labelIndex), splitIndex >= 0 ? csv.GetString(splitIndex) : null);
            return builder.Build();
        }
        catch (CsvFormatException ex)
        {
            throw new TextSslException($"'{path}' is not valid {(separator == ',' ? "CSV" : "TSV")}: {ex.Message.Split('\n')[0]}", ex);
        }
    }

    private static LabelledFile ReadJsonLines(string path, LabelledColumns columns, long firstId)
    {
        Builder? builder = null;
        var lineNumber = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            JsonDocument doc;
            try { doc = JsonDocument.Parse(line); }
            catch (JsonException ex) { throw new TextSslException($"'{path}' line {lineNumber} is not valid JSON: {ex.Message}", ex); }
            using (doc)
            {
                if (doc.RootElement.ValueKind != JsonValueKind.Object)
                    throw new TextSslException($"'{path}' line {lineNumber}: expected one JSON object per line.");
                if (builder is null)
                {
                    var names = doc.RootElement.EnumerateObject().Select(p => p.Name).ToArray();
                    ColumnIndex(names, columns.Text, path, TextColumnOption);
                    ColumnIndex(names, columns.Label, path, LabelColumnOption);
                    builder = new Builder(path, firstId, FindColumn(names, columns.Split) >= 0);
                }
                var text = Field(doc.RootElement, columns.Text) ?? throw new TextSslException($"'{path}' line {lineNumber} has no '{columns.Text}' field.");
                var label = Field(doc.RootElement, columns.Label) ?? throw new TextSslException($"'{path}' line {lineNumber} has no '{columns.Label}' field.");
                builder.Add(text, label, builder.HasSplit ? Field(doc.RootElement, columns.Split) : null);
            }
        }
        return (builder ?? new Builder(path, firstId, false)).Build();
    }

    private static string? Field(JsonElement obj, string name)
    {
        foreach (var p in obj.EnumerateObject())
        {
            if (!string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase)) continue;
            return p.Value.ValueKind switch
            {
                JsonValueKind.String => p.Value.GetString(),
                JsonValueKind.Null => "",
                _ => p.Value.GetRawText(),
            };
        }
        return null;
    }

    private static int FindColumn(string[] header, string name)
    {
        var exact = Array.IndexOf(header, name);
        return exact >= 0 ? exact : Array.FindIndex(header, h => string.Equals(h.Trim(), name, StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>The option names of the column settings, as <see cref="OptionException"/> messages spell them.</summary>
    internal const string TextColumnOption = nameof(LabelledColumns) + "." + nameof(LabelledColumns.Text);

    /// <inheritdoc cref="TextColumnOption"/>
    internal const string LabelColumnOption = nameof(LabelledColumns) + "." + nameof(LabelledColumns.Label);

    /// <inheritdoc cref="TextColumnOption"/>
    internal const string SplitColumnOption = nameof(LabelledColumns) + "." + nameof(LabelledColumns.Split);

    private static int ColumnIndex(string[] header, string name, string path, string option)
    {
        var index = FindColumn(header, name);
        if (index < 0)
            throw new OptionException(option, $"'{path}' has no column '{name}' (it has: {string.Join(", ", header.Select(h => $"'{h}'"))}). Name the right one with {option}.");
        return index;
    }

    private sealed class Builder(string path, long firstId, bool hasSplit)
    {
        private readonly List<LabelledRow> _rows = [];
        private long _next = firstId;
        private int _emptyText;
        private int _emptyLabel;

        public bool HasSplit => hasSplit;

        public void Add(string? text, string? label, string? split)
        {
            var id = _next++;
            label = label?.Trim();
            if (string.IsNullOrWhiteSpace(text)) { _emptyText++; return; }
            if (string.IsNullOrEmpty(label)) { _emptyLabel++; return; }
            _rows.Add(new LabelledRow(new LabelledExample(id, text, label), hasSplit ? (split ?? "").Trim().ToLowerInvariant() : null));
        }

        public LabelledFile Build() => new(path, _rows, hasSplit, _emptyText, _emptyLabel);
    }
}
