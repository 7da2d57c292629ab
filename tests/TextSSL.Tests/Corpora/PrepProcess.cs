using System.Diagnostics;
using System.Text;

namespace TextSSL.Tests.Corpora;

/// <summary>
/// <c>textssl-prep</c> running as a separate process, for tests that must kill it. Its output is drained in the
/// background, so a full pipe never stalls it.
/// </summary>
internal sealed class PrepProcess : IDisposable
{
    private readonly StringBuilder _output = new();

    private PrepProcess(IEnumerable<string> args)
    {
        var dll = typeof(TextSSL.Prep.Commands.BuildCommand).Assembly.Location;
        var host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } h && File.Exists(h) ? h : "dotnet";
        var info = new ProcessStartInfo(host) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(dll);
        foreach (var a in args) info.ArgumentList.Add(a);
        info.Environment["NO_COLOR"] = "1";
        Process = new Process { StartInfo = info };
        Process.OutputDataReceived += (_, e) => Append(e.Data);
        Process.ErrorDataReceived += (_, e) => Append(e.Data);
        Process.Start();
        Process.BeginOutputReadLine();
        Process.BeginErrorReadLine();
    }

    public Process Process { get; }

    /// <summary>What the tool printed so far (stdout and stderr, interleaved).</summary>
    public string Output
    {
        get { lock (_output) return _output.ToString(); }
    }

    public static PrepProcess Start(IEnumerable<string> args) => new(args);

    /// <summary>Runs the tool to completion and returns its exit code and output.</summary>
    public static async Task<(int ExitCode, string Output)> RunAsync(IEnumerable<string> args)
    {
        using var p = Start(args);
        await p.Process.WaitForExitAsync();
        return (p.Process.ExitCode, p.Output);
    }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (_output) _output.AppendLine(line);
    }

    public void Dispose()
    {
        if (!Process.HasExited) Process.Kill(entireProcessTree: true);
        Process.Dispose();
    }
}
