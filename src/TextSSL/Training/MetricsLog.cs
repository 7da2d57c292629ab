using System.Globalization;
using CsvHelper;

namespace TextSSL.Training;

/// <summary>One row of <c>metrics.csv</c>: a training interval (<c>train</c>) or an evaluation (<c>eval</c>).</summary>
public sealed record MetricsRow
{
    /// <summary>Optimizer steps completed.</summary>
    public long Step { get; init; }
    /// <summary><c>train</c> or <c>eval</c>.</summary>
    public string Kind { get; init; } = "train";
    /// <summary>Mean training loss over the interval.</summary>
    public double? Loss { get; init; }
    /// <summary>Learning rate of the last step.</summary>
    public double? LearningRate { get; init; }
    /// <summary>Gradient norm of the last step, before clipping.</summary>
    public double? GradNorm { get; init; }
    /// <summary>Training throughput over the interval.</summary>
    public double? TokensPerSecond { get; init; }
    /// <summary>Milliseconds per optimizer step over the interval.</summary>
    public double? MillisecondsPerStep { get; init; }
    /// <summary>Model FLOPs utilisation against the stated peak.</summary>
    public double? Mfu { get; init; }
    /// <summary>Validation loss.</summary>
    public double? ValidationLoss { get; init; }
    /// <summary>Validation perplexity.</summary>
    public double? ValidationPerplexity { get; init; }
    /// <summary>Masked-token accuracy (masked-LM).</summary>
    public double? ValidationAccuracy { get; init; }
    /// <summary>Seconds since the run (or its resumption) started.</summary>
    public double ElapsedSeconds { get; init; }
}

/// <summary>Appends <see cref="MetricsRow"/>s to a CSV file (CsvHelper), flushed per row so a crash loses nothing written.</summary>
internal sealed class MetricsLog : IDisposable
{
    /// <summary>The column names, in order.</summary>
    public static readonly string[] Columns =
        ["step", "kind", "loss", "lr", "grad_norm", "tokens_per_s", "ms_per_step", "mfu", "val_loss", "val_ppl", "val_acc", "elapsed_s"];

    private readonly StreamWriter? _writer;
    private readonly CsvWriter? _csv;

    private MetricsLog(string path) => Path = path;

    /// <summary>A log that names <paramref name="path"/> but writes nothing (a data-parallel rank other than 0: rank 0 writes the file).</summary>
    public static MetricsLog Discard(string path) => new(path);

    /// <summary>
    /// Starts <paramref name="path"/> afresh, or on resume keeps its rows up to <paramref name="keepThroughStep"/>
    /// (rows written after the checkpoint are dropped, atomically) and appends after them.
    /// </summary>
    public MetricsLog(string path, long? keepThroughStep)
    {
        Path = path;
        var rows = new List<MetricsRow>();
        if (keepThroughStep is { } keep && File.Exists(path))
            rows.AddRange(Read(path).Where(r => r.Step <= keep));
        AtomicFile.Write(path, stream =>
        {
            using var w = new StreamWriter(stream, leaveOpen: true);
            using var csv = CsvWriter.Create(w, CsvWriterOptions.Default, true);
            csv.WriteHeader(Columns);
            foreach (var r in rows) WriteRow(csv, r);
        });
        _writer = new StreamWriter(path, append: true);
        _csv = CsvWriter.Create(_writer, CsvWriterOptions.Default, true);
    }

    /// <summary>The file written.</summary>
    public string Path { get; }

    /// <summary>Appends a row.</summary>
    public void Write(MetricsRow row)
    {
        if (_csv is null || _writer is null) return;
        WriteRow(_csv, row);
        _csv.Flush();
        _writer.Flush();
    }

    private static void WriteRow(CsvWriter csv, MetricsRow r)
    {
        csv.WriteField(r.Step.ToString(CultureInfo.InvariantCulture));
        csv.WriteField(r.Kind);
        foreach (var v in new[] { r.Loss, r.LearningRate, r.GradNorm, r.TokensPerSecond, r.MillisecondsPerStep, r.Mfu, r.ValidationLoss, r.ValidationPerplexity, r.ValidationAccuracy, r.ElapsedSeconds })
            csv.WriteField(v is { } d ? d.ToString("R", CultureInfo.InvariantCulture) : "");
        csv.EndRecord();
    }

    /// <summary>Reads every row of a metrics file.</summary>
    public static List<MetricsRow> Read(string path)
    {
        using var reader = new StreamReader(path);
        using var csv = CsvReader.Create(reader, CsvReaderOptions.Default, false);
        var rows = new List<MetricsRow>();
        while (csv.Read())
        {
            double? D(string name) => csv.GetString(name) is { Length: > 0 } s ? double.Parse(s, CultureInfo.InvariantCulture) : null;
            rows.Add(new MetricsRow
            {
                Step = long.Parse(csv.GetString("step"), CultureInfo.InvariantCulture),
                Kind = csv.GetString("kind"),
                Loss = D("loss"), LearningRate = D("lr"), GradNorm = D("grad_norm"), TokensPerSecond = D("tokens_per_s"),
                MillisecondsPerStep = D("ms_per_step"), Mfu = D("mfu"), ValidationLoss = D("val_loss"),
                ValidationPerplexity = D("val_ppl"), ValidationAccuracy = D("val_acc"), ElapsedSeconds = D("elapsed_s") ?? 0,
            });
        }
        return rows;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _csv?.Dispose();
        _writer?.Dispose();
    }
}
