using System.Runtime.CompilerServices;
using Parquet;
using Parquet.Schema;

namespace TextSSL.Corpora.Internal;

/// <summary>Reads a string column of a Parquet file, one row group at a time (memory is bounded by the row group).</summary>
internal static class ParquetDocumentReader
{
    public static async IAsyncEnumerable<RawDocument> ReadAsync(SourceFile file, string? fileLabel, CorpusErrors errors, ByteCounter? counter,
                                                                  [EnumeratorCancellation] CancellationToken ct)
    {
        var spec = file.Spec;
        if (file.Path == "-") throw new TextSslException("Parquet cannot be read from stdin: it needs random access. Pass the file's path.");
        ParquetReader reader;
        FileStream stream;
        try
        {
            stream = File.OpenRead(file.Path);
            reader = await ParquetReader.CreateAsync(stream, cancellationToken: ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidDataException or NotSupportedException)
        {
            throw new TextSslException($"cannot read '{file.Path}' as Parquet: {ex.Message}", ex);
        }
        await using var _ = stream;
        await using var __ = reader;
        var fields = reader.Schema.GetDataFields();
        var text = Find(fields, spec.Field, file.Path, "text", nameof(SourceSpec.Field));
        var label = spec.LabelFrom == LabelSource.Field && spec.LabelField is { } lf ? Find(fields, lf, file.Path, "label", nameof(SourceSpec.LabelField)) : null;
        long row = 0;
        for (var g = 0; g < reader.RowGroupCount; g++)
        {
            using var group = reader.OpenRowGroupReader(g);
            var n = checked((int)group.RowCount);
            var texts = new string?[n];
            await group.ReadAsync(text, texts.AsMemory(), null, ct).ConfigureAwait(false);
            string?[]? labels = null;
            if (label is not null)
            {
                labels = new string?[n];
                await group.ReadAsync(label, labels.AsMemory(), null, ct).ConfigureAwait(false);
            }
            counter?.Add(file.Bytes * n / Math.Max(1, reader.Metadata?.NumRows ?? n));
            for (var i = 0; i < n; i++)
            {
                row++;
                if (texts[i] is null) errors.Report(file.Path, row, $"column '{spec.Field}' is null in this row");
                else if (labels is not null && labels[i] is null) errors.Report(file.Path, row, $"label column '{spec.LabelField}' is null in this row");
                else yield return new RawDocument(texts[i]!, file.Path, row, labels?[i] ?? fileLabel);
            }
        }
    }

    private static DataField Find(DataField[] fields, string name, string path, string what, string option)
    {
        var f = fields.FirstOrDefault(f => f.Name == name || f.Path.ToString() == name);
        if (f is null)
            throw new OptionException(option, $"{path}: no {what} column named '{name}' (columns: {string.Join(", ", fields.Select(x => x.Name).Take(20))}). Name it with {option}.");
        // Parquet.Net exposes string columns as string or as ReadOnlyMemory<char>; anything else is not text
        if (f.ClrType != typeof(string) && f.ClrType != typeof(ReadOnlyMemory<char>))
            throw new TextSslException($"{path}: column '{name}' holds {f.ClrType.Name} values, not strings. Name a string column with {option}.");
        return f;
    }
}
