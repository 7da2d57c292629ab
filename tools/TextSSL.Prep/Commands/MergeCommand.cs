using System.CommandLine;
using Spectre.Console;
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
            "of the same inputs and options; the parts' config.json becomes that build's (build --config repeats it). Crash-safe (--resume).");
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
            if (SaveBuildConfig(options.Parts, options.OutputDirectory) is { } note) AnsiConsole.MarkupLine($"[grey]note:[/] {Markup.Escape(note)}");
            return 0;
        });
        return command;
    }

    /// <summary>
    /// Writes the parts' build configuration into the merged corpus as that of one build of all the inputs into it
    /// (the merge is byte-identical to that build, so <c>build --config</c> repeats it on one machine). Written only
    /// when every part has one and they agree; otherwise returns why not.
    /// </summary>
    private static string? SaveBuildConfig(IReadOnlyList<string> parts, string outDir)
    {
        try
        {
            if (parts.FirstOrDefault(p => !BuildRunOptions.HasConfig(p)) is { } bare)
                return $"'{bare}' has no {ConfigFile.FileName} (a part built before builds wrote one), so the merged corpus has none either.";
            var whole = parts.Select(p => BuildRunOptions.Load(p) with { Part = null, OutputDirectory = outDir }).ToList();
            if (whole.Select(c => ConfigFile.ToJson(c with { Resume = false, Force = false }, BuildRunOptions.ConfigKind).ToJsonString()).Distinct().Count() > 1)
                return $"the parts' {ConfigFile.FileName} files differ in more than their part and output directory, so the merged corpus has none.";
            whole[0].Save();
            return null;
        }
        catch (TextSslException ex)
        {
            return $"the merged corpus has no {ConfigFile.FileName}: {ex.Message}";
        }
    }
}
