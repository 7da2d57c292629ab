using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Spectre.Console;
using TextSSL.Benchmarks;
using TextSSL.Corpora;
using TextSSL.Corpora.Catalog;
using TextSSL.Tokenization;

namespace TextSSL.Cli.Commands;

/// <summary>
/// <c>textssl bench prep</c>: corpus preparation end to end (read, clean, dedup, tokenize, write) in MB/s on a catalog
/// corpus, and peak resident memory on synthetic corpora of growing size, each measured in a fresh child process.
/// </summary>
internal static class BenchPrepCommand
{
    private sealed record ChildResult(long Bytes, double Seconds, double CpuSeconds, long PeakBytes, long Documents, long Tokens);

    public static Command Create()
    {
        var corpus = new Option<string>("--corpus") { Description = "Catalog corpus for the throughput run (fetch it first).", DefaultValueFactory = _ => "sotu" };
        var catalog = new Option<string?>("--catalog") { Description = "The catalog folder (default: corpora/ of the repository)." };
        var tokenizer = new Option<string>("--tokenizer")
        {
            Description = "A saved tokenizer directory (e.g. a trained BPE) for every run, or 'char': a character tokenizer built from the corpus " +
                          "(not timed) and, for the memory runs, from the synthetic corpora's alphabet.",
            DefaultValueFactory = _ => "char",
        };
        var repeats = new Option<int>("--repeats") { Description = "Timed runs after one warm-up; the median is reported.", DefaultValueFactory = _ => 3 };
        var sizes = new Option<string>("--sizes-mb") { Description = "Synthetic corpus sizes for the memory runs, comma-separated MB ('' skips them).", DefaultValueFactory = _ => "100,1000" };
        var work = new Option<string?>("--work") { Description = "Folder for synthetic corpora and outputs (default: a temporary folder; corpora are reused when present)." };
        var dedup = new Option<string>("--dedup") { Description = "Deduplication during the runs: all, exact or none.", DefaultValueFactory = _ => "all" };
        dedup.AcceptOnlyFromAmong("all", "exact", "none");
        var threads = new Option<int?>("--threads") { Description = "Worker threads for cleaning, hashing and tokenizing (default: all cores)." };
        var childInput = new Option<string?>("--child-input") { Hidden = true };
        var childTokenizer = new Option<string?>("--child-tokenizer") { Hidden = true };

        var command = new Command("prep",
            "Corpus preparation benchmark: MB/s end to end (read, clean, dedup, tokenize, write shards) on a catalog corpus (default sotu), " +
            "and peak resident memory (VmHWM) on synthetic corpora of the given sizes, each in a fresh process so peaks do not mix.");
        foreach (var o in new Option[] { corpus, catalog, tokenizer, repeats, sizes, work, dedup, threads, childInput, childTokenizer }) command.Options.Add(o);
        command.SetAction(async (ParseResult pr, CancellationToken ct) =>
        {
            var nThreads = pr.GetValue(threads) ?? Environment.ProcessorCount;
            var dedupOptions = pr.GetValue(dedup) switch
            {
                "none" => new DedupOptions { Exact = false, Near = false },
                "exact" => new DedupOptions { Near = false },
                _ => new DedupOptions(),
            };
            if (pr.GetValue(childInput) is { } input)
            {
                var r = await RunOnce([new SourceSpec(input) { Boundary = DocumentBoundary.Paragraph }], TokenizerStore.Open(pr.GetValue(childTokenizer)!), dedupOptions, nThreads, ct);
                Console.WriteLine(JsonSerializer.Serialize(r));
                return 0;
            }
            var workDir = pr.GetValue(work) ?? Path.Combine(Path.GetTempPath(), "textssl-bench-prep");
            Directory.CreateDirectory(workDir);
            AnsiConsole.MarkupLine($"[grey]{Environment.ProcessorCount} cores, {nThreads} worker threads, dedup {pr.GetValue(dedup)}[/]");
            await Throughput(pr.GetValue(corpus)!, pr.GetValue(catalog), pr.GetValue(tokenizer)!, Math.Max(1, pr.GetValue(repeats)), dedupOptions, nThreads, ct);
            var sizeList = (pr.GetValue(sizes) ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(s => long.Parse(s, CultureInfo.InvariantCulture)).ToList();
            if (sizeList.Count > 0) await Memory(sizeList, workDir, pr.GetValue(tokenizer)!, pr.GetValue(dedup)!, nThreads, ct);
            return 0;
        });
        return command;
    }

    private static async Task Throughput(string corpus, string? catalog, string tokenizerName, int repeats, DedupOptions dedup, int threads, CancellationToken ct)
    {
        var sources = CorpusCatalog.Open(catalog).Get(corpus).Sources();
        TextTokenizer tok;
        if (tokenizerName == "char" && !Directory.Exists(tokenizerName))
        {
            var clock = Stopwatch.StartNew();
            tok = await CharVocabulary.TrainAsync(sources, new CleaningOptions(), ErrorPolicy.Fail, ct);
            AnsiConsole.MarkupLine($"[grey]character tokenizer built from {corpus} in {clock.Elapsed.TotalSeconds:0.0} s (not timed): {tok.VocabSize} ids[/]");
        }
        else tok = TokenizerStore.Open(tokenizerName);
        var runs = new List<ChildResult>();
        for (var i = 0; i <= repeats; i++)
        {
            var r = await RunOnce(sources, tok, dedup, threads, ct);
            if (i > 0) runs.Add(r); // the first run warms up the JIT and the page cache
        }
        var median = runs.OrderBy(r => r.Seconds).ElementAt(runs.Count / 2);
        var table = new Table().Border(TableBorder.Rounded).Title($"prep end to end: {corpus}, {tok.Kind} tokenizer (median of {repeats})")
            .AddColumn("MB").AddColumn("documents").AddColumn("tokens").AddColumn("wall s").AddColumn("MB/s").AddColumn("CPU s").AddColumn("MB per CPU s");
        table.AddRow(F(median.Bytes / 1e6), $"{median.Documents:N0}", $"{median.Tokens:N0}", F(median.Seconds, "0.00"), F(median.Bytes / 1e6 / median.Seconds),
            F(median.CpuSeconds, "0.00"), F(median.Bytes / 1e6 / Math.Max(median.CpuSeconds, 1e-9)));
        AnsiConsole.Write(table);
    }

    private static async Task Memory(List<long> sizesMb, string workDir, string tokenizerName, string dedup, int threads, CancellationToken ct)
    {
        // the same tokenizer as the throughput run; 'char' means one built from the synthetic alphabet
        var tokDir = tokenizerName;
        if (tokenizerName == "char" && !Directory.Exists(tokenizerName))
        {
            tokDir = Path.Combine(workDir, "synthetic-tokenizer");
            TokenizerStore.Save(CharTokenizer.Train(SyntheticCorpus.Alphabet, SpecialTokens.StandardRoles), tokDir);
        }
        var kind = TokenizerStore.Open(tokDir).Kind;
        var table = new Table().Border(TableBorder.Rounded).Title($"peak resident memory, synthetic corpora, {kind} tokenizer (fresh process each)")
            .AddColumn("size MB").AddColumn("documents").AddColumn("wall s").AddColumn("MB/s").AddColumn("peak RSS MB").AddColumn("× smallest");
        double? first = null;
        foreach (var mb in sizesMb)
        {
            var file = Path.Combine(workDir, $"synthetic-{mb}mb.txt");
            if (!File.Exists(file))
            {
                AnsiConsole.MarkupLine($"[grey]writing {file}...[/]");
                SyntheticCorpus.Write(file, mb * 1_000_000, seed: 1, ct);
            }
            var r = await Child(file, tokDir, dedup, threads, ct);
            first ??= r.PeakBytes;
            table.AddRow($"{mb:N0}", $"{r.Documents:N0}", F(r.Seconds), F(r.Bytes / 1e6 / r.Seconds), F(r.PeakBytes / 1e6), F(r.PeakBytes / first.Value, "0.00"));
        }
        AnsiConsole.Write(table);
    }

    private static async Task<ChildResult> Child(string input, string tokDir, string dedup, int threads, CancellationToken ct)
    {
        var exe = Environment.ProcessPath ?? throw new TextSslException("cannot find this program's path to start a measuring child process.");
        var info = new ProcessStartInfo(exe) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(exe) == "dotnet") info.ArgumentList.Add(typeof(BenchPrepCommand).Assembly.Location);
        foreach (var a in (string[])["bench", "prep", "--child-input", input, "--child-tokenizer", tokDir, "--dedup", dedup, "--threads", threads.ToString(CultureInfo.InvariantCulture)])
            info.ArgumentList.Add(a);
        using var p = Process.Start(info)!;
        var stdout = p.StandardOutput.ReadToEndAsync(ct);
        var stderr = p.StandardError.ReadToEndAsync(ct);
        await p.WaitForExitAsync(ct);
        var lines = (await stdout).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        if (p.ExitCode != 0 || lines.Length == 0)
            throw new TextSslException($"the measuring child process failed (exit {p.ExitCode}): {(await stderr).Trim()}");
        return JsonSerializer.Deserialize<ChildResult>(lines[^1])!;
    }

    private static async Task<ChildResult> RunOnce(IReadOnlyList<SourceSpec> sources, TextTokenizer tok, DedupOptions dedup, int threads, CancellationToken ct)
    {
        var outDir = Directory.CreateTempSubdirectory("textssl-bench-prep-out-").FullName;
        try
        {
            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            var clock = Stopwatch.StartNew();
            var result = await CorpusBuilder.BuildAsync(new BuildOptions(sources, outDir, tok) { Dedup = dedup, Threads = threads }, null, ct);
            var seconds = clock.Elapsed.TotalSeconds;
            var cpuSeconds = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds;
            var m = result.Manifest;
            return new ChildResult(result.BytesRead, seconds, cpuSeconds, SyntheticCorpus.PeakResidentBytes() ?? 0,
                m.Splits.Values.Sum(s => s.Documents), m.Splits.Values.Sum(s => s.Tokens));
        }
        finally { Directory.Delete(outDir, recursive: true); }
    }

    private static string F(double v, string format = "0.0") => v.ToString(format, CultureInfo.InvariantCulture);
}
