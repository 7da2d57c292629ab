namespace TextSSL;

/// <summary>Checks, before long work starts, that an output can be written where the user asked.</summary>
internal static class OutputChecks
{
    /// <summary>
    /// Creates <paramref name="directory"/> if needed and proves it writable by creating and deleting a small probe file,
    /// so a run fails in its first second rather than after hours of work.
    /// </summary>
    /// <param name="directory">The output directory.</param>
    /// <param name="optionName">The option that named it (property name, e.g. <c>OutputDirectory</c>), for the message.</param>
    /// <exception cref="OptionException">The path is a file, lies under a file, or cannot be created or written (read-only, no permission, disk full).</exception>
    public static void EnsureWritable(string directory, string optionName)
    {
        var full = Path.GetFullPath(directory);
        try
        {
            EnsureDirectoryPath(full);
        }
        catch (TextSslException ex)
        {
            throw new OptionException(optionName, $"{optionName}: {ex.Message}");
        }
        var probe = Path.Combine(full, $".textssl-write-probe-{Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            Directory.CreateDirectory(full);
            using (var s = new FileStream(probe, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose))
            {
                s.WriteByte(0);
                s.Flush(flushToDisk: true);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new OptionException(optionName, $"{optionName} '{full}' cannot be written: {Reason(ex)}. Choose a directory you can write to.");
        }
        finally
        {
            try { if (File.Exists(probe)) File.Delete(probe); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    /// <summary>Throws when <paramref name="directory"/> is an existing file or lies under one (so it can never be a directory).</summary>
    /// <exception cref="TextSslException">The path, or one of its parents, is a file.</exception>
    public static void EnsureDirectoryPath(string directory)
    {
        var full = Path.GetFullPath(directory);
        if (File.Exists(full)) throw new TextSslException($"'{full}' is a file, not a directory. Choose a directory path.");
        for (var parent = Path.GetDirectoryName(full); parent is not null; parent = Path.GetDirectoryName(parent))
        {
            if (Directory.Exists(parent)) return;
            if (File.Exists(parent)) throw new TextSslException($"'{full}' lies under '{parent}', which is a file, not a directory. Choose another path.");
        }
    }

    /// <summary>A short reason for an I/O failure: "permission denied", "read-only file system", "no space left on device", ….</summary>
    public static string Reason(Exception ex)
    {
        if (ex is UnauthorizedAccessException) return "permission denied";
        var message = ex.Message;
        // errno texts .NET puts into IOException messages on Unix; HResult carries errno there
        var code = ex.HResult & 0xFFFF;
        if (code == 28 || message.Contains("No space left", StringComparison.OrdinalIgnoreCase) || message.Contains("disk full", StringComparison.OrdinalIgnoreCase)) return "no space left on the device";
        if (code == 30 || message.Contains("Read-only file system", StringComparison.OrdinalIgnoreCase)) return "read-only file system";
        if (code == 13 || code == 1 || message.Contains("denied", StringComparison.OrdinalIgnoreCase) || message.Contains("not permitted", StringComparison.OrdinalIgnoreCase)) return "permission denied";
        if (code == 20 || message.Contains("Not a directory", StringComparison.OrdinalIgnoreCase)) return "a part of the path is a file, not a directory";
        return FirstLine(message);
    }

    /// <summary>The first line of a message, without a trailing period.</summary>
    public static string FirstLine(string message)
    {
        var line = message.Split('\n')[0].Trim();
        return line.EndsWith('.') ? line[..^1] : line;
    }
}
