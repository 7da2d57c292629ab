using System.CommandLine;
using TextSSL.Corpora;

namespace TextSSL.Prep.Commands;

/// <summary><c>textssl-prep merge</c>: the parts of a build split across machines → one corpus, as a single build would write it.</summary>
internal static class MergeCommand
{
    public static Command Create()
    {
        TextSSL.Cli.OptionFlags.Register(nameof(MergeOptions.Parts), "PART_DIRS");
        var parts = new Argument<string[]>("PART_DIRS") { Description = "The output directories of parts 1..N of one build (textssl-prep build --part I/N), each once, in any order.", Arity = ArgumentArity.OneOrMore };
        var output = new Option<string>("--out") { Description = "Output directory for manifest.json and the shards.", Required = true };
        var resume = new Option<bool>("--resume") { Description = "Continue an interrupted merge from its last checkpoint (same parts); the result is byte-identical to an uninterrupted one." };
        var force = new Option<bool>("--force") { Description = "Replace an existing corpus in --out that was made with a different tokenizer." };
        var checkpointSeconds = new Option<double>("--checkpoint-seconds")
        {
            Description = "Minimum seconds between checkpoints that --resume continues from.",
            DefaultValueFactory = _ => 10,
        };
        var command = new Command("merge",
            "Merge the parts of a build split across machines into one corpus: exact and near duplicates are removed across all parts " +
            "(the first occurrence in input order wins), and the shards and manifest are byte-identical to a single-machine build " +
            "of the same inputs and options. Crash-safe (--resume).");
        command.Arguments.Add(parts);
        foreach (var o in new Option[] { output, resume, force, checkpointSeconds }) command.Options.Add(o);
        command.SetAction(async (ParseResult pr, CancellationToken ct) =>
        {
            var options = new MergeOptions(pr.GetValue(parts)!, pr.GetValue(output)!)
            {
                Resume = pr.GetValue(resume),
                Force = pr.GetValue(force),
                CheckpointInterval = CheckpointSeconds.ToInterval(pr.GetValue(checkpointSeconds), nameof(MergeOptions.CheckpointInterval)),
            };
            var result = await ProgressView.RunAsync("merging", (progress, token) => CorpusBuilder.MergeAsync(options, progress, token), ct);
            Report.Print(result, null);
            return 0;
        });
        return command;
    }
}
