using System.Runtime.CompilerServices;
using System.Text;

namespace TextSSL.Corpora.Internal;

/// <summary>Reads UTF-8 text into documents split by file, line, blank-line paragraph or separator line.</summary>
internal static class TextSourceReader
{
    public static async IAsyncEnumerable<RawDocument> ReadAsync(SourceFile file, string? label, CorpusErrors errors, ByteCounter? counter,
                                                                  [EnumeratorCancellation] CancellationToken ct)
    {
        var spec = file.Spec;
        await using var stream = InputStreams.Open(file.Path, counter);
        var lines = Utf8LineReader.ForRecords(stream, spec.MaxRecordChars);
        var text = new StringBuilder();
        long startLine = 0;
        string? problem = null; // why the document being read cannot be used; its further lines are not kept

        RawDocument? Flush()
        {
            if (startLine == 0) return null;
            RawDocument? doc = null;
            if (problem is not null) errors.Report(file.Path, startLine, problem, options: [nameof(SourceSpec.Boundary), nameof(SourceSpec.MaxRecordChars)]);
            else doc = new RawDocument(text.ToString(), file.Path, startLine, label);
            text.Clear();
            startLine = 0;
            problem = null;
            return doc;
        }

        while (await lines.ReadLineAsync(ct).ConfigureAwait(false))
        {
            var offset = -1;
            var line = lines.TooLong ? null : lines.TryDecode(out offset);
            var ends = spec.Boundary switch
            {
                DocumentBoundary.Separator => line == spec.Separator,
                DocumentBoundary.Paragraph => line is not null && string.IsNullOrWhiteSpace(line),
                _ => false,
            };
            if (ends)
            {
                if (Flush() is { } doc) yield return doc;
                continue;
            }
            if (startLine == 0) startLine = lines.LineNumber;
            if (problem is null)
            {
                // a line over the byte limit holds more characters than a whole document may
                if (lines.TooLong || (line is not null && text.Length + line.Length + 1 > spec.MaxRecordChars))
                    problem = $"the document is longer than {spec.MaxRecordChars:N0} characters (at line {lines.LineNumber}); " +
                              "split the file into documents with Boundary (line, paragraph or separator), or raise MaxRecordChars";
                else if (line is null) problem = $"invalid UTF-8 on line {lines.LineNumber} (byte {offset} of the line)";
                else
                {
                    if (lines.LineNumber > startLine) text.Append('\n');
                    text.Append(line);
                }
                if (problem is not null) text.Clear(); // nothing more of it is kept
            }
            if (spec.Boundary == DocumentBoundary.Line && Flush() is { } one) yield return one;
        }
        if (Flush() is { } last) yield return last;
    }
}
