using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.ML.Tokenizers;
using Spectre.Console;
using TextSSL.Tokenization;
using TextSSL.Tokenization.Bpe;

namespace TextSSL.Cli.Commands;

/// <summary><c>textssl bench tokenizer</c>: BPE training time and memory, encoding speed against Microsoft.ML.Tokenizers' GPT-2 encoder, bytes per token.</summary>
internal static class BenchTokenizerCommand
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static Command Create()
    {
        var corpus = new Option<string>("--corpus") { Description = "The small corpus (trained to 4,096 tokens, used for encoding speed and bytes per token).", DefaultValueFactory = _ => "corpora/moby-dick/moby-dick.txt" };
        var bigFile = new Option<string?>("--big-file") { Description = "The large corpus (trained to 16,384 tokens). Default: one generated deterministically from --corpus (shuffled paragraphs with word variations)." };
        var bigMb = new Option<int>("--big-mb") { Description = "Size of the generated large corpus in MB.", DefaultValueFactory = _ => 10 };
        var repeats = new Option<int>("--repeats") { Description = "Timed repeats (after a warm-up); the median is reported.", DefaultValueFactory = _ => 3 };
        var skipBig = new Option<bool>("--skip-big") { Description = "Skip the large-corpus training." };
        var markdown = new Option<string?>("--markdown") { Description = "Also write the results as a Markdown table to this file." };
        var cmd = new Command("tokenizer", "Benchmark the tokenizer stage: BPE training on the small corpus to 4,096 tokens (target <= 3 s) and on a 10 MB corpus to 16,384 " +
                                           "(target <= 30 s, peak memory <= 1 GB), encoding speed of the trained tokenizer vs Microsoft.ML.Tokenizers' GPT-2 tiktoken encoder " +
                                           "on the same text (target >= 0.9x, one thread), and bytes per token for both.")
        {
            corpus, bigFile, bigMb, repeats, skipBig, markdown,
        };
        cmd.SetAction(async (pr, ct) =>
        {
            var rows = new List<(string Measure, string Value, string Target)>();
            var path = pr.GetValue(corpus)!;
            if (!File.Exists(path)) throw new TextSslException($"corpus '{path}' does not exist; pass --corpus FILE.");
            var n = Math.Max(1, pr.GetValue(repeats));
            var text = TextFiles.ReadAllText(path);
            var textBytes = Encoding.UTF8.GetByteCount(text);
            AnsiConsole.MarkupLine($"[grey]{Environment.ProcessorCount} cores, {RuntimeInfo()}; corpus {Markup.Escape(path)} ({textBytes:N0} bytes)[/]");

            // 1. large corpus first, so the process's peak memory is the large run's
            ByteLevelBpeTokenizer? big = null;
            if (!pr.GetValue(skipBig))
            {
                var bigPath = pr.GetValue(bigFile);
                string? temp = null;
                if (bigPath is null)
                {
                    temp = Path.Combine(Path.GetTempPath(), $"textssl-bench-{Environment.ProcessId}.txt");
                    SyntheticCorpus.Write(text, temp, pr.GetValue(bigMb) * 1_000_000L);
                    bigPath = temp;
                }
                try
                {
                    var size = new FileInfo(bigPath).Length;
                    AnsiConsole.MarkupLine($"[grey]large corpus {Markup.Escape(bigPath)} ({size:N0} bytes); training to 16,384...[/]");
                    var sw = Stopwatch.StartNew();
                    var result = await new BpeTrainer(new BpeTrainerOptions(16384)).TrainFilesAsync([bigPath], null, ct);
                    var seconds = sw.Elapsed.TotalSeconds;
                    big = result.Tokenizer;
                    var peak = PeakMemoryBytes();
                    rows.Add(($"train {size / 1e6:F1} MB → 16,384", string.Create(Inv, $"{seconds:F2} s (count {result.CountTime.TotalSeconds:F2} s, merge {result.MergeTime.TotalSeconds:F2} s)"), "<= 30 s"));
                    rows.Add(("peak memory (process, after large run)", string.Create(Inv, $"{peak / 1048576.0:F0} MiB"), "<= 1024 MiB"));
                }
                finally
                {
                    if (temp is not null) File.Delete(temp);
                }
            }

            // 2. small corpus: warm-up, then median of repeats
            _ = new BpeTrainer(new BpeTrainerOptions(512)).TrainTexts([text[..Math.Min(text.Length, 100_000)]]);
            var times = new List<double>();
            BpeTrainingResult? small = null;
            for (var i = 0; i < n; i++)
            {
                var sw = Stopwatch.StartNew();
                small = await new BpeTrainer(new BpeTrainerOptions(4096)).TrainFilesAsync([path], null, ct);
                times.Add(sw.Elapsed.TotalSeconds);
            }
            rows.Add(($"train {textBytes / 1e6:F1} MB → 4,096 (median of {n})", string.Create(Inv, $"{Median(times):F2} s (count {small!.CountTime.TotalSeconds:F2} s, merge {small.MergeTime.TotalSeconds:F2} s)"), "<= 3 s"));

            // 3. encoding speed on one thread, interleaved so load changes hit both alike
            var trained = small.Tokenizer;
            var gpt2 = TiktokenTokenizer.CreateForModel("gpt2");
            var gpt2Ids = gpt2.EncodeToIds(text);
            var ours = trained.Encode(text);
            if (trained.Decode(ours) != text) throw new TextSslException("the trained tokenizer did not round-trip the corpus; this is a bug.");
            var gpt2Ours = TokenizerStore.Open("gpt2");
            var tOurs = new List<double>();
            var tGpt2 = new List<double>();
            var tGpt2Ours = new List<double>();
            for (var i = 0; i < Math.Max(3, n); i++)
            {
                var sw = Stopwatch.StartNew();
                _ = gpt2.EncodeToIds(text);
                tGpt2.Add(sw.Elapsed.TotalSeconds);
                sw.Restart();
                _ = trained.Encode(text);
                tOurs.Add(sw.Elapsed.TotalSeconds);
                sw.Restart();
                _ = gpt2Ours.Encode(text);
                tGpt2Ours.Add(sw.Elapsed.TotalSeconds);
            }
            double mbOurs = textBytes / 1e6 / Median(tOurs), mbGpt2 = textBytes / 1e6 / Median(tGpt2);
            rows.Add(("encode: ML.Tokenizers GPT-2 tiktoken", string.Create(Inv, $"{mbGpt2:F2} MB/s"), ""));
            rows.Add(("encode: trained 4,096 (via TiktokenTokenizer)", string.Create(Inv, $"{mbOurs:F2} MB/s = {mbOurs / mbGpt2:F2}x GPT-2"), ">= 0.9x"));
            var mbGpt2Ours = textBytes / 1e6 / Median(tGpt2Ours);
            rows.Add(("encode: GPT-2 through TextSSL (cache 65,536)", string.Create(Inv, $"{mbGpt2Ours:F2} MB/s = {mbGpt2Ours / mbGpt2:F2}x; trained/this = {mbOurs / mbGpt2Ours:F2}x"), ""));

            // 4. compression
            rows.Add(("bytes/token: GPT-2", string.Create(Inv, $"{(double)textBytes / gpt2Ids.Count:F3} ({gpt2Ids.Count:N0} tokens)"), ""));
            rows.Add(("bytes/token: trained 4,096", string.Create(Inv, $"{(double)textBytes / ours.Length:F3} ({ours.Length:N0} tokens)"), ""));
            if (big is not null)
            {
                var bigIds = big.Encode(text);
                rows.Add(("bytes/token: trained 16,384 (large corpus)", string.Create(Inv, $"{(double)textBytes / bigIds.Length:F3} ({bigIds.Length:N0} tokens)"), ""));
            }

            var table = new Table().Border(TableBorder.Rounded).AddColumn("measure").AddColumn("value").AddColumn("target");
            foreach (var (m, v, t) in rows) table.AddRow(Markup.Escape(m), Markup.Escape(v), Markup.Escape(t));
            AnsiConsole.Write(table);
            if (pr.GetValue(markdown) is { } md)
            {
                var sb = new StringBuilder("| measure | value | target |\n|---|---|---|\n");
                foreach (var (m, v, t) in rows) sb.Append(Inv, $"| {m} | {v} | {t} |\n");
                AtomicFile.WriteAllText(md, sb.ToString());
                AnsiConsole.MarkupLine($"[grey]wrote {Markup.Escape(md)}[/]");
            }
            return 0;
        });
        return cmd;
    }

    private static double Median(List<double> xs)
    {
        var s = xs.Order().ToArray();
        return s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2;
    }

    private static long PeakMemoryBytes()
    {
        // VmHWM is the peak resident set; Process.PeakWorkingSet64 reads the same value on Linux
        using var p = Process.GetCurrentProcess();
        p.Refresh();
        return p.PeakWorkingSet64;
    }

    private static string RuntimeInfo() =>
        $".NET {Environment.Version}, {(Debugger.IsAttached ? "debugger attached" : typeof(BenchTokenizerCommand).Assembly.GetCustomAttributes(typeof(DebuggableAttribute), false).OfType<DebuggableAttribute>().Any(d => d.IsJITOptimizerDisabled) ? "DEBUG build (figures are slow; use -c Release)" : "Release build")}";

    /// <summary>
    /// A deterministic large corpus made from a small one: copies of its paragraphs in shuffled order, each copy after
    /// the first changing some words (suffixes, case, vowel shifts) so the large corpus has many more distinct words.
    /// </summary>
    private static class SyntheticCorpus
    {
        private static readonly string[] Suffixes = ["ness", "ly", "ing", "ed", "er", "ish", "ward", "less"];

        /// <summary>Writes at least <paramref name="targetBytes"/> UTF-8 bytes to <paramref name="path"/>.</summary>
        public static void Write(string source, string path, long targetBytes)
        {
            var paragraphs = source.Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
            AtomicFile.Write(path, stream =>
            {
                using var writer = new StreamWriter(stream, new UTF8Encoding(false), 1 << 16, leaveOpen: true);
                long written = 0;
                for (var copy = 0; written < targetBytes; copy++)
                {
                    var rng = new Random(copy); // seeded: the same corpus every run
                    var order = Enumerable.Range(0, paragraphs.Length).ToArray();
                    if (copy > 0) rng.Shuffle(order);
                    foreach (var i in order)
                    {
                        var p = copy == 0 ? paragraphs[i] : Vary(paragraphs[i], copy, rng);
                        writer.Write(p);
                        writer.Write("\n\n");
                        written += Encoding.UTF8.GetByteCount(p) + 2;
                        if (written >= targetBytes) break;
                    }
                }
            });
        }

        private static string Vary(string paragraph, int copy, Random rng)
        {
            var sb = new StringBuilder(paragraph.Length + 32);
            var i = 0;
            while (i < paragraph.Length)
            {
                if (!char.IsLetter(paragraph[i])) { sb.Append(paragraph[i++]); continue; }
                var start = i;
                while (i < paragraph.Length && char.IsLetter(paragraph[i])) i++;
                var word = paragraph.AsSpan(start, i - start);
                var roll = rng.Next(10);
                if (roll == 0) sb.Append(word).Append(Suffixes[(copy + word.Length) % Suffixes.Length]);
                else if (roll == 1) sb.Append(word.ToString().ToUpperInvariant());
                else if (roll == 2) foreach (var c in word) sb.Append(Shift(c, copy));
                else sb.Append(word);
            }
            return sb.ToString();
        }

        private static char Shift(char c, int copy)
        {
            const string vowels = "aeiou";
            var k = vowels.IndexOf(c);
            return k < 0 ? c : vowels[(k + copy) % vowels.Length];
        }
    }
}
