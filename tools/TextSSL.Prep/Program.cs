using System.CommandLine;
using TextSSL.Cli;
using TextSSL.Prep.Commands;

var root = new RootCommand("textssl-prep — turn raw text (txt, JSONL, CSV, Parquet, catalog corpora) into deduplicated, split, tokenized shards.");
root.Subcommands.Add(BuildCommand.Create());
root.Subcommands.Add(LabelsCommand.Create());
root.Subcommands.Add(FetchCommand.Create());
root.Subcommands.Add(ListCommand.Create());
root.Subcommands.Add(InspectCommand.Create());
return await CliHost.RunAsync(root, args);
