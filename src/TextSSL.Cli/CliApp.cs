using System.CommandLine;
using TextSSL.Cli.Commands;

namespace TextSSL.Cli;

/// <summary>The <c>textssl</c> command tree, built in one place so tests run exactly what users run.</summary>
public static class CliApp
{
    /// <summary>Builds the root command with every subcommand.</summary>
    public static RootCommand CreateRootCommand()
    {
        OptionFlags.Register("OutputDirectory", "--out");
        var root = new RootCommand("textssl — self-supervised language modeling for .NET: train tokenizers, pretrain transformers (masked-LM, next-token), generate text, probe representations.");
        root.Subcommands.Add(DoctorCommand.Create());
        root.Subcommands.Add(TokenizerCommand.Create());
        root.Subcommands.Add(TrainCommand.Create());
        root.Subcommands.Add(EvalCommand.Create());
        root.Subcommands.Add(GenerateCommand.Create());
        root.Subcommands.Add(FillMaskCommand.Create());
        root.Subcommands.Add(ProbeCommand.Create());
        root.Subcommands.Add(EmbedCommand.Create());
        root.Subcommands.Add(BenchCommand.Create());
        root.Subcommands.Add(ExportCommand.Create());
        root.Subcommands.Add(ImportCommand.Create());
        root.Subcommands.Add(PlotCommand.Create());
        return root;
    }
}
