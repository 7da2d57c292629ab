namespace TextSSL;

/// <summary>Writes files so that a crash leaves either the old file or the new one, never a partial one.</summary>
public static class AtomicFile
{
    /// <summary>Writes through a temporary sibling file, flushes it to disk, then renames it over <paramref name="path"/>.</summary>
    public static void Write(string path, Action<Stream> write)
    {
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var temp = full + $".tmp-{Environment.ProcessId}-{Guid.NewGuid():N}";
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    /// <summary>Writes UTF-8 text (no BOM) atomically.</summary>
    public static void WriteAllText(string path, string text) =>
        Write(path, s => s.Write(new System.Text.UTF8Encoding(false).GetBytes(text)));
}

/// <summary>
/// Replaces a whole directory so that a crash leaves either the old one or the new one: the content is written into
/// a hidden sibling <c>.NAME.tmp-*</c>, then the old directory is moved aside to <c>.NAME.old-*</c>, the new one renamed
/// into place, and the old one deleted. (A reader repairing after a crash looks for exactly these names.)
/// </summary>
public static class AtomicDirectory
{
    /// <summary>Fills a temporary sibling of <paramref name="directory"/> with <paramref name="fill"/>, then swaps it in.</summary>
    public static void Write(string directory, Action<string> fill)
    {
        var full = Path.GetFullPath(directory);
        var parent = Path.GetDirectoryName(full)!;
        var name = Path.GetFileName(full);
        Directory.CreateDirectory(parent);
        var temp = Path.Combine(parent, $".{name}.tmp-{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(temp);
        try
        {
            fill(temp);
            if (Directory.Exists(full))
            {
                var old = Path.Combine(parent, $".{name}.old-{Guid.NewGuid():N}");
                Directory.Move(full, old);
                Directory.Move(temp, full);
                Directory.Delete(old, recursive: true);
            }
            else Directory.Move(temp, full);
        }
        finally
        {
            if (Directory.Exists(temp)) Directory.Delete(temp, recursive: true);
        }
    }
}
