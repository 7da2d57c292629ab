using System.CommandLine;
using Spectre.Console;
using TextSSL.Corpora;

namespace TextSSL.Prep.Commands;

/// <summary><c>textssl-prep inspect DIR</c>: summarize (and optionally verify) a shard directory.</summary>
internal static class InspectCommand
{
    public static Command Create()
    {
        var dir = new Argument<string>("dir") { Description = "A shard directory written by 'textssl-prep build'." };
        var verify = new Option<bool>("--verify") { Description = "Recompute every shard's sha256 and compare with the manifest." };
        var command = new Command("inspect", "Show a prepared corpus: tokenizer, splits, shards, and what was dropped; --verify checks the shard hashes.");
        command.Arguments.Add(dir);
        command.Options.Add(verify);
        command.SetAction(int (ParseResult pr) =>
        {
            using var set = TokenShardSet.Open(pr.GetValue(dir)!);
            var m = set.Manifest;
            AnsiConsole.MarkupLine($"tokenizer {Markup.Escape(m.TokenizerKind)} {Markup.Escape(m.TokenizerFingerprint)}, vocabulary {m.VocabSize:N0}, end-of-text {m.EndOfTextId}, uint{m.TokenBytes * 8}");
            var table = new Table().Border(TableBorder.Rounded).AddColumn("split").AddColumn("documents", c => c.RightAligned()).AddColumn("tokens", c => c.RightAligned()).AddColumn("shards");
            foreach (var (name, s) in m.Splits) table.AddRow(name, $"{s.Documents:N0}", $"{s.Tokens:N0}", Markup.Escape(string.Join(" ", s.Shards.Select(x => x.File))));
            AnsiConsole.Write(table);
            if (pr.GetValue(verify))
            {
                set.Verify();
                AnsiConsole.MarkupLine("[green]all shard hashes match the manifest[/]");
            }
            return 0;
        });
        return command;
    }
}
