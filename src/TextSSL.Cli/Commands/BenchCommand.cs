using System.CommandLine;

namespace TextSSL.Cli.Commands;

/// <summary><c>textssl bench</c>: benchmark commands that print measured figures (and write CSV/Markdown).</summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var bench = new Command("bench", "Benchmarks: each subcommand measures one stage (warm-up excluded, medians over repeats) and prints a table.");
        bench.Subcommands.Add(BenchTokenizerCommand.Create());
        bench.Subcommands.Add(BenchQualityCommand.Create());
        bench.Subcommands.Add(BenchTrainOverheadCommand.Create());
        bench.Subcommands.Add(BenchCpuCommand.Create());
        bench.Subcommands.Add(BenchTrainCommand.Create());
        bench.Subcommands.Add(BenchOptimizerCommand.Create());
        bench.Subcommands.Add(BenchGenerateCommand.Create());
        bench.Subcommands.Add(BenchPrepCommand.Create());
        bench.Subcommands.Add(BenchTfidfCommand.Create());
        bench.Subcommands.Add(BenchPackingCommand.Create());
        bench.Subcommands.Add(BenchScalingCommand.Create());
        return bench;
    }
}
