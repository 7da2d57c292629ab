using Spectre.Console;
using TextSSL.Corpora;

namespace TextSSL.Prep.Commands;

/// <summary>A Spectre.Console progress bar over input bytes, with throughput and ETA.</summary>
internal static class ProgressView
{
    public static async Task<T> RunAsync<T>(string title, Func<IProgress<BuildProgress>, CancellationToken, Task<T>> work, CancellationToken ct)
    {
        T result = default!;
        await AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new TransferSpeedColumn(), new RemainingTimeColumn())
            .StartAsync(async ctx =>
            {
                var task = ctx.AddTask(title, maxValue: 1);
                var progress = new Sink(task, title);
                result = await work(progress, ct);
                task.Value = task.MaxValue;
                task.StopTask();
            });
        return result;
    }

    private sealed class Sink(ProgressTask task, string title) : IProgress<BuildProgress>
    {
        public void Report(BuildProgress p)
        {
            if (p.TotalBytes > 0) task.MaxValue = p.TotalBytes;
            else task.IsIndeterminate = true;
            task.Value = Math.Min(p.BytesRead, task.MaxValue);
            task.Description = p.Replaying
                ? $"{title}: replaying {p.DocumentsRead:N0} docs"
                : $"{title}: {p.DocumentsKept:N0} docs, {p.Tokens:N0} tokens";
        }
    }
}
