using System.ComponentModel;
using System.Diagnostics;

namespace TextSSL.Corpora.Catalog;

/// <summary>
/// Fetches with the ordinary clients: <c>npm pack NAME@VERSION</c> and <c>apt-get download NAME=VERSION</c>, each
/// run in the target folder so that the client's own registry configuration (mirrors, proxies) applies.
/// </summary>
internal sealed class ProcessPackageClient : IPackageClient
{
    /// <inheritdoc/>
    public async Task<string> DownloadAsync(string manager, PackageRef package, string directory, CancellationToken ct)
    {
        Directory.CreateDirectory(directory);
        var before = Directory.GetFiles(directory).ToHashSet();
        var (tool, args, advice) = manager switch
        {
            "npm" => ("npm", new[] { "pack", package.Spec(manager) }, "Check that npm is installed and can reach its registry."),
            "apt" => ("apt-get", new[] { "download", package.Spec(manager) }, "Check that apt-get is available; if the package is not found, run 'apt-get update' first."),
            _ => throw new TextSslException($"unknown package manager '{manager}'."),
        };
        await RunAsync(tool, args, directory, advice, ct).ConfigureAwait(false);
        var added = Directory.GetFiles(directory).Where(f => !before.Contains(f)).ToList();
        if (added.Count != 1)
            throw new TextSslException($"'{tool} {string.Join(' ', args)}' left {added.Count} new files in '{directory}', expected one archive.");
        return added[0];
    }

    /// <inheritdoc/>
    public Task UnpackDebAsync(string deb, string directory, CancellationToken ct) =>
        RunAsync("dpkg", ["-x", deb, directory], Path.GetDirectoryName(deb)!, "dpkg is needed to unpack Debian packages.", ct);

    private static async Task RunAsync(string tool, string[] args, string directory, string advice, CancellationToken ct)
    {
        var info = new ProcessStartInfo(tool) { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) info.ArgumentList.Add(a);
        Process process;
        try { process = Process.Start(info)!; }
        catch (Win32Exception ex) { throw new TextSslException($"cannot run '{tool}': {ex.Message}. {advice}", ex); }
        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync(ct);
            var stderr = process.StandardError.ReadToEndAsync(ct);
            try { await process.WaitForExitAsync(ct).ConfigureAwait(false); }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw;
            }
            var err = (await stderr.ConfigureAwait(false)).Trim();
            await stdout.ConfigureAwait(false);
            if (process.ExitCode != 0)
                throw new TextSslException($"'{tool} {string.Join(' ', args)}' failed (exit {process.ExitCode}): {Tail(err)}. {advice}");
        }
    }

    private static string Tail(string s) => s.Length <= 600 ? s : "…" + s[^600..];
}
