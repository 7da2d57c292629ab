using System.CommandLine;
using Spectre.Console;
using TextSSL.Cli;
using TextSSL.Corpora;
using TextSSL.Tokenization;

namespace TextSSL.Prep.Commands;

/// <summary><c>textssl-prep build</c>: sources → cleaned, deduplicated, split, tokenized shards with a manifest.</summary>
internal static class BuildCommand
{
    public static Command Create()
    {
        OptionFlags.Register(nameof(BuildOptions.CheckpointInterval), "--checkpoint-seconds");
        OptionFlags.Register(BuildPart.OptionName, "--part");
        // Each option names the property of BuildRunOptions (the build's config.json) it sets, for --config.
        const string dedupGroup = nameof(BuildRunOptions.Dedup), split = nameof(BuildRunOptions.Split);
        var inputs = new InputOptions();
        inputs.SetsBuildProperties();
        var tokenizer = new Option<string>("--tokenizer")
        {
            Description = "A saved tokenizer directory or a tokenizer name; 'char' builds a character tokenizer from the cleaned input and saves it to OUT/tokenizer.",
            Required = true,
        }.Sets(nameof(BuildRunOptions.Tokenizer));
        var output = new Option<string>("--out") { Description = $"Output directory for manifest.json, the shards and {ConfigFile.FileName} (this build's configuration, for --config).", Required = true }
            .Sets(nameof(BuildRunOptions.OutputDirectory));
        var dedup = new Option<string>("--dedup") { Description = "Duplicates to drop: all (exact and near), exact, or none.", DefaultValueFactory = _ => "all" }
            .Sets(dedupGroup, nameof(DedupOptions.Exact)).Sets(dedupGroup, nameof(DedupOptions.Near));
        dedup.AcceptOnlyFromAmong("all", "exact", "none");
        var jaccard = new Option<double>("--jaccard") { Description = "Near-duplicate threshold: Jaccard similarity of word 5-shingles (MinHash estimate).", DefaultValueFactory = _ => 0.8 }
            .Sets(dedupGroup, nameof(DedupOptions.Threshold));
        var validation = new Option<double>("--validation") { Description = "Fraction of documents in the validation split.", DefaultValueFactory = _ => 0.05 }
            .Sets(split, nameof(SplitOptions.Validation));
        var test = new Option<double>("--test") { Description = "Fraction of documents in the test split.", DefaultValueFactory = _ => 0.0 }
            .Sets(split, nameof(SplitOptions.Test));
        var splitSeed = new Option<ulong>("--split-seed") { Description = "Salt of the per-document split hash; the same salt keeps every document in its split as the corpus grows.", DefaultValueFactory = _ => 0UL }
            .Sets(split, nameof(SplitOptions.Seed));
        var shardTokens = new Option<long>("--shard-tokens") { Description = "Tokens per shard file.", DefaultValueFactory = _ => 64L << 20 }
            .Sets(nameof(BuildRunOptions.ShardTokens));
        var resume = new Option<bool>("--resume") { Description = "Continue an interrupted build from its last checkpoint (same inputs and options); the result is byte-identical to an uninterrupted run." }
            .Sets(nameof(BuildRunOptions.Resume));
        var force = new Option<bool>("--force") { Description = "Replace an existing corpus in --out that was made with a different tokenizer." }
            .Sets(nameof(BuildRunOptions.Force));
        var threads = new Option<int?>("--threads") { Description = "Worker threads (default: all cores)." }
            .Sets(nameof(BuildRunOptions.Threads));

        var command = new Command("build",
            "Read sources, clean (Unicode normalization, control characters, whitespace, length filters), drop exact and near duplicates, " +
            "assign train/validation/test by a hash of each document, tokenize, and write little-endian uint16/uint32 shards with an " +
            "end-of-text token after every document, plus manifest.json and config.json (--config repeats the build). Streams with bounded memory on all cores; crash-safe (--resume).");
        inputs.AddTo(command);
        var checkpointSeconds = new Option<double>("--checkpoint-seconds")
        {
            Description = "Minimum seconds between checkpoints that --resume continues from (0: after every batch).",
            DefaultValueFactory = _ => 10,
        }.Sets(nameof(BuildRunOptions.CheckpointSeconds));
        var batchChars = new Option<int>("--batch-chars")
        {
            Description = "Characters per processing batch; about four batches are in memory at once.",
            DefaultValueFactory = _ => 4 << 20,
        }.Sets(nameof(BuildRunOptions.BatchChars));
        var part = new Option<string?>("--part")
        {
            Description = "Build only part I of N (e.g. 2/8) of the inputs, for 'textssl-prep merge' to combine: files are shared by a hash of their " +
                          "path within their source, a single file by record. Every part takes the same inputs and options.",
        }.Sets(nameof(BuildRunOptions.Part));
        foreach (var o in new Option[] { tokenizer, output, dedup, jaccard, validation, test, splitSeed, shardTokens, resume, force, threads, checkpointSeconds, batchChars, part }) command.Options.Add(o);
        var configFile = ConfigFileOption.Add(command, "a build's config.json", tokenizer);
        command.SetAction(async (ParseResult pr, CancellationToken ct) =>
        {
            var mode = pr.GetValue(dedup);
            var run = new BuildRunOptions
            {
                Inputs = inputs.Read(pr),
                Tokenizer = pr.GetValue(tokenizer)!,
                OutputDirectory = pr.GetValue(output)!,
                Cleaning = inputs.Cleaning(pr),
                Dedup = new DedupOptions { Exact = mode != "none", Near = mode == "all", Threshold = pr.GetValue(jaccard) },
                Split = new SplitOptions { Validation = pr.GetValue(validation), Test = pr.GetValue(test), Seed = pr.GetValue(splitSeed) },
                ShardTokens = pr.GetValue(shardTokens),
                OnError = inputs.Errors(pr),
                Resume = pr.GetValue(resume),
                Force = pr.GetValue(force),
                Threads = pr.GetValue(threads),
                CheckpointSeconds = pr.GetValue(checkpointSeconds),
                BatchChars = pr.GetValue(batchChars),
                Part = pr.GetValue(part),
            };
            if (pr.GetValue(configFile) is { } configPath)
                run = ConfigFile.FromJson<BuildRunOptions>(ConfigFileOption.Overlay(ConfigFile.Load(configPath, BuildRunOptions.ConfigKind), ConfigFile.ToJson(run, BuildRunOptions.ConfigKind), pr),
                                                           BuildRunOptions.ConfigKind, configPath);
            return await RunAsync(run, ct);
        });
        return command;
    }

    /// <summary>Builds the corpus (or part) <paramref name="run"/> describes and writes its <c>config.json</c> beside the manifest.</summary>
    internal static async Task<int> RunAsync(BuildRunOptions run, CancellationToken ct)
    {
        run.Validate();
        var interval = CheckpointSeconds.ToInterval(run.CheckpointSeconds, nameof(BuildOptions.CheckpointInterval));
        var share = run.Part is { } partText ? BuildPart.Parse(partText) : null;
        var sources = run.Inputs.Sources();
        var outDir = run.OutputDirectory;
        // before reading any input (a character tokenizer is built from all of it): the output must be writable
        OutputChecks.EnsureWritable(outDir, nameof(BuildOptions.OutputDirectory));
        TextTokenizer tok;
        var trainChar = run.BuildsCharTokenizer;
        if (trainChar)
        {
            AnsiConsole.MarkupLine("[grey]building a character tokenizer from the cleaned input...[/]");
            tok = await CharVocabulary.TrainAsync(sources, run.Cleaning, run.OnError, ct);
        }
        else tok = TokenizerStore.Open(run.Tokenizer);
        var options = new BuildOptions(sources, outDir, tok)
        {
            Cleaning = run.Cleaning,
            Dedup = run.Dedup,
            Split = run.Split,
            ShardTokens = run.ShardTokens,
            OnError = run.OnError,
            Resume = run.Resume,
            Force = run.Force,
            Threads = run.Threads ?? Environment.ProcessorCount,
            CheckpointInterval = interval,
            BatchChars = run.BatchChars,
            IncludeTokenizer = trainChar,
        };
        if (share is not null)
        {
            var done = await ProgressView.RunAsync($"preparing part {share}", (progress, token) => CorpusBuilder.BuildPartAsync(options, share, progress, token), ct);
            run.Save();
            Report.Print(done);
            return 0;
        }
        var result = await ProgressView.RunAsync("preparing", (progress, token) => CorpusBuilder.BuildAsync(options, progress, token), ct);
        run.Save();
        Report.Print(result, trainChar ? Path.Combine(outDir, CorpusBuilder.TokenizerDirectoryName) : null);
        return 0;
    }
}
