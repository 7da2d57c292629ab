using System.CommandLine;
using System.Globalization;
using Spectre.Console;
using TextSSL.Corpora;
using TextSSL.Tokenization;

namespace TextSSL.Prep.Commands;

/// <summary><c>textssl-prep build</c>: sources → cleaned, deduplicated, split, tokenized shards with a manifest.</summary>
internal static class BuildCommand
{
    public static Command Create()
    {
        TextSSL.Cli.OptionFlags.Register(nameof(BuildOptions.CheckpointInterval), "--checkpoint-seconds");
        TextSSL.Cli.OptionFlags.Register(BuildPart.OptionName, "--part");
        var inputs = new InputOptions();
        var tokenizer = new Option<string>("--tokenizer")
        {
            Description = "A saved tokenizer directory or a tokenizer name; 'char' builds a character tokenizer from the cleaned input and saves it to OUT/tokenizer.",
            Required = true,
        };
        var output = new Option<string>("--out") { Description = "Output directory for manifest.json and the shards.", Required = true };
        var dedup = new Option<string>("--dedup") { Description = "Duplicates to drop: all (exact and near), exact, or none.", DefaultValueFactory = _ => "all" };
        dedup.AcceptOnlyFromAmong("all", "exact", "none");
        var jaccard = new Option<double>("--jaccard") { Description = "Near-duplicate threshold: Jaccard similarity of word 5-shingles (MinHash estimate).", DefaultValueFactory = _ => 0.8 };
        var validation = new Option<double>("--validation") { Description = "Fraction of documents in the validation split.", DefaultValueFactory = _ => 0.05 };
        var test = new Option<double>("--test") { Description = "Fraction of documents in the test split.", DefaultValueFactory = _ => 0.0 };
        var splitSeed = new Option<ulong>("--split-seed") { Description = "Salt of the per-document split hash; the same salt keeps every document in its split as the corpus grows.", DefaultValueFactory = _ => 0UL };
        var shardTokens = new Option<long>("--shard-tokens") { Description = "Tokens per shard file.", DefaultValueFactory = _ => 64L << 20 };
        var resume = new Option<bool>("--resume") { Description = "Continue an interrupted build from its last checkpoint (same inputs and options); the result is byte-identical to an uninterrupted run." };
        var force = new Option<bool>("--force") { Description = "Replace an existing corpus in --out that was made with a different tokenizer." };
        var threads = new Option<int?>("--threads") { Description = "Worker threads (default: all cores)." };

        var command = new Command("build",
            "Read sources, clean (Unicode normalization, control characters, whitespace, length filters), drop exact and near duplicates, " +
            "assign train/validation/test by a hash of each document, tokenize, and write little-endian uint16/uint32 shards with an " +
            "end-of-text token after every document, plus manifest.json. Streams with bounded memory on all cores; crash-safe (--resume).");
        inputs.AddTo(command);
        var checkpointSeconds = new Option<double>("--checkpoint-seconds")
        {
            Description = "Minimum seconds between checkpoints that --resume continues from (0: after every batch).",
            DefaultValueFactory = _ => 10,
        };
        var batchChars = new Option<int>("--batch-chars")
        {
            Description = "Characters per processing batch; about four batches are in memory at once.",
            DefaultValueFactory = _ => 4 << 20,
        };
        var part = new Option<string?>("--part")
        {
            Description = "Build only part I of N (e.g. 2/8) of the inputs, for 'textssl-prep merge' to combine: files are shared by a hash of their " +
                          "path within their source, a single file by record. Every part takes the same inputs and options.",
        };
        foreach (var o in new Option[] { tokenizer, output, dedup, jaccard, validation, test, splitSeed, shardTokens, resume, force, threads, checkpointSeconds, batchChars, part }) command.Options.Add(o);
        command.SetAction(async (ParseResult pr, CancellationToken ct) =>
        {
            var interval = CheckpointSeconds.ToInterval(pr.GetValue(checkpointSeconds), nameof(BuildOptions.CheckpointInterval));
            var share = pr.GetValue(part) is { } partText ? BuildPart.Parse(partText) : null;
            var sources = inputs.Sources(pr);
            var cleaning = inputs.Cleaning(pr);
            var outDir = pr.GetValue(output)!;
            // before reading any input (a character tokenizer is built from all of it): the output must be writable
            OutputChecks.EnsureWritable(outDir, nameof(BuildOptions.OutputDirectory));
            var tokName = pr.GetValue(tokenizer)!;
            TextTokenizer tok;
            var trainChar = tokName == "char" && !Directory.Exists(tokName);
            if (trainChar)
            {
                AnsiConsole.MarkupLine("[grey]building a character tokenizer from the cleaned input...[/]");
                tok = await CharVocabulary.TrainAsync(sources, cleaning, inputs.Errors(pr), ct);
            }
            else tok = TokenizerStore.Open(tokName);
            var mode = pr.GetValue(dedup);
            var options = new BuildOptions(sources, outDir, tok)
            {
                Cleaning = cleaning,
                Dedup = new DedupOptions { Exact = mode != "none", Near = mode == "all", Threshold = pr.GetValue(jaccard) },
                Split = new SplitOptions { Validation = pr.GetValue(validation), Test = pr.GetValue(test), Seed = pr.GetValue(splitSeed) },
                ShardTokens = pr.GetValue(shardTokens),
                OnError = inputs.Errors(pr),
                Resume = pr.GetValue(resume),
                Force = pr.GetValue(force),
                Threads = pr.GetValue(threads) ?? Environment.ProcessorCount,
                CheckpointInterval = interval,
                BatchChars = pr.GetValue(batchChars),
                IncludeTokenizer = trainChar,
            };
            if (share is not null)
            {
                var done = await ProgressView.RunAsync($"preparing part {share}", (progress, token) => CorpusBuilder.BuildPartAsync(options, share, progress, token), ct);
                Report.Print(done);
                return 0;
            }
            var result = await ProgressView.RunAsync("preparing", (progress, token) => CorpusBuilder.BuildAsync(options, progress, token), ct);
            Report.Print(result, trainChar ? Path.Combine(outDir, CorpusBuilder.TokenizerDirectoryName) : null);
            return 0;
        });
        return command;
    }
}
