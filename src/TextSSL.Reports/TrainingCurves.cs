using System.Buffers.Binary;
using System.Text;
using ScottPlot;
using TextSSL.Training;

namespace TextSSL.Reports;

/// <summary>
/// Training curves drawn from <c>metrics.csv</c>: training loss (solid) and validation loss (thin, with markers)
/// against the optimizer step, one colour per run. Files are written atomically and carry a TextSSL mark (a PNG
/// <c>tEXt</c> chunk, an SVG comment) so a later write can tell a picture TextSSL drew from a user's file.
/// </summary>
public static class TrainingCurves
{
    /// <summary>The curves' file name inside a run directory, without extension (<c>curves.png</c>, <c>curves.svg</c>).</summary>
    public const string FileName = "curves";

    /// <summary>The metrics file a run writes.</summary>
    public const string MetricsFile = "metrics.csv";

    /// <summary>Picture width in pixels.</summary>
    public const int Width = 1000;

    /// <summary>Picture height in pixels.</summary>
    public const int Height = 560;

    private const string Mark = "TextSSL training curves";

    /// <summary>One run's rows, named for the legend.</summary>
    /// <param name="Name">The legend name (the run's folder name).</param>
    /// <param name="Rows">Its metrics rows.</param>
    public sealed record Run(string Name, IReadOnlyList<MetricsRow> Rows);

    /// <summary>Reads a run: a run directory holding <c>metrics.csv</c>, or the metrics file itself.</summary>
    /// <exception cref="TextSslException">No metrics file there, or it cannot be read.</exception>
    public static Run Read(string runOrMetricsFile)
    {
        var full = Path.GetFullPath(runOrMetricsFile);
        var file = Directory.Exists(full) ? Path.Combine(full, MetricsFile) : full;
        if (!File.Exists(file))
            throw new TextSslException($"'{runOrMetricsFile}' holds no {MetricsFile}; give a training run's output directory.");
        var name = Path.GetFileName(Path.GetDirectoryName(file)) is { Length: > 0 } n ? n : file;
        try { return new Run(name, MetricsLog.Read(file)); }
        catch (Exception ex) when (ex is not TextSslException and not OperationCanceledException)
        {
            throw new TextSslException($"cannot read '{file}': {ex.Message}", ex);
        }
    }

    /// <summary>Draws one run's curves beside its <c>metrics.csv</c>; returns the two paths written.</summary>
    public static IReadOnlyList<string> SaveForRun(string runDirectory)
    {
        var run = Read(runDirectory);
        var plot = Build([run]);
        var stem = Path.Combine(Path.GetFullPath(runDirectory), FileName);
        Save(plot, stem + ".png");
        Save(plot, stem + ".svg");
        return [stem + ".png", stem + ".svg"];
    }

    /// <summary>Builds the plot of one or more runs.</summary>
    public static Plot Build(IReadOnlyList<Run> runs)
    {
        var plot = new Plot();
        var palette = new ScottPlot.Palettes.Category10();
        for (var i = 0; i < runs.Count; i++)
        {
            var color = palette.GetColor(i);
            var train = runs[i].Rows.Where(r => r.Kind == "train" && r.Loss is { } l && double.IsFinite(l)).ToList();
            var eval = runs[i].Rows.Where(r => r.Kind == "eval" && r.ValidationLoss is { } l && double.IsFinite(l)).ToList();
            if (train.Count > 0)
            {
                var line = plot.Add.Scatter(train.Select(r => (double)r.Step).ToArray(), train.Select(r => r.Loss!.Value).ToArray());
                line.Color = color;
                line.LineWidth = 2;
                line.MarkerSize = train.Count == 1 ? 6 : 0;
                line.LegendText = $"{runs[i].Name}: train loss";
            }
            if (eval.Count > 0)
            {
                var line = plot.Add.Scatter(eval.Select(r => (double)r.Step).ToArray(), eval.Select(r => r.ValidationLoss!.Value).ToArray());
                line.Color = color;
                // thin and solid with markers: a dashed pattern makes the SVG writer print "Unsupported path effect" on stdout
                line.LineWidth = 1;
                line.MarkerSize = 7;
                line.LegendText = $"{runs[i].Name}: validation loss";
            }
        }
        plot.XLabel("optimizer step");
        plot.YLabel("loss (nats per token)");
        plot.Title(runs.Count == 1 ? $"Training curves of {runs[0].Name}" : $"Training curves of {runs.Count} runs");
        plot.ShowLegend(Edge.Right);
        return plot;
    }

    /// <summary>
    /// Saves <paramref name="plot"/> as PNG or SVG (by the extension of <paramref name="path"/>), atomically, marked as
    /// written by TextSSL.
    /// </summary>
    /// <exception cref="TextSslException">The extension is neither <c>.png</c> nor <c>.svg</c>.</exception>
    public static void Save(Plot plot, string path)
    {
        var full = Path.GetFullPath(path);
        var ext = Path.GetExtension(full).ToLowerInvariant();
        if (ext is not (".png" or ".svg")) throw new TextSslException($"'{path}' must end in .png or .svg.");
        var temp = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileNameWithoutExtension(full)}.tmp-{Guid.NewGuid():N}{ext}");
        try
        {
            if (ext == ".png")
            {
                plot.SavePng(temp, Width, Height);
                File.WriteAllBytes(temp, MarkPng(File.ReadAllBytes(temp)));
            }
            else
            {
                plot.SaveSvg(temp, Width, Height);
                var svg = File.ReadAllText(temp);
                var at = svg.IndexOf("<svg", StringComparison.Ordinal);
                File.WriteAllText(temp, svg.Insert(Math.Max(at, 0), $"<!-- {Mark} -->\n"), new UTF8Encoding(false));
            }
            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    /// <summary>Whether <paramref name="path"/> is a picture this class wrote (so replacing it loses nothing of the user's).</summary>
    public static bool WrittenByTextSsl(string path)
    {
        if (!File.Exists(path)) return false;
        var head = new byte[4096];
        int n;
        using (var s = File.OpenRead(path)) n = s.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        var text = Encoding.Latin1.GetString(head, 0, n);
        return text.Contains(Mark, StringComparison.Ordinal);
    }

    /// <summary>Inserts a <c>tEXt</c> chunk (Software = the mark) right after the PNG header chunk.</summary>
    private static byte[] MarkPng(byte[] png)
    {
        const int afterHeader = 8 + 25; // signature, then IHDR: length, type, 13 data bytes, CRC
        var data = Encoding.Latin1.GetBytes("Software\0" + Mark);
        var chunk = new byte[12 + data.Length];
        BinaryPrimitives.WriteInt32BigEndian(chunk, data.Length);
        Encoding.ASCII.GetBytes("tEXt").CopyTo(chunk, 4);
        data.CopyTo(chunk, 8);
        BinaryPrimitives.WriteUInt32BigEndian(chunk.AsSpan(8 + data.Length), Crc32(chunk.AsSpan(4, 4 + data.Length)));
        return [.. png.AsSpan(0, afterHeader), .. chunk, .. png.AsSpan(afterHeader)];
    }

    // The PNG chunk checksum (ISO 3309 CRC-32); a dozen lines are cheaper than a package for one chunk.
    private static uint Crc32(ReadOnlySpan<byte> bytes)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in bytes)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++) crc = (crc & 1) != 0 ? 0xEDB88320u ^ (crc >> 1) : crc >> 1;
        }
        return crc ^ 0xFFFFFFFFu;
    }
}
