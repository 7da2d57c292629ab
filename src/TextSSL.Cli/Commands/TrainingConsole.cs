using Spectre.Console;
using TextSSL.Distributed;
using TextSSL.Reports;
using TextSSL.Training;

namespace TextSSL.Cli.Commands;

/// <summary>
/// Shows a run on the console: a progress bar with ETA when interactive, one line per log interval always. Under
/// mpirun only rank 0 talks: the other ranks' console is silenced for the rest of the process (a failing rank
/// still prints its error to stderr).
/// </summary>
internal static class TrainingConsole
{
    /// <summary>
    /// Runs <paramref name="run"/>, rendering its updates; returns its result. With <paramref name="runDirectory"/>, the
    /// loss curves (<c>curves.png</c>, <c>curves.svg</c>) are redrawn beside <c>metrics.csv</c> after each evaluation
    /// and checkpoint; a failure to draw is a warning, never the end of the run.
    /// </summary>
    public static async Task<TrainingResult> RunAsync(PretrainingRun run, int steps, CancellationToken ct, string? runDirectory = null)
    {
        if (LaunchEnvironment.Detect() is { Rank: > 0 })
            AnsiConsole.Console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(TextWriter.Null) });
        var console = AnsiConsole.Console;
        var curves = new CurvesWriter(console, runDirectory);
        if (!console.Profile.Capabilities.Interactive)
            return await run.RunAsync(ct, new Reporter(u => { WriteLine(console, u); curves.Update(u); }));

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
                    curves.Update(u);
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

    /// <summary>Redraws a run's curves on evaluations and checkpoints; warns once if drawing fails.</summary>
    private sealed class CurvesWriter(IAnsiConsole console, string? runDirectory)
    {
        private bool _warned;

        public void Update(TrainingUpdate u)
        {
            if (runDirectory is null || u.Kind is not (TrainingUpdateKind.Eval or TrainingUpdateKind.Checkpoint)) return;
            try { TrainingCurves.SaveForRun(runDirectory); }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                if (_warned) return;
                _warned = true;
                console.MarkupLine($"[yellow]warning:[/] could not draw the training curves in '{Markup.Escape(runDirectory)}': {Markup.Escape(ex.Message)} (training goes on)");
            }
        }
    }

    /// <summary>Calls the handler on the reporting thread (unlike <see cref="Progress{T}"/>, which posts).</summary>
    private sealed class Reporter(Action<TrainingUpdate> handle) : IProgress<TrainingUpdate>
    {
        public void Report(TrainingUpdate value) => handle(value);
    }
}
