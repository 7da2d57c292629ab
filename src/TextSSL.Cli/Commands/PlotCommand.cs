using System.CommandLine;
using Spectre.Console;
using TextSSL.Reports;

namespace TextSSL.Cli.Commands;

/// <summary><c>textssl plot</c>: the loss curves of one or more training runs in one picture.</summary>
internal static class PlotCommand
{
    /// <summary>The picture written when <c>--out</c> is not given.</summary>
    public const string DefaultOutput = "training-curves.png";

    public static Command Create()
    {
        var command = new Command("plot",
            "Draw the training and validation loss of one or more runs against the step, one colour per run (legend: the run's folder name). " +
            "Each run draws its own curves.png/.svg beside metrics.csv as it trains; this overlays several. " +
            "An existing output file is replaced only if TextSSL drew it.");
        var runs = new Argument<string[]>("RUN") { Description = "Training run directories (each holding metrics.csv).", Arity = ArgumentArity.OneOrMore };
        var output = new Option<string>("--out") { Description = $"The picture to write: .png or .svg (default: {DefaultOutput} in the current directory).", DefaultValueFactory = _ => DefaultOutput };
        command.Arguments.Add(runs);
        command.Options.Add(output);
        command.SetAction((pr, ct) =>
        {
            var path = pr.GetValue(output)!;
            if (Path.GetExtension(path).ToLowerInvariant() is not (".png" or ".svg"))
                throw new TextSslException($"--out '{path}' must end in .png or .svg.");
            if (Directory.Exists(path)) throw new TextSslException($"--out '{path}' is a directory; give a file name ending in .png or .svg.");
            if (File.Exists(path) && !TrainingCurves.WrittenByTextSsl(path))
                throw new TextSslException($"'{path}' exists and was not drawn by TextSSL; choose another --out or move the file.");
            var read = pr.GetValue(runs)!.Select(TrainingCurves.Read).ToList();
            if (read.All(r => r.Rows.Count == 0)) throw new TextSslException("the runs' metrics.csv files hold no rows yet; plot after the first logging interval.");
            TrainingCurves.Save(TrainingCurves.Build(read), path);
            AnsiConsole.MarkupLine($"drew {read.Count} run(s) into [bold]{Markup.Escape(path)}[/]");
            return Task.FromResult(0);
        });
        return command;
    }
}
