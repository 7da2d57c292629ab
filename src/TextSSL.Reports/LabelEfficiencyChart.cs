using ScottPlot;
using TextSSL.Probing;

namespace TextSSL.Reports;

/// <summary>The label-efficiency chart: accuracy against labels per class, one line per method, error bars of one standard deviation.</summary>
public static class LabelEfficiencyChart
{
    /// <summary>Chart width in pixels.</summary>
    public const int Width = 1000;

    /// <summary>Chart height in pixels.</summary>
    public const int Height = 560;

    /// <summary>Saves <c>{pathWithoutExtension}.png</c> and <c>.svg</c>; returns both paths.</summary>
    public static IReadOnlyList<string> Save(ProbeResult result, string pathWithoutExtension)
    {
        var plot = Build(result);
        var png = pathWithoutExtension + ".png";
        var svg = pathWithoutExtension + ".svg";
        SaveAtomically(png, temp => plot.SavePng(temp, Width, Height));
        SaveAtomically(svg, temp => plot.SaveSvg(temp, Width, Height));
        return [png, svg];
    }

    /// <summary>Builds the plot (for callers that render it elsewhere).</summary>
    public static Plot Build(ProbeResult result)
    {
        var plot = new Plot();
        var ks = result.Options.SamplesPerLabel;
        var positions = Enumerable.Range(0, ks.Count).Select(i => (double)i).ToArray();
        var methods = result.Methods;
        var palette = new ScottPlot.Palettes.Category10();
        for (var m = 0; m < methods.Count; m++)
        {
            var points = ks.Select((k, i) => (i, s: result.Summary(methods[m], k))).Where(p => p.s is not null).ToList();
            if (points.Count == 0) continue;
            // A small horizontal offset per method keeps overlapping error bars readable.
            var offset = (m - (methods.Count - 1) / 2.0) * 0.04;
            var xs = points.Select(p => p.i + offset).ToArray();
            var ys = points.Select(p => 100 * p.s!.AccuracyMean).ToArray();
            var errs = points.Select(p => 100 * p.s!.AccuracyStd).ToArray();
            var color = palette.GetColor(m);
            var bars = plot.Add.ErrorBar(xs, ys, errs);
            bars.Color = color;
            var line = plot.Add.Scatter(xs, ys);
            line.Color = color;
            line.LineWidth = methods[m] == ProbeMethod.Pretrained ? 3 : 2;
            line.MarkerSize = 8;
            line.LegendText = methods[m].Title();
        }
        var counts = result.Dataset.TestCounts();
        var majority = 100.0 * counts.Max() / counts.Sum();
        var chance = plot.Add.HorizontalLine(majority);
        chance.Color = Colors.Gray;
        chance.LinePattern = LinePattern.Dashed;
        chance.LineWidth = 1;
        chance.LegendText = "most common class";
        var labels = ks.Select(k => k is { } v ? v.ToString(System.Globalization.CultureInfo.InvariantCulture) : $"all ({result.Dataset.Train.Count:N0})").ToArray();
        plot.Axes.Bottom.SetTicks(positions, labels);
        plot.Axes.SetLimitsX(-0.4, ks.Count - 0.6);
        plot.XLabel("labelled training examples per class");
        plot.YLabel("test accuracy (%)");
        plot.Title($"Label efficiency on {result.Dataset.Source}: {result.Dataset.Classes.Count} classes, {result.Dataset.Test.Count:N0} test texts");
        // Outside the data area, so no line or error bar is ever hidden behind it.
        plot.ShowLegend(Edge.Right);
        return plot;
    }

    private static void SaveAtomically(string path, Action<string> save)
    {
        var full = Path.GetFullPath(path);
        var temp = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileNameWithoutExtension(full)}.tmp-{Guid.NewGuid():N}{Path.GetExtension(full)}");
        try
        {
            save(temp);
            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }
}
