using System.CommandLine;
using System.Globalization;
using System.Text;
using Spectre.Console;
using TextSSL.Tokenization;
using TextSSL.Tokenization.Bpe;

namespace TextSSL.Cli.Commands;

/// <summary><c>textssl tokenizer train|encode|decode|stats</c>.</summary>
internal static class TokenizerCommand
{
    public static Command Create()
    {
        OptionFlags.Register(nameof(BpeTrainerOptions.ReplaceInvalidUtf8), "--replace-invalid");
        var command = new Command("tokenizer", "Train a byte-level BPE tokenizer, or encode, decode and measure text with any tokenizer " +
                                               "(a trained directory, another toolkit's files, or gpt2, r50k, cl100k, o200k).");
        command.Subcommands.Add(Train());
        command.Subcommands.Add(Encode());
        command.Subcommands.Add(Decode());
        command.Subcommands.Add(Stats());
        return command;
    }

    private static Option<string> TokenizerOption() => new("--tokenizer", "-t")
    {
        Description = "A tokenizer directory (TextSSL's, vocab.json + merges.txt, BERT vocab.txt, or a .tiktoken file) or a name: gpt2, r50k, cl100k, o200k.",
        Required = true,
    };

    private static Command Train()
    {
        var input = new Option<string[]>("--input", "-i") { Description = "Text files or directories (read recursively, hidden entries skipped); each file is one document. Repeatable.", Required = true, AllowMultipleArgumentsPerToken = true };
        var vocab = new Option<int>("--vocab-size", "-v") { Description = "Total vocabulary: 256 byte tokens + learned merges + special tokens.", Required = true };
        var pattern = new Option<string>("--pattern") { Description = $"Pre-tokenization split pattern: {SplitPatterns.Choices}.", DefaultValueFactory = _ => "gpt4" };
        var special = new Option<string[]>("--special") { Description = "Special token TEXT or ROLE=TEXT (roles: endoftext, mask, cls, sep, pad, unk, bos, other); replaces the default set " +
                                                                         "<|endoftext|> [MASK] [CLS] [SEP] [PAD]. Repeatable.", AllowMultipleArgumentsPerToken = true };
        var noSpecials = new Option<bool>("--no-specials") { Description = "Add no special tokens at all." };
        var replace = new Option<bool>("--replace-invalid") { Description = "Replace invalid UTF-8 bytes with U+FFFD instead of stopping with an error." };
        var threads = new Option<int>("--threads") { Description = "Counting threads (default: all cores).", DefaultValueFactory = _ => 0 };
        var output = new Option<string>("--out", "-o") { Description = "Directory to write the tokenizer to: new, empty, or a tokenizer written earlier (replaced atomically); anything else is refused.", Required = true };
        var cmd = new Command("train", "Train a byte-level BPE (GPT-2/GPT-4 style) on text files. Deterministic: the same input and options give byte-identical files. " +
                                       "Writes vocab.tiktoken (loadable by Microsoft.ML.Tokenizers' TiktokenTokenizer), textssl-tokenizer.json, fingerprint.txt and Hugging Face's tokenizer.json, vocab.json, merges.txt.")
        {
            input, vocab, pattern, special, noSpecials, replace, threads, output,
        };
        cmd.SetAction(async (pr, ct) =>
        {
            var specs = pr.GetValue(noSpecials) ? [] :
                pr.GetValue(special) is { Length: > 0 } given ? given.Select(SpecialTokenSpec.Parse).ToList() : SpecialTokenSpec.Standard;
            var options = new BpeTrainerOptions(pr.GetValue(vocab))
            {
                Pattern = pr.GetValue(pattern)!,
                Specials = specs,
                ReplaceInvalidUtf8 = pr.GetValue(replace),
                Threads = pr.GetValue(threads),
            };
            var trainer = new BpeTrainer(options); // validates the options
            // before reading any input: the output must be writable, replaceable and ours alone for the run
            var outDir = Path.GetFullPath(pr.GetValue(output)!);
            OutputChecks.EnsureWritable(Path.GetDirectoryName(outDir) ?? outDir, "OutputDirectory");
            OutputOwnership.EnsureReplaceable(outDir, OutputKind.Tokenizer);
            using var outputLock = OutputLock.AcquireBeside(outDir, "tokenizer train");
            var err = Console.Error;
            var lastPhase = (BpeTrainingPhase?)null;
            var lastCounted = 0L;
            var progress = new InlineProgress<BpeTrainingProgress>(p =>
            {
                if (p.Phase != lastPhase) { lastPhase = p.Phase; err.WriteLine(p.Phase == BpeTrainingPhase.Counting ? "counting pre-tokens..." : "learning merges..."); }
                if (p.Phase == BpeTrainingPhase.Counting && p.Done / 50_000_000 != lastCounted) { lastCounted = p.Done / 50_000_000; err.WriteLine($"  {p.Done / 1e6:F0}M of ~{p.Total / 1e6:F0}M characters read"); }
                if (p.Phase == BpeTrainingPhase.Merging && p.Total > 0 && p.Done % 2048 == 0) err.WriteLine($"  {p.Done}/{p.Total} merges");
            });
            var result = await trainer.TrainFilesAsync(pr.GetValue(input)!, progress, ct);
            TokenizerStore.Save(result.Tokenizer, outDir);
            var t = result.Tokenizer;
            var inv = CultureInfo.InvariantCulture;
            Console.WriteLine(string.Create(inv, $"trained byte-level BPE: vocab {t.VocabSize} ({t.LearnedCount - 256} merges + 256 bytes + {t.Specials.All.Count} specials), " +
                                                 $"pattern {SplitPatterns.NameOf(t.Pattern)}"));
            Console.WriteLine(string.Create(inv, $"input: {result.PreTokens:N0} pre-tokens, {result.DistinctPreTokens:N0} distinct; counting {result.CountTime.TotalSeconds:F2} s, merging {result.MergeTime.TotalSeconds:F2} s"));
            if (result.RanOutOfPairs) Console.WriteLine($"note: the input ran out of pairs to merge; the vocabulary is {t.VocabSize}, smaller than requested.");
            Console.WriteLine($"saved to {Path.GetFullPath(outDir)} (fingerprint {t.Fingerprint})");
            return 0;
        });
        return cmd;
    }

    private static Command Encode()
    {
        var tok = TokenizerOption();
        var file = new Option<string?>("--file", "-f") { Description = "Read the text from this UTF-8 file (default: the TEXT argument, else standard input)." };
        var text = new Argument<string?>("text") { Description = "Text to encode.", Arity = ArgumentArity.ZeroOrOne };
        var cmd = new Command("encode", "Encode text to token ids, printed space-separated on one line.") { tok, file, text };
        cmd.SetAction(pr =>
        {
            var tokenizer = TokenizerStore.Open(pr.GetValue(tok)!);
            var input = pr.GetValue(file) is { } f ? TextFiles.ReadAllText(f) : pr.GetValue(text) ?? ReadStdin();
            Console.Out.WriteLine(string.Join(' ', tokenizer.Encode(input)));
            return 0;
        });
        return cmd;
    }

    private static Command Decode()
    {
        var tok = TokenizerOption();
        var file = new Option<string?>("--file", "-f") { Description = "Read ids from this file (default: the IDS arguments, else standard input); separated by spaces, commas or newlines." };
        var ids = new Argument<string[]>("ids") { Description = "Token ids.", Arity = ArgumentArity.ZeroOrMore };
        var cmd = new Command("decode", "Decode token ids to text, written to standard output as UTF-8.") { tok, file, ids };
        cmd.SetAction(pr =>
        {
            var tokenizer = TokenizerStore.Open(pr.GetValue(tok)!);
            var raw = pr.GetValue(file) is { } f ? File.ReadAllText(f) : pr.GetValue(ids) is { Length: > 0 } a ? string.Join(' ', a) : ReadStdin();
            var parsed = new List<int>();
            foreach (var part in raw.Split([' ', ',', '\n', '\r', '\t', '[', ']'], StringSplitOptions.RemoveEmptyEntries))
            {
                if (!int.TryParse(part, NumberStyles.Integer, CultureInfo.InvariantCulture, out var id))
                    throw new TextSslException($"'{part}' is not a token id (ids are integers separated by spaces, commas or newlines).");
                parsed.Add(id);
            }
            using var stdout = new StreamWriter(Console.OpenStandardOutput(), new UTF8Encoding(false));
            stdout.Write(tokenizer.Decode(parsed.ToArray()));
            return 0;
        });
        return cmd;
    }

    private static Command Stats()
    {
        var tok = TokenizerOption();
        var file = new Option<string>("--file", "-f") { Description = "UTF-8 text file to measure on.", Required = true };
        var cmd = new Command("stats", "Tokenize a file and report tokens, bytes per token, unknown-token rate, encode/decode time and whether decoding gives the text back.") { tok, file };
        cmd.SetAction(pr =>
        {
            var tokenizer = TokenizerStore.Open(pr.GetValue(tok)!);
            var text = TextFiles.ReadAllText(pr.GetValue(file)!);
            var s = TokenizerStats.Measure(tokenizer, text);
            var inv = CultureInfo.InvariantCulture;
            var table = new Table().Border(TableBorder.Rounded).AddColumn("measure").AddColumn("value");
            table.AddRow("tokenizer", Markup.Escape($"{tokenizer.Kind}, vocab {tokenizer.VocabSize}, {tokenizer.Fingerprint}"));
            table.AddRow("text", string.Create(inv, $"{s.Bytes:N0} bytes, {s.Chars:N0} chars"));
            table.AddRow("tokens", s.Tokens.ToString("N0", inv));
            table.AddRow("bytes per token", s.BytesPerToken.ToString("F3", inv));
            table.AddRow("unknown rate", s.UnknownRate.ToString("P3", inv));
            table.AddRow("encode", string.Create(inv, $"{s.EncodeSeconds:F3} s ({s.EncodeMBps:F2} MB/s, one thread)"));
            table.AddRow("decode", string.Create(inv, $"{s.DecodeSeconds:F3} s"));
            table.AddRow("exact round trip", s.RoundTrips ? "yes" : "no");
            AnsiConsole.Write(table);
            return 0;
        });
        return cmd;
    }

    /// <summary>Reports on the reporting thread, in order (Progress&lt;T&gt; posts to the thread pool and can print late or out of order).</summary>
    private sealed class InlineProgress<T>(Action<T> report) : IProgress<T>
    {
        private readonly Lock _lock = new();

        public void Report(T value)
        {
            lock (_lock) report(value);
        }
    }

    private static string ReadStdin()
    {
        using var reader = new StreamReader(Console.OpenStandardInput(), new UTF8Encoding(false, throwOnInvalidBytes: true));
        try { return reader.ReadToEnd(); }
        catch (DecoderFallbackException ex) { throw new TextSslException($"standard input is not valid UTF-8 (byte offset near {ex.Index}).", ex); }
    }
}
