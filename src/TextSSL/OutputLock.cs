using System.Globalization;

namespace TextSSL;

/// <summary>
/// Exclusive ownership of an output directory for the lifetime of a run: an operating-system lock on
/// <c>DIR/.textssl.lock</c> (an exclusive open, which .NET backs with <c>flock</c> on Unix and a share-mode lock on
/// Windows). The lock dies with the process, so a run killed with <c>kill -9</c> never leaves a stale lock behind (its
/// files stay, unlocked, and the next run takes them over); a run that ends normally deletes them. Who holds it —
/// process id, host, purpose, start time, command — is written beside it in <c>DIR/.textssl.lock.holder</c> (the lock
/// file itself cannot be read while locked), so a second run fails at once and names the holder.
/// </summary>
internal sealed class OutputLock : IDisposable
{
    /// <summary>The file that is locked.</summary>
    public const string LockFile = ".textssl.lock";

    /// <summary>The file naming the current holder (readable while the lock is held).</summary>
    public const string HolderFile = LockFile + ".holder";

    private readonly FileStream _stream;
    private readonly string _holderPath;

    private OutputLock(FileStream stream, string holderPath, string directory)
    {
        _stream = stream;
        _holderPath = holderPath;
        Directory = directory;
    }

    /// <summary>The locked directory.</summary>
    public string Directory { get; }

    /// <summary>
    /// Takes the lock on <paramref name="directory"/> (created if missing) for <paramref name="purpose"/> (a few words
    /// shown to a second run, e.g. "prep build"). Fails at once, without waiting, when another run holds it.
    /// </summary>
    /// <exception cref="TextSslException">Another run holds the directory, or it cannot be created or written.</exception>
    public static OutputLock Acquire(string directory, string purpose) =>
        AcquireAt(Path.GetFullPath(directory), Path.Combine(Path.GetFullPath(directory), LockFile), purpose);

    /// <summary>
    /// Takes the lock for a directory that is replaced whole (a tokenizer directory written by
    /// <see cref="AtomicDirectory"/>): the lock file lives beside it, <c>PARENT/.NAME.textssl.lock</c>, so the swap
    /// does not move it away.
    /// </summary>
    /// <exception cref="TextSslException">Another run holds the directory, or its parent cannot be created or written.</exception>
    public static OutputLock AcquireBeside(string directory, string purpose)
    {
        var full = Path.GetFullPath(directory);
        var parent = Path.GetDirectoryName(full) ?? throw new TextSslException($"'{full}' is a root directory; write the output into a directory below it.");
        return AcquireAt(full, Path.Combine(parent, $".{Path.GetFileName(full)}{LockFile}"), purpose);
    }

    private static OutputLock AcquireAt(string directory, string lockPath, string purpose)
    {
        var lockDir = Path.GetDirectoryName(lockPath)!;
        OutputChecks.EnsureDirectoryPath(lockDir);
        try
        {
            System.IO.Directory.CreateDirectory(lockDir);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new TextSslException($"cannot create '{lockDir}': {OutputChecks.Reason(ex)}. Choose a directory you can write to.", ex);
        }
        var holderPath = lockPath + ".holder";
        FileStream? stream = null;
        for (var attempt = 0; stream is null; attempt++)
        {
            try
            {
                stream = new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (UnauthorizedAccessException ex)
            {
                throw new TextSslException($"cannot write in '{lockDir}': permission denied. Choose a directory you can write to.", ex);
            }
            catch (IOException ex) when (System.IO.File.Exists(lockPath))
            {
                throw new TextSslException($"'{directory}' is in use by another run ({Holder(holderPath)}). Wait for it to finish, or choose another output directory.", ex);
            }
            catch (IOException ex)
            {
                throw new TextSslException($"cannot write in '{lockDir}': {OutputChecks.Reason(ex)}. Choose a directory you can write to.", ex);
            }
            // A releasing holder deletes the file while it still holds it; a run that opened the file just before
            // then locks a file no longer at the path. Give the locked file a length of our own and look at the path:
            // if it does not show that length, the lock is on a deleted file, so try again on the current one.
            var mark = Random.Shared.Next(1, 1 << 16);
            stream.SetLength(mark);
            var atPath = new FileInfo(lockPath);
            if (atPath.Exists && atPath.Length == mark) break;
            stream.Dispose();
            stream = null;
            if (attempt == 3) throw new TextSslException($"'{directory}' is in use by another run ({Holder(holderPath)}). Wait for it to finish, or choose another output directory.");
        }
        try
        {
            var args = Environment.GetCommandLineArgs();
            var command = string.Join(' ', args.Length > 1 ? args.Skip(1) : args);
            var text = string.Create(CultureInfo.InvariantCulture,
                $"pid {Environment.ProcessId} on {Environment.MachineName}, {purpose}, started {DateTime.UtcNow:yyyy-MM-dd HH:mm:ss} UTC, command: {command}\n");
            AtomicFile.WriteAllText(holderPath, text);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            stream.Dispose();
            throw new TextSslException($"cannot write in '{lockDir}': {OutputChecks.Reason(ex)}. Choose a directory you can write to.", ex);
        }
        return new OutputLock(stream, holderPath, directory);
    }

    private static string Holder(string holderPath)
    {
        try
        {
            var text = System.IO.File.ReadAllText(holderPath).Trim();
            return text.Length == 0 ? "holder unknown" : text;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return "holder unknown";
        }
    }

    /// <summary>
    /// Releases the lock (the operating system also releases it when the process ends): the holder file and the lock
    /// file are deleted while the lock is still held, then the lock is let go.
    /// </summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        try
        {
            if (System.IO.File.Exists(_holderPath)) System.IO.File.Delete(_holderPath);
            System.IO.File.Delete(_stream.Name);
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        _stream.Dispose();
    }

    private bool _disposed;
}
