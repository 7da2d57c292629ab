using System.CommandLine;
using TextSSL.Cli;
using TextSSL.Prep.Commands;

namespace TextSSL.Prep;

/// <summary>The <c>textssl-prep</c> command tree, built in one place so tests run exactly what users run.</summary>
public static class PrepApp
{
    /// <summary>Builds the root command with every subcommand.</summary>
    public static RootCommand CreateRootCommand()
    {
        OptionFlags.Register("OutputDirectory", "--out");
        var root = new RootCommand("textssl-prep — turn raw text (txt, JSONL, CSV, Parquet, catalog corpora) into deduplicated, split, tokenized shards.");
        root.Subcommands.Add(BuildCommand.Create());
        root.Subcommands.Add(MergeCommand.Create());
        root.Subcommands.Add(LabelsCommand.Create());
        root.Subcommands.Add(FetchCommand.Create());
        root.Subcommands.Add(ListCommand.Create());
        root.Subcommands.Add(InspectCommand.Create());
        return root;
    }
}
