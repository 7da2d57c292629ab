using System.CommandLine;
using TextSSL.Cli;

var root = new RootCommand("textssl-prep — turn raw text (txt, JSONL, CSV, Parquet, catalog corpora) into deduplicated, split, tokenized shards.");
return await CliHost.RunAsync(root, args);
