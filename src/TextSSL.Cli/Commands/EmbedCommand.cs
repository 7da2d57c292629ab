using System.Buffers.Binary;
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using CsvHelper;
using TextSSL.Modeling;
using TextSSL.Probing;
using TextSSL.Runtime;

namespace TextSSL.Cli.Commands;

/// <summary>Where <c>textssl embed</c> reads its texts from.</summary>
internal enum EmbedInputFormat { Auto, Lines, Csv, Tsv, Jsonl }

/// <summary>What <c>textssl embed</c> writes.</summary>
internal enum EmbedOutputFormat { Csv, Jsonl, Npy }

/// <summary>
/// <c>textssl embed</c>: one vector per text (pooled hidden states of a checkpoint, as the probes read them), streamed
/// from text lines, a CSV/TSV/JSONL column or stdin to CSV, JSON Lines or NumPy <c>.npy</c>, in input order.
/// </summary>
internal static class EmbedCommand
{
    /// <summary>The option name a wrong or misplaced text column is reported under (shown as <c>--text-column</c>).</summary>
    internal const string TextColumnOption = "TextColumn";

    public static Command Create()
    {
        var input = new Argument<string>("input") { Description = "Texts to embed: a text file (one text per line), a .csv/.tsv/.jsonl file (see --text-column), or '-' for stdin (one text per line)." };
        var model = new Option<string>("--model", "-m") { Description = "Checkpoint directory, or a training run's output directory (best/, else last/).", Required = true };
        var output = new Option<string>("--out", "-o") { Description = "Output file; written atomically (a temporary sibling renamed into place). Format from the extension (.csv, .jsonl, .npy) unless --format is given.", Required = true };
        var format = new Option<EmbedOutputFormat?>("--format") { Description = "Output format: csv (one row of floats per text, no header), jsonl ({\"index\": i, \"embedding\": [...]} per line) or npy (float32 array of shape (N, dim) for numpy.load)." };
        var inputFormat = new Option<EmbedInputFormat>("--input-format") { Description = "How to read the input: auto (by extension: .csv, .tsv, .jsonl are tables, anything else and stdin are lines), lines, csv, tsv, jsonl.", DefaultValueFactory = _ => EmbedInputFormat.Auto };
        var textColumn = new Option<string?>("--text-column") { Description = "Column (CSV/TSV header name) or field (JSONL) holding the text; default 'text'." };
        var pooling = new Option<string>("--pooling") { Description = "How token states become one vector: mean (over real tokens), first (the [CLS] position of encoders), last (the last real token; natural for decoders), max.", DefaultValueFactory = _ => "mean" };
        var layer = new Option<string>("--layer") { Description = "Hidden state to read: last, an index (0 = embeddings, -2 = the block before the last), or mean:K (average of the last K).", DefaultValueFactory = _ => "last" };
        var normalize = new Option<bool>("--normalize") { Description = "Scale every vector to unit L2 norm (dot product = cosine similarity). A text with no tokens keeps a zero vector." };
        var batchSize = new Option<int>("--batch-size") { Description = "Texts read at a time, and windows per forward pass.", DefaultValueFactory = _ => 32 };
        var maxTokens = new Option<int?>("--max-tokens") { Description = "Tokens per window (framing included); default and cap: the model's block size." };
        var maxWindows = new Option<int>("--max-windows") { Description = "Windows of --max-tokens read per text: a longer text is split into consecutive, non-overlapping windows, each run through the model, and their vectors pooled into one (mean: weighted by tokens, i.e. the mean over every token read; max: element-wise; first/last: the first/last window's). Tokens past the last window are left out; 1 reads only the text's start.", DefaultValueFactory = _ => FeatureOptions.DefaultMaxWindows };
        var device = CommonOptions.Device();
        var threads = CommonOptions.Threads();
        var command = new Command("embed", "Write one embedding per text: the pooled hidden states of a checkpoint (the representation the probes read), " +
                                           "in input order, as CSV, JSON Lines or NumPy .npy. The input is streamed, so large files never sit in memory whole.");
        command.Arguments.Add(input);
        foreach (var o in new Option[] { model, output, format, inputFormat, textColumn, pooling, layer, normalize, batchSize, maxTokens, maxWindows, device, threads })
            command.Options.Add(o);
        command.SetAction((pr, ct) =>
        {
            CommonOptions.ApplyThreads(pr.GetValue(threads));
            var options = new FeatureOptions(ParsePooling(pr.GetValue(pooling)!), LayerSelection.Parse(pr.GetValue(layer)), pr.GetValue(batchSize),
                pr.GetValue(maxTokens), pr.GetValue(normalize), pr.GetValue(maxWindows)).Validate();
            var request = new EmbedRequest(pr.GetValue(model)!, pr.GetValue(input)!, pr.GetValue(output)!, pr.GetValue(format), pr.GetValue(inputFormat),
                pr.GetValue(textColumn), options, pr.GetValue(device)!);
            return Task.FromResult(Run(request, Console.In, pr.InvocationConfiguration.Output, Console.Error, ct));
        });
        return command;
    }

    /// <summary>Everything one run needs.</summary>
    internal sealed record EmbedRequest(string Model, string Input, string Output, EmbedOutputFormat? Format, EmbedInputFormat InputFormat,
        string? TextColumn, FeatureOptions Features, string Device);

    /// <summary>Runs one embedding job; <paramref name="stdin"/> is read when the input is '-'.</summary>
    internal static int Run(EmbedRequest request, TextReader stdin, TextWriter output, TextWriter progressOut, CancellationToken ct)
    {
        var outFormat = request.Format ?? FormatFromExtension(request.Output);
        var outPath = Path.GetFullPath(request.Output);
        if (Directory.Exists(outPath)) throw new TextSslException($"--out '{request.Output}' is a directory; name the file to write, e.g. {Path.Combine(request.Output, "embeddings.npy")}.");
        var fromStdin = request.Input == "-";
        if (!fromStdin)
        {
            if (!File.Exists(request.Input)) throw new TextSslException($"input file '{request.Input}' does not exist.");
            if (string.Equals(Path.GetFullPath(request.Input), outPath, OperatingSystem.IsWindows() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal))
                throw new TextSslException($"--out '{request.Output}' is the input file; choose another output path (the input is never overwritten).");
        }
        var inFormat = ResolveInputFormat(request.InputFormat, request.Input);
        if (inFormat == EmbedInputFormat.Lines && request.TextColumn is not null)
            throw new OptionException([TextColumnOption, "InputFormat"], $"TextColumn '{request.TextColumn}' needs a CSV, TSV or JSONL input, but '{request.Input}' is read as text lines; set InputFormat to csv, tsv or jsonl.");

        var dev = DeviceSelector.Resolve(request.Device);
        using var loaded = PretrainedModel.Load(request.Model, dev);
        var dim = loaded.Config.Dim;
        var progress = new StderrProgress(progressOut);
        long count = 0;
        var coverage = new TextCoverage();
        AtomicFile.Write(outPath, stream =>
        {
            using var source = fromStdin ? null : File.OpenRead(request.Input);
            var texts = ReadTexts(inFormat, request.TextColumn ?? "text", fromStdin ? "stdin" : request.Input, source, stdin, ct);
            using var writer = EmbeddingWriter.Create(outFormat, stream, dim);
            foreach (var vector in loaded.Embed(texts, request.Features, progress, ct, coverage))
            {
                for (var j = 0; j < vector.Length; j++)
                    if (!float.IsFinite(vector[j]))
                        throw new TextSslException($"the model produced a non-finite value for text {count + 1} of '{request.Input}'; its weights are broken (check the training run's loss). Nothing was written.");
                writer.Write(vector);
                count++;
            }
            writer.Finish();
        });
        progress.Done(count);
        output.WriteLine($"embedded {count:N0} texts → {request.Output} ({outFormat.ToString().ToLowerInvariant()}, {count:N0} × {dim} float32, {request.Features.Describe()}); {coverage.Describe()}");
        return 0;
    }

    internal static EmbedOutputFormat FormatFromExtension(string path) => Path.GetExtension(path).ToLowerInvariant() switch
    {
        ".csv" => EmbedOutputFormat.Csv,
        ".jsonl" or ".ndjson" or ".json" => EmbedOutputFormat.Jsonl,
        ".npy" => EmbedOutputFormat.Npy,
        var ext => throw new TextSslException($"--out '{path}': cannot tell the format from the extension '{ext}'; use .csv, .jsonl or .npy, or pass --format csv|jsonl|npy."),
    };

    private static EmbedInputFormat ResolveInputFormat(EmbedInputFormat format, string input) => format != EmbedInputFormat.Auto ? format
        : input == "-" ? EmbedInputFormat.Lines
        : Path.GetExtension(input).ToLowerInvariant() switch
        {
            ".csv" => EmbedInputFormat.Csv,
            ".tsv" or ".tab" => EmbedInputFormat.Tsv,
            ".jsonl" or ".ndjson" => EmbedInputFormat.Jsonl,
            _ => EmbedInputFormat.Lines,
        };

    private static Pooling ParsePooling(string s) => s.Trim().ToLowerInvariant() switch
    {
        "mean" => Pooling.Mean,
        "first" or "cls" => Pooling.First,
        "last" => Pooling.Last,
        "max" => Pooling.Max,
        _ => throw new TextSslException($"--pooling '{s}': choose mean, first (cls), last or max."),
    };

    /// <summary>The texts of the input, read lazily; a missing column is reported before the first text is returned.</summary>
    private static IEnumerable<string> ReadTexts(EmbedInputFormat format, string column, string name, Stream? file, TextReader stdin, CancellationToken ct)
    {
        switch (format)
        {
            case EmbedInputFormat.Lines:
            {
                using var reader = file is null ? null : new StreamReader(file, new UTF8Encoding(false), detectEncodingFromByteOrderMarks: true, leaveOpen: true);
                var lines = reader ?? stdin;
                while (lines.ReadLine() is { } line) yield return line;
                yield break;
            }
            case EmbedInputFormat.Csv or EmbedInputFormat.Tsv:
            {
                var tsv = format == EmbedInputFormat.Tsv;
                var options = CsvReaderOptions.Default with { Separator = tsv ? '\t' : ',', HasHeader = true, Mode = tsv ? CsvMode.NoEscape : CsvMode.Rfc4180 };
                using var csv = file is null ? CsvReader.Create(stdin, options, leaveOpen: true) : CsvReader.Create(file, options, leaveOpen: true);
                csv.ReadHeader();
                var header = csv.Headers.ToArray();
                var index = ColumnIndex(header, column, name);
                while (true)
                {
                    ct.ThrowIfCancellationRequested();
                    bool more;
                    string text;
                    try
                    {
                        more = csv.Read();
                        text = more && index < csv.FieldCount ? csv.GetString(index) : "";
                    }
                    catch (CsvFormatException ex)
                    {
                        throw new TextSslException($"'{name}' is not valid {(tsv ? "TSV" : "CSV")}: {ex.Message.Split('\n')[0]}", ex);
                    }
                    if (!more) yield break;
                    yield return text;
                }
            }
            case EmbedInputFormat.Jsonl:
            {
                using var reader = file is null ? null : new StreamReader(file, new UTF8Encoding(false), detectEncodingFromByteOrderMarks: true, leaveOpen: true);
                var lines = reader ?? stdin;
                var lineNumber = 0;
                var checkedColumn = false;
                while (lines.ReadLine() is { } line)
                {
                    lineNumber++;
                    if (string.IsNullOrWhiteSpace(line)) continue;
                    var text = JsonField(line, column, name, lineNumber, checkedColumn);
                    checkedColumn = true;
                    yield return text;
                }
                yield break;
            }
            default:
                throw new ArgumentOutOfRangeException(nameof(format), format, null);
        }
    }

    private static string JsonField(string line, string column, string name, int lineNumber, bool checkedColumn)
    {
        JsonDocument doc;
        try { doc = JsonDocument.Parse(line); }
        catch (JsonException ex) { throw new TextSslException($"'{name}' line {lineNumber} is not valid JSON: {ex.Message}", ex); }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw new TextSslException($"'{name}' line {lineNumber}: expected one JSON object per line.");
            var names = doc.RootElement.EnumerateObject().Select(p => p.Name).ToArray();
            var index = checkedColumn ? FindColumn(names, column) : ColumnIndex(names, column, name);
            if (index < 0) throw new TextSslException($"'{name}' line {lineNumber} has no '{column}' field; every line needs one.");
            var value = doc.RootElement.EnumerateObject().ElementAt(index).Value;
            return value.ValueKind switch
            {
                JsonValueKind.String => value.GetString()!,
                JsonValueKind.Null => "",
                _ => value.GetRawText(),
            };
        }
    }

    private static int FindColumn(string[] header, string name)
    {
        var exact = Array.IndexOf(header, name);
        return exact >= 0 ? exact : Array.FindIndex(header, h => string.Equals(h.Trim(), name, StringComparison.OrdinalIgnoreCase));
    }

    private static int ColumnIndex(string[] header, string column, string name)
    {
        var index = FindColumn(header, column);
        if (index < 0)
            throw new OptionException(TextColumnOption, header.Length == 0
                ? $"'{name}' is empty: expected a header naming the column '{column}'."
                : $"'{name}' has no column '{column}' (it has: {string.Join(", ", header.Select(h => $"'{h}'"))}). Name the right one with {TextColumnOption}.");
        return index;
    }

    /// <summary>Prints "embed: N texts" on stderr at most every two seconds, and only once a run has lasted two seconds.</summary>
    private sealed class StderrProgress(TextWriter error) : IProgress<long>
    {
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private long _lastMs;
        private bool _printed;

        public void Report(long value)
        {
            var ms = _clock.ElapsedMilliseconds;
            if (ms - _lastMs < 2000) return;
            _lastMs = ms;
            _printed = true;
            error.WriteLine($"embed: {value:N0} texts ({value / Math.Max(ms / 1000.0, 1e-3):N0}/s)");
        }

        public void Done(long count)
        {
            if (_printed) error.WriteLine($"embed: {count:N0} texts in {_clock.Elapsed.TotalSeconds:F1} s");
        }
    }
}

/// <summary>Writes embedding rows to a stream in one of the output formats.</summary>
internal abstract class EmbeddingWriter : IDisposable
{
    public static EmbeddingWriter Create(EmbedOutputFormat format, Stream stream, int dim) => format switch
    {
        EmbedOutputFormat.Csv => new TextRows(stream, jsonl: false),
        EmbedOutputFormat.Jsonl => new TextRows(stream, jsonl: true),
        EmbedOutputFormat.Npy => new NpyWriter(stream, dim),
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, null),
    };

    public abstract void Write(float[] vector);

    /// <summary>Completes the file (the .npy header gets its row count).</summary>
    public abstract void Finish();

    public virtual void Dispose() { }

    private sealed class TextRows(Stream stream, bool jsonl) : EmbeddingWriter
    {
        private readonly StreamWriter _out = new(stream, new UTF8Encoding(false), 1 << 16, leaveOpen: true) { NewLine = "\n" };
        private readonly StringBuilder _line = new();
        private long _index;

        public override void Write(float[] vector)
        {
            _line.Clear();
            if (jsonl) _line.Append("{\"index\":").Append(_index.ToString(CultureInfo.InvariantCulture)).Append(",\"embedding\":[");
            for (var j = 0; j < vector.Length; j++)
            {
                if (j > 0) _line.Append(',');
                _line.Append(vector[j].ToString("R", CultureInfo.InvariantCulture)); // shortest round-trip spelling
            }
            if (jsonl) _line.Append("]}");
            _out.WriteLine(_line);
            _index++;
        }

        public override void Finish() => _out.Flush();

        public override void Dispose() => _out.Dispose();
    }
}

/// <summary>
/// NumPy <c>.npy</c> format version 1.0: a 2-D little-endian float32 array in C order. Hand-written because the format
/// is ten lines (magic <c>\x93NUMPY</c>, version 1.0, a little-endian uint16 header length, a Python-literal dict
/// padded with spaces and ended by a newline so the data starts on a 64-byte boundary, then the raw data) and no
/// maintained .NET package writes it. The header is written first with room for any row count and rewritten with
/// the real count at the end, so rows stream straight to disk (the stream must be seekable).
/// </summary>
internal sealed class NpyWriter(Stream stream, int dim) : EmbeddingWriter
{
    /// <summary>Total header size (magic, version, length and dict): a multiple of 64 with room for two 20-digit dimensions.</summary>
    internal const int HeaderBytes = 128;

    private readonly long _start = WriteHeader(stream, 0, dim);
    private readonly byte[] _row = new byte[dim * sizeof(float)];
    private long _rows;

    public override void Write(float[] vector)
    {
        if (vector.Length != dim) throw new InvalidOperationException($"row of {vector.Length} values in a file of width {dim}.");
        for (var j = 0; j < dim; j++) BinaryPrimitives.WriteSingleLittleEndian(_row.AsSpan(j * sizeof(float)), vector[j]);
        stream.Write(_row);
        _rows++;
    }

    public override void Finish()
    {
        var end = stream.Position;
        stream.Position = _start;
        WriteHeader(stream, _rows, dim);
        stream.Position = end;
        stream.Flush();
    }

    /// <summary>The header for an (<paramref name="rows"/>, <paramref name="cols"/>) float32 array, exactly <see cref="HeaderBytes"/> long.</summary>
    internal static byte[] Header(long rows, int cols)
    {
        var dict = $"{{'descr': '<f4', 'fortran_order': False, 'shape': ({rows.ToString(CultureInfo.InvariantCulture)}, {cols.ToString(CultureInfo.InvariantCulture)}), }}";
        const int prefix = 10; // magic (6) + version (2) + header length (2)
        var body = dict.PadRight(HeaderBytes - prefix - 1) + "\n";
        var bytes = new byte[HeaderBytes];
        bytes[0] = 0x93;
        "NUMPY"u8.CopyTo(bytes.AsSpan(1));
        bytes[6] = 1;
        bytes[7] = 0;
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(8), (ushort)body.Length);
        Encoding.ASCII.GetBytes(body, bytes.AsSpan(prefix));
        return bytes;
    }

    private static long WriteHeader(Stream stream, long rows, int cols)
    {
        var start = stream.Position;
        stream.Write(Header(rows, cols));
        return start;
    }
}
