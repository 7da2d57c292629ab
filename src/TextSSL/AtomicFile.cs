namespace TextSSL;

/// <summary>Writes files so that a crash leaves either the old file or the new one, never a partial one.</summary>
internal static class AtomicFile
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
/// a hidden sibling <c>.NAME.tmp-PID-*</c>, then the old directory is moved aside to <c>.NAME.old-PID-*</c>, the new one
/// renamed into place, and the old one deleted. Only a directory TextSSL wrote is ever replaced (see
/// <see cref="OutputOwnership"/>); an empty one is filled; anything else is refused before any work starts.
/// Leftovers of a crash during a swap are recovered by <see cref="Recover"/>, which every write runs first.
/// </summary>
internal static class AtomicDirectory
{
    /// <summary>
    /// Fills a temporary sibling of <paramref name="directory"/> with <paramref name="fill"/>, then swaps it in. The
    /// kind is recognised from what <paramref name="fill"/> wrote (a tokenizer, a checkpoint); an existing directory is
    /// replaced only when TextSSL wrote it (any kind: callers that must not replace another kind check first).
    /// </summary>
    /// <exception cref="TextSslException">The directory holds something TextSSL did not write, or is a file.</exception>
    public static void Write(string directory, Action<string> fill) => Write(directory, null, fill);

    /// <summary>
    /// Fills a temporary sibling of <paramref name="directory"/> with <paramref name="fill"/>, then swaps it in. An
    /// existing directory is replaced only when TextSSL wrote it as <paramref name="kind"/> (null: recognised from what
    /// <paramref name="fill"/> wrote). Kinds without a manifest of their own get the owner marker.
    /// </summary>
    /// <exception cref="TextSslException">The directory holds something TextSSL did not write, or is a file.</exception>
    public static void Write(string directory, OutputKind? kind, Action<string> fill)
    {
        var (full, temp) = Begin(directory, kind);
        try
        {
            fill(temp);
            Commit(full, temp, kind);
        }
        finally
        {
            if (Directory.Exists(temp)) Directory.Delete(temp, recursive: true); // created by Begin for this call
        }
    }

    /// <summary>The asynchronous form of <see cref="Write(string, OutputKind?, Action{string})"/>.</summary>
    /// <exception cref="TextSslException">The directory holds something TextSSL did not write, or is a file.</exception>
    public static async Task WriteAsync(string directory, OutputKind? kind, Func<string, Task> fill)
    {
        var (full, temp) = Begin(directory, kind);
        try
        {
            await fill(temp).ConfigureAwait(false);
            Commit(full, temp, kind);
        }
        finally
        {
            if (Directory.Exists(temp)) Directory.Delete(temp, recursive: true); // created by Begin for this call
        }
    }

    private static (string Full, string Temp) Begin(string directory, OutputKind? kind)
    {
        var full = Path.GetFullPath(directory);
        var parent = Path.GetDirectoryName(full) ?? throw new TextSslException($"'{full}' is a root directory; write the output into a directory below it.");
        OutputChecks.EnsureDirectoryPath(full);
        Recover(full);
        // refuse before any work: a directory TextSSL did not write is never replaced
        OutputOwnership.EnsureReplaceable(full, kind);
        Directory.CreateDirectory(parent);
        var temp = Path.Combine(parent, $".{Path.GetFileName(full)}.tmp-{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(temp);
        return (full, temp);
    }

    private static void Commit(string full, string temp, OutputKind? kind)
    {
        var recognised = OutputOwnership.KindOf(temp);
        var written = kind ?? recognised ?? OutputKind.Other;
        // kinds recognised by their own files get no marker (a tokenizer's fingerprint covers every file in it)
        if (recognised != written) OutputOwnership.Mark(temp, written);
        if (Directory.Exists(full))
        {
            // an explicit kind replaces only that kind; a kind recognised from the content (the library's own formats,
            // which may gain files between versions) replaces any directory TextSSL wrote
            OutputOwnership.EnsureReplaceable(full, kind);
            if (OutputOwnership.IsEmpty(full)) Directory.Delete(full); // not recursive: fails if something appeared meanwhile
            else
            {
                var parent = Path.GetDirectoryName(full)!;
                var old = Path.Combine(parent, $".{Path.GetFileName(full)}.old-{Environment.ProcessId}-{Guid.NewGuid():N}");
                Directory.Move(full, old);
                Directory.Move(temp, full);
                Directory.Delete(old, recursive: true); // checked above: TextSSL wrote it
                return;
            }
        }
        Directory.Move(temp, full);
    }

    /// <summary>
    /// Repairs what a crash during <see cref="Write(string, OutputKind?, Action{string})"/> can leave beside <paramref name="directory"/>: when the directory
    /// is missing, a complete new copy (<c>.NAME.tmp-*</c> that TextSSL recognises as finished) or else the copy moved
    /// aside (<c>.NAME.old-*</c>) is renamed back into place; then leftovers of processes that no longer run are
    /// deleted. Leftovers of a live process (a write in progress) are left alone.
    /// </summary>
    /// <returns>Whether the directory exists afterwards.</returns>
    public static bool Recover(string directory)
    {
        var full = Path.GetFullPath(directory);
        var parent = Path.GetDirectoryName(full);
        if (parent is null || !Directory.Exists(parent)) return false;
        var name = Path.GetFileName(full);
        var temps = Leftovers(parent, name, "tmp");
        var olds = Leftovers(parent, name, "old");
        if (!Directory.Exists(full) && !File.Exists(full))
        {
            // a temp copy is finished once it is recognisably TextSSL's: its marker or manifest is written last
            var finished = temps.Where(t => OutputOwnership.KindOf(t) is not null).OrderByDescending(Directory.GetLastWriteTimeUtc).FirstOrDefault();
            var source = finished ?? olds.OrderByDescending(Directory.GetLastWriteTimeUtc).FirstOrDefault();
            if (source is not null)
            {
                Directory.Move(source, full);
                temps.Remove(source);
                olds.Remove(source);
            }
        }
        foreach (var leftover in temps.Concat(olds)) Directory.Delete(leftover, recursive: true); // ours by name, and its writer is gone
        return Directory.Exists(full);
    }

    /// <summary>Leftover swap directories of <paramref name="name"/> whose writing process no longer runs.</summary>
    private static List<string> Leftovers(string parent, string name, string stage)
    {
        var result = new List<string>();
        foreach (var dir in Directory.GetDirectories(parent, $".{name}.{stage}-*"))
        {
            var rest = Path.GetFileName(dir)[$".{name}.{stage}-".Length..];
            var dash = rest.IndexOf('-');
            // names without a process id come from older versions, which wrote only under a lock-free single writer
            if (dash > 0 && int.TryParse(rest[..dash], out var pid) && ProcessIsAlive(pid)) continue;
            result.Add(dir);
        }
        return result;
    }

    private static bool ProcessIsAlive(int pid)
    {
        if (pid == Environment.ProcessId) return true;
        try
        {
            using var p = System.Diagnostics.Process.GetProcessById(pid);
            return !p.HasExited;
        }
        catch (ArgumentException) { return false; }
        catch (InvalidOperationException) { return false; }
    }
}
