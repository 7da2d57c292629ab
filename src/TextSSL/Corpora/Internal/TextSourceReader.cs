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
        var lines = new Utf8LineReader(stream);
        var text = new StringBuilder();
        long startLine = 0, badLine = 0;
        var badOffset = -1;

        RawDocument? Flush()
        {
            if (startLine == 0) return null;
            RawDocument? doc = null;
            if (badLine != 0) errors.Report(file.Path, startLine, $"invalid UTF-8 on line {badLine} (byte {badOffset} of the line)");
            else doc = new RawDocument(text.ToString(), file.Path, startLine, label);
            text.Clear();
            startLine = 0;
            badLine = 0;
            return doc;
        }

        while (await lines.ReadLineAsync(ct).ConfigureAwait(false))
        {
            var line = lines.TryDecode(out var offset);
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
            else text.Append('\n');
            if (line is null)
            {
                if (badLine == 0) { badLine = lines.LineNumber; badOffset = offset; }
            }
            else text.Append(line);
            if (spec.Boundary == DocumentBoundary.Line && Flush() is { } one) yield return one;
        }
        if (Flush() is { } last) yield return last;
    }
}
