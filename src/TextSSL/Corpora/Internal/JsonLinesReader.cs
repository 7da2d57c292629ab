using System.Runtime.CompilerServices;
using System.Text.Json;

namespace TextSSL.Corpora.Internal;

/// <summary>Reads JSON Lines (plain, gzip or zstd): one object per line, the text in a selectable (dotted) field.</summary>
internal static class JsonLinesReader
{
    public static async IAsyncEnumerable<RawDocument> ReadAsync(SourceFile file, string? fileLabel, CorpusErrors errors, ByteCounter? counter,
                                                                  [EnumeratorCancellation] CancellationToken ct)
    {
        var spec = file.Spec;
        await using var stream = InputStreams.Open(file.Path, counter);
        var lines = Utf8LineReader.ForRecords(stream, spec.MaxRecordChars);
        while (await lines.ReadLineAsync(ct).ConfigureAwait(false))
        {
            if (lines.TooLong)
            {
                errors.Report(file.Path, lines.LineNumber, $"the line is longer than {lines.MaxLineBytes:N0} bytes");
                continue;
            }
            var span = lines.Line.Span;
            if (span.Trim(" \t"u8).IsEmpty) continue; // blank lines are not records in JSONL
            var doc = Parse(lines.Line, file.Path, lines.LineNumber, spec, fileLabel, errors);
            if (doc is not null) yield return doc;
        }
    }

    private static RawDocument? Parse(ReadOnlyMemory<byte> line, string path, long number, SourceSpec spec, string? fileLabel, CorpusErrors errors)
    {
        try
        {
            // validate UTF-8 first: JsonDocument would report it as a generic parse error
            Utf8LineReader.Strict.GetCharCount(line.Span);
        }
        catch (System.Text.DecoderFallbackException ex)
        {
            errors.Report(path, number, $"invalid UTF-8 at byte {ex.Index} of the line");
            return null;
        }
        JsonDocument json;
        try { json = JsonDocument.Parse(line); }
        catch (JsonException ex)
        {
            errors.Report(path, number, $"malformed JSON ({ex.Message})");
            return null;
        }
        using (json)
        {
            if (json.RootElement.ValueKind != JsonValueKind.Object)
            {
                errors.Report(path, number, $"expected a JSON object, found {json.RootElement.ValueKind}");
                return null;
            }
            var text = Lookup(json.RootElement, spec.Field);
            if (text is not { ValueKind: JsonValueKind.String })
            {
                errors.Report(path, number, text is null ? $"no field '{spec.Field}' (choose the text field with Field)" : $"field '{spec.Field}' is {text.Value.ValueKind}, not a string", options: [nameof(SourceSpec.Field)]);
                return null;
            }
            var label = fileLabel;
            if (spec.LabelFrom == LabelSource.Field && spec.LabelField is { } lf)
            {
                var l = Lookup(json.RootElement, lf);
                if (l is null or { ValueKind: JsonValueKind.Null })
                {
                    errors.Report(path, number, $"no label field '{lf}'");
                    return null;
                }
                label = l.Value.ValueKind == JsonValueKind.String ? l.Value.GetString() : l.Value.GetRawText();
            }
            return new RawDocument(text.Value.GetString()!, path, number, label);
        }
    }

    private static JsonElement? Lookup(JsonElement root, string dotted)
    {
        var e = root;
        foreach (var part in dotted.Split('.'))
        {
            if (e.ValueKind != JsonValueKind.Object || !e.TryGetProperty(part, out var next)) return null;
            e = next;
        }
        return e;
    }
}
