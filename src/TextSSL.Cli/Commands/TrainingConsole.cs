using Spectre.Console;
using TextSSL.Distributed;
using TextSSL.Training;

namespace TextSSL.Cli.Commands;

/// <summary>
/// Shows a run on the console: a progress bar with ETA when interactive, one line per log interval always. Under
/// mpirun only rank 0 talks: the other ranks' console is silenced for the rest of the process (a failing rank
/// still prints its error to stderr).
/// </summary>
internal static class TrainingConsole
{
    /// <summary>Runs <paramref name="run"/>, rendering its updates; returns its result.</summary>
    public static async Task<TrainingResult> RunAsync(PretrainingRun run, int steps, CancellationToken ct)
    {
        if (LaunchEnvironment.Detect() is { Rank: > 0 })
            AnsiConsole.Console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(TextWriter.Null) });
        var console = AnsiConsole.Console;
        if (!console.Profile.Capabilities.Interactive)
            return await run.RunAsync(ct, new Reporter(u => WriteLine(console, u)));

        TrainingResult? result = null;
        await console.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            // Redrawn only from the training thread's updates, so console writes never race a refresh thread.
            .AutoRefresh(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .StartAsync(async ctx =>
            {
                var bar = ctx.AddTask("training", maxValue: steps);
                result = await run.RunAsync(ct, new Reporter(u =>
                {
                    if (u.Kind == TrainingUpdateKind.Started) bar.Value = 0;
                    bar.Value = u.Step;
                    WriteLine(console, u);
                    ctx.Refresh();
                }));
                bar.Value = result.Step;
                if (!result.Completed) bar.StopTask();
            });
        return result!;
    }

    private static void WriteLine(IAnsiConsole console, TrainingUpdate u)
    {
        var text = Markup.Escape(u.Message);
        switch (u.Kind)
        {
            case TrainingUpdateKind.Started: console.MarkupLine($"[bold]{text}[/]"); break;
            case TrainingUpdateKind.Eval: console.MarkupLine($"[green]{text}[/]"); break;
            case TrainingUpdateKind.Checkpoint: console.MarkupLine($"[grey]{text}[/]"); break;
            default:
                var eta = u.Remaining is { } r ? $" | ETA {r:hh\\:mm\\:ss}" : "";
                console.MarkupLine(text + Markup.Escape(eta));
                break;
        }
    }

    /// <summary>Calls the handler on the reporting thread (unlike <see cref="Progress{T}"/>, which posts).</summary>
    private sealed class Reporter(Action<TrainingUpdate> handle) : IProgress<TrainingUpdate>
    {
        public void Report(TrainingUpdate value) => handle(value);
    }
}
