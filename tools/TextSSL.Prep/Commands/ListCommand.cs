using System.CommandLine;
using Spectre.Console;
using TextSSL.Corpora.Catalog;

namespace TextSSL.Prep.Commands;

/// <summary><c>textssl-prep list</c>: the catalog with sizes, licences and fetch status.</summary>
internal static class ListCommand
{
    public static Command Create()
    {
        var catalog = new Option<string?>("--catalog") { Description = "The catalog folder (default: corpora/ of the repository, or $TEXTSSL_CORPORA)." };
        var command = new Command("list", "List the catalog's corpora: source package, size, documents, labels, licence, and whether each is fetched.");
        command.Options.Add(catalog);
        command.SetAction((ParseResult pr) =>
        {
            var cat = CorpusCatalog.Open(pr.GetValue(catalog));
            var table = new Table().Border(TableBorder.Rounded).AddColumn("name").AddColumn("source").AddColumn("size", c => c.RightAligned())
                .AddColumn("documents", c => c.RightAligned()).AddColumn("labels").AddColumn("licence").AddColumn("status");
            foreach (var e in cat.Entries)
            {
                var source = string.Join(" + ", e.Source.Packages.Select(p => $"{e.Source.Manager} {p.Name} {p.Version}"));
                var status = e.IsFetched ? "[green]fetched[/]" : e.Shipped is not null ? "shipped" : "[yellow]not fetched[/]";
                table.AddRow(Markup.Escape(e.Name), Markup.Escape(source), $"{e.Expected.Bytes / 1e6:0.0} MB", $"{e.Expected.Documents:N0}",
                    Markup.Escape(e.Labels is null ? e.Read.LabelFrom == TextSSL.Corpora.LabelSource.None ? "-" : $"by {e.Read.LabelFrom}".ToLowerInvariant() : string.Join(", ", e.Labels)),
                    Markup.Escape(e.Licence.Split(" (")[0]), status);
            }
            AnsiConsole.Write(table);
            AnsiConsole.MarkupLine($"[grey]catalog: {Markup.Escape(cat.Root)}[/]");
            return 0;
        });
        return command;
    }
}
