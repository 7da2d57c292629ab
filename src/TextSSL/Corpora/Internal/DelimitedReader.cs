using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using CsvHelper;

namespace TextSSL.Corpora.Internal;

/// <summary>
/// Reads CSV or TSV through CsvHelper: one document per record, the text in a named column (or a 0-based index
/// without a header). Fields are decoded from UTF-8 strictly, so invalid bytes are reported with their line.
/// </summary>
internal static class DelimitedReader
{
    public static async IAsyncEnumerable<RawDocument> ReadAsync(SourceFile file, string? fileLabel, CorpusErrors errors, ByteCounter? counter,
                                                                  [EnumeratorCancellation] CancellationToken ct)
    {
        var spec = file.Spec;
        var tsv = file.Format == SourceFormat.Tsv;
        var malformed = false;
        var options = CsvReaderOptions.Default with
        {
            Separator = tsv ? '\t' : ',',
            HasHeader = spec.HasHeader,
            // TSV has no quoting convention: a quote is an ordinary character there
            Mode = tsv ? CsvMode.NoEscape : CsvMode.Rfc4180,
            TrackLineNumbers = true,
            OnMalformedRecord = _ => malformed = true,
        };
        await using var stream = InputStreams.Open(file.Path, counter);
        await using var csv = CsvReader.Create(stream, options, leaveOpen: false);
        int column, labelColumn = -1;
        if (spec.HasHeader)
        {
            await csv.ReadHeaderAsync(ct).ConfigureAwait(false);
            var header = csv.Headers.ToArray();
            column = IndexOf(csv, header, spec.Field, file.Path, "text", nameof(SourceSpec.Field));
            if (spec.LabelFrom == LabelSource.Field && spec.LabelField is { } lf) labelColumn = IndexOf(csv, header, lf, file.Path, "label", nameof(SourceSpec.LabelField));
        }
        else
        {
            column = ParseIndex(spec.Field, file.Path, nameof(SourceSpec.Field));
            if (spec.LabelFrom == LabelSource.Field && spec.LabelField is { } lf) labelColumn = ParseIndex(lf, file.Path, nameof(SourceSpec.LabelField));
        }
        while (await csv.ReadAsync(ct).ConfigureAwait(false))
        {
            var line = csv.LineNumber;
            if (malformed)
            {
                malformed = false;
                errors.Report(file.Path, line, "malformed quoting");
                continue;
            }
            if (column >= csv.FieldCount || (labelColumn >= 0 && labelColumn >= csv.FieldCount))
            {
                errors.Report(file.Path, line, $"the record has {csv.FieldCount} field(s), too few for column {Math.Max(column, labelColumn)}");
                continue;
            }
            var text = Decode(csv.GetSpan(column), out var bad);
            var label = fileLabel;
            if (text is not null && labelColumn >= 0) label = Decode(csv.GetSpan(labelColumn), out bad);
            if (text is null || label is null && labelColumn >= 0)
            {
                errors.Report(file.Path, line, $"invalid UTF-8 (byte {bad} of a field)");
                continue;
            }
            yield return new RawDocument(text, file.Path, line, label);
        }
    }

    private static string? Decode(ReadOnlySpan<byte> bytes, out int bad)
    {
        bad = -1;
        try { return Utf8LineReader.Strict.GetString(bytes); }
        catch (DecoderFallbackException ex)
        {
            bad = ex.Index;
            return null;
        }
    }

    private static int IndexOf(CsvReader csv, string[] header, string name, string path, string what, string option) =>
        Array.IndexOf(header, name) is var i and >= 0 ? i
        : csv.TryGetFieldIndex(name, out var j) ? j
        : throw new OptionException([option, nameof(SourceSpec.HasHeader)], $"{path}: no {what} column named '{name}' in the header (columns: {string.Join(", ", header.Take(20))}). " +
                                     $"Name the column with {option}, or, for files without a header row, say so with HasHeader.");

    private static int ParseIndex(string value, string path, string option) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var i)
            ? i
            : throw new OptionException(option, $"{path}: without a header row, {option} must be a 0-based column number (got '{value}').");
}
