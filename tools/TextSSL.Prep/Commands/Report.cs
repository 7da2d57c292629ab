using System.Globalization;
using Spectre.Console;
using TextSSL.Corpora;

namespace TextSSL.Prep.Commands;

/// <summary>Prints a build's manifest as tables: splits, filters, duplicates, skipped records.</summary>
internal static class Report
{
    public static void Print(BuildResult r, string? tokenizerDir)
    {
        var m = r.Manifest;
        var splits = new Table().Border(TableBorder.Rounded).AddColumn("split").AddColumn("documents", c => c.RightAligned())
            .AddColumn("tokens", c => c.RightAligned()).AddColumn("shards", c => c.RightAligned());
        foreach (var (name, s) in m.Splits) splits.AddRow(name, N(s.Documents), N(s.Tokens), N(s.Shards.Count));
        AnsiConsole.Write(splits);
        if (m.Cleaning is { } c)
            AnsiConsole.MarkupLine($"read {N(c.DocumentsRead)} documents; dropped {N(c.Empty)} empty, {N(c.TooShort)} too short, {N(c.TooLong)} too long");
        if (m.Dedup is { } d)
        {
            AnsiConsole.MarkupLine($"duplicates dropped: {N(d.ExactDuplicates)} exact, {N(d.NearDuplicates)} near (Jaccard ≥ {d.Threshold.ToString(CultureInfo.InvariantCulture)})");
            foreach (var e in d.Examples)
                AnsiConsole.MarkupLine($"  [grey]{e.Kind} {e.Similarity.ToString("0.000", CultureInfo.InvariantCulture)}: {Markup.Escape($"{e.Source}:{e.Record} ≈ {e.OriginalSource}:{e.OriginalRecord} \"{e.Snippet}\"")}[/]");
        }
        if (m.Errors is { } err && err.Skipped + err.Untokenizable > 0)
        {
            AnsiConsole.MarkupLine($"[yellow]skipped {N(err.Skipped)} unreadable and {N(err.Untokenizable)} untokenizable records[/]");
            foreach (var s in err.First.Concat(err.UntokenizableFirst)) AnsiConsole.MarkupLine($"  [grey]{Markup.Escape(s.ToString())}[/]");
        }
        var seconds = Math.Max(r.Elapsed.TotalSeconds, 1e-9);
        AnsiConsole.MarkupLine($"{N(r.BytesRead / 1e6, "0.0")} MB in {r.Elapsed.TotalSeconds:0.0} s ({N(r.BytesRead / 1e6 / seconds, "0.0")} MB/s){(r.Resumed ? ", resumed" : "")}");
        AnsiConsole.MarkupLine($"[green]wrote[/] {Markup.Escape(r.ManifestPath)} (tokenizer {Markup.Escape(m.TokenizerKind)} {Markup.Escape(m.TokenizerFingerprint)}, uint{m.TokenBytes * 8})");
        if (tokenizerDir is not null) AnsiConsole.MarkupLine($"[green]saved[/] the character tokenizer to {Markup.Escape(tokenizerDir)}");
    }

    public static void Print(PartResult r)
    {
        var seconds = Math.Max(r.Elapsed.TotalSeconds, 1e-9);
        AnsiConsole.MarkupLine($"part {r.Part}: read {N(r.DocumentsRead)} documents, wrote {N(r.DocumentsWritten)} after cleaning (duplicates are decided by the merge)");
        AnsiConsole.MarkupLine($"{N(r.BytesRead / 1e6, "0.0")} MB in {r.Elapsed.TotalSeconds:0.0} s ({N(r.BytesRead / 1e6 / seconds, "0.0")} MB/s){(r.Resumed ? ", resumed" : "")}");
        AnsiConsole.MarkupLine($"[green]wrote[/] part {r.Part} to {Markup.Escape(r.Directory)}; merge all parts with textssl-prep merge");
    }

    public static string N(double v, string format = "N0") => v.ToString(format, CultureInfo.InvariantCulture);
    public static string N(long v) => v.ToString("N0", CultureInfo.InvariantCulture);
}
