using System.IO.Enumeration;
using System.Runtime.CompilerServices;
using TextSSL.Corpora.Internal;

namespace TextSSL.Corpora;

/// <summary>
/// Lists the files of a corpus's sources and streams their documents in a fixed order
/// (sources in the order given, directory contents in ordinal path order), so every run sees the same sequence.
/// </summary>
internal static class CorpusReader
{
    /// <summary>Lists every file the sources name, with its resolved format.</summary>
    /// <exception cref="TextSslException">A source does not exist, or a directory holds no readable file.</exception>
    public static IReadOnlyList<SourceFile> ListFiles(IEnumerable<SourceSpec> sources)
    {
        var files = new List<SourceFile>();
        foreach (var spec in sources)
        {
            if (spec.IsStdin)
            {
                files.Add(new SourceFile("-", spec, spec.Format == SourceFormat.Auto ? SourceFormat.Text : spec.Format, 0));
                continue;
            }
            if (File.Exists(spec.Path))
            {
                files.Add(new SourceFile(spec.Path, spec, Resolve(spec, spec.Path) ?? SourceFormat.Text, new FileInfo(spec.Path).Length));
                continue;
            }
            if (!Directory.Exists(spec.Path))
                throw new TextSslException($"input '{spec.Path}' does not exist. Give an existing file, a directory, '-' for standard input, or a catalog corpus by name.");
            var found = 0;
            foreach (var path in Directory.EnumerateFiles(spec.Path, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.Hidden })
                         .Order(StringComparer.Ordinal))
            {
                var name = Path.GetFileName(path);
                if (name.StartsWith('.')) continue;
                if (spec.Include.Count > 0 && !spec.Include.Any(p => FileSystemName.MatchesSimpleExpression(p, name))) continue;
                if (spec.Exclude.Any(p => FileSystemName.MatchesSimpleExpression(p, name))) continue;
                // in a directory, auto mode reads only recognised extensions (no LICENSE or package.json)
                var format = Resolve(spec, path) ?? (spec.Include.Count > 0 ? SourceFormat.Text : (SourceFormat?)null);
                if (format is null) continue;
                files.Add(new SourceFile(path, spec, format.Value, new FileInfo(path).Length));
                found++;
            }
            if (found == 0)
                throw new OptionException([nameof(SourceSpec.Format), nameof(SourceSpec.Include)], $"directory '{spec.Path}' holds no file to read (auto mode reads .txt, .md, .jsonl, .ndjson, .csv, .tsv, .parquet, .eml, optionally .gz/.zst). " +
                                           "Set Format to read every file, or give Include patterns.");
        }
        return files;
    }

    /// <summary>Streams the documents of <paramref name="files"/> in order.</summary>
    /// <param name="files">The files, as <see cref="ListFiles"/> returned them.</param>
    /// <param name="errors">Receives unreadable records (throws or skips by its policy).</param>
    /// <param name="counter">Counts input bytes for progress; optional.</param>
    /// <param name="ct">Cancels reading.</param>
    public static async IAsyncEnumerable<RawDocument> ReadAsync(IReadOnlyList<SourceFile> files, CorpusErrors errors, ByteCounter? counter = null,
                                                              [EnumeratorCancellation] CancellationToken ct = default)
    {
        foreach (var file in files)
        {
            ct.ThrowIfCancellationRequested();
            var label = LabelOf(file);
            var docs = file.Format switch
            {
                SourceFormat.Text => TextSourceReader.ReadAsync(file, label, errors, counter, ct),
                SourceFormat.JsonLines => JsonLinesReader.ReadAsync(file, label, errors, counter, ct),
                SourceFormat.Csv or SourceFormat.Tsv => DelimitedReader.ReadAsync(file, label, errors, counter, ct),
                SourceFormat.Parquet => ParquetDocumentReader.ReadAsync(file, label, errors, counter, ct),
                SourceFormat.Email => EmailReader.ReadAsync(file, label, errors, counter, ct),
                _ => throw new ArgumentOutOfRangeException(nameof(files), file.Format, "unresolved format"),
            };
            var map = file.Spec.LabelMap;
            var max = file.Spec.MaxRecordChars;
            await foreach (var doc in docs.ConfigureAwait(false))
            {
                // text readers never build a longer document; records of the other formats are checked here
                if (doc.Text.Length > max)
                {
                    errors.Report(doc.Source, doc.Record, $"the record is longer than {max:N0} characters ({doc.Text.Length:N0})");
                    continue;
                }
                yield return map is not null && doc.Label is { } l && map.TryGetValue(l, out var mapped) ? doc with { Label = mapped } : doc;
            }
        }
    }

    /// <summary>Reads every document of <paramref name="sources"/> (listing their files first).</summary>
    public static IAsyncEnumerable<RawDocument> ReadAsync(IEnumerable<SourceSpec> sources, CorpusErrors errors, CancellationToken ct = default) =>
        ReadAsync(ListFiles(sources), errors, null, ct);

    private static string? LabelOf(SourceFile file) => file.Spec.LabelFrom switch
    {
        LabelSource.Folder => Path.GetFileName(Path.GetDirectoryName(Path.GetFullPath(file.Path))),
        LabelSource.File => Path.GetFileNameWithoutExtension(InputStreams.WithoutCompression(file.Path)),
        _ => null,
    };

    private static SourceFormat? Resolve(SourceSpec spec, string path)
    {
        if (spec.Format != SourceFormat.Auto) return spec.Format;
        return Path.GetExtension(InputStreams.WithoutCompression(path)).ToLowerInvariant() switch
        {
            ".txt" or ".md" or ".text" => SourceFormat.Text,
            ".jsonl" or ".ndjson" or ".json" => SourceFormat.JsonLines,
            ".csv" => SourceFormat.Csv,
            ".tsv" => SourceFormat.Tsv,
            ".parquet" => SourceFormat.Parquet,
            ".eml" => SourceFormat.Email,
            _ => null,
        };
    }
}
