using System.CommandLine;
using TextSSL.Cli;
using TextSSL.Cli.Commands;

var root = new RootCommand("textssl — self-supervised language modeling for .NET: train tokenizers, pretrain transformers (masked-LM, next-token), generate text, probe representations.");
root.Subcommands.Add(DoctorCommand.Create());
root.Subcommands.Add(BenchCommand.Create());
root.Subcommands.Add(TokenizerCommand.Create());
root.Subcommands.Add(TrainCommand.Create());
root.Subcommands.Add(EvalCommand.Create());
root.Subcommands.Add(ProbeCommand.Create());
root.Subcommands.Add(GenerateCommand.Create());
root.Subcommands.Add(FillMaskCommand.Create());
return await CliHost.RunAsync(root, args);
