using System.CommandLine;
using TextSSL.Benchmarks;

namespace TextSSL.Cli.Commands;

/// <summary>Options every <c>textssl bench</c> subcommand shares, and how results are printed and saved.</summary>
internal static class BenchOptions
{
    public static Option<int> Warmup(int defaultValue = 3) => new("--warmup")
    {
        Description = "Repetitions run first and discarded (JIT, allocator and cache warm-up).",
        DefaultValueFactory = _ => defaultValue,
    };

    public static Option<int> Repeats(int defaultValue = 10) => new("--repeats")
    {
        Description = "Measured repetitions; tables report their median (and mean).",
        DefaultValueFactory = _ => defaultValue,
    };

    public static Option<string> Out() => new("--out")
    {
        Description = "Directory for <name>.csv and <name>.md with the results.",
        DefaultValueFactory = _ => Path.Combine("runs", "bench"),
    };

    /// <summary>Prints <paramref name="table"/> as Markdown and saves it as CSV and Markdown under <paramref name="outDir"/>.</summary>
    public static void Report(BenchTable table, string outDir, string name)
    {
        Console.WriteLine();
        Console.Write(table.ToMarkdown());
        var (csv, md) = table.Save(outDir, name);
        Console.WriteLine();
        Console.WriteLine($"wrote {csv} and {md}");
    }
}
