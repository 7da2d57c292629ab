using System.CommandLine;
using System.Text.RegularExpressions;
using Spectre.Console;
using TextSSL.Interop;
using TextSSL.Runtime;

namespace TextSSL.Cli;

/// <summary>
/// Runs a command line so that every failure is one line on stderr and a non-zero exit code, never a stack trace:
/// user and data errors (<see cref="TextSslException"/>, I/O, permission and corrupt-data errors) exit 1; Ctrl-C
/// cancels the token and exits 130; anything unexpected prints "internal error: … (please report)" and exits 70, with
/// the stack trace only when the environment variable <c>TEXTSSL_DEBUG=1</c> is set.
/// </summary>
public static class CliHost
{
    /// <summary>Exit code of a user, data or environment error.</summary>
    public const int UserError = 1;

    /// <summary>Exit code of an internal error (a bug): sysexits' EX_SOFTWARE.</summary>
    public const int InternalError = 70;

    /// <summary>Exit code after Ctrl-C.</summary>
    public const int Cancelled = 130;

    /// <summary>Parses and invokes <paramref name="args"/> against <paramref name="root"/>.</summary>
    /// <param name="root">The command tree.</param>
    /// <param name="args">The command line.</param>
    /// <param name="programName">
    /// The name help and parse errors give the program (<c>textssl</c>): System.CommandLine names the root after the
    /// executable, which is <c>TextSSL.Cli</c> when run by <c>dotnet</c> or as a .NET tool. Null keeps that name.
    /// </param>
    public static async Task<int> RunAsync(RootCommand root, string[] args, string? programName = null)
    {
        // Ctrl-C cancels the token; commands get time to finish what they write (training saves a checkpoint) before the process is ended.
        var config = new InvocationConfiguration { EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = TimeSpan.FromMinutes(2) };
        var parse = root.Parse(args);
        // Help, --version and parse errors print through these writers and are renamed as a whole once they are done. A
        // command's own action writes straight to the console (which flushes every write), so what it streams — generated
        // text, an interactive prompt, progress — reaches a terminal, file or pipe as it is produced, not at exit.
        var rename = programName is not null && programName != RootCommand.ExecutableName && !IsCommandAction(parse);
        StringWriter? output = rename ? new StringWriter() : null, error = rename ? new StringWriter() : null;
        if (rename)
        {
            config.Output = output!;
            config.Error = error!;
        }
        try
        {
            return await parse.InvokeAsync(config);
        }
        catch (Exception ex)
        {
            return Report(ex, parse.CommandResult.Command);
        }
        finally
        {
            if (rename)
            {
                var pattern = new Regex($@"(?<![\w.-]){Regex.Escape(RootCommand.ExecutableName)}(?=\s|$)", RegexOptions.Multiline);
                Console.Out.Write(pattern.Replace(output!.ToString(), programName!));
                Console.Error.Write(pattern.Replace(error!.ToString(), programName!));
            }
        }
    }

    /// <summary>Whether the parse runs a command's own action (not help, --version or a parse error's report).</summary>
    internal static bool IsCommandAction(ParseResult parse) =>
        parse.Errors.Count == 0 && parse.Action is { } action && ReferenceEquals(action, parse.CommandResult.Command.Action);

    /// <summary>Prints <paramref name="exception"/> as one line on stderr and returns the exit code for it.</summary>
    /// <param name="exception">What went wrong.</param>
    /// <param name="command">The command that ran, whose flags an option error names; null for the common spellings.</param>
    public static int Report(Exception exception, Command? command = null)
    {
        var ex = Unwrap(exception);
        if (ex is OperationCanceledException)
        {
            Console.Error.WriteLine("cancelled.");
            return Cancelled;
        }
        if (ex is TextSslException user)
        {
            WriteError(user, command);
            return UserError;
        }
        if (Translate(ex) is { } message)
        {
            WriteLine($"error: {message}", exception);
            return UserError;
        }
        WriteLine($"internal error: {ex.GetType().Name}: {Clause(ex.Message)} (please report this, with the command; set TEXTSSL_DEBUG=1 for the stack trace)", exception);
        return InternalError;
    }

    /// <summary>Prints a user-facing error without a stack trace; an option error names <paramref name="command"/>'s flags.</summary>
    public static void WriteError(TextSslException ex, Command? command = null)
    {
        var message = ex switch
        {
            OptionException option => option.MessageWith(name => OptionFlags.For(name, command)),
            HuggingFaceDirectoryException hf => $"'{hf.Directory}' is a Hugging Face model directory (config.json with safetensors weights), not a TextSSL checkpoint: " +
                                                $"import it first with `textssl import --format hf {hf.Directory} --out CHECKPOINT` and give CHECKPOINT (train --init-from takes the directory as it is).",
            _ => ex.Message,
        };
        WriteLine($"error: {OneLine(message)}", ex);
        if (ex is NativeLoadException) Console.Error.WriteLine("run `textssl doctor` for the full environment report.");
    }

    /// <summary>One line for an I/O, permission or data error that escaped the library, or null for anything else.</summary>
    internal static string? Translate(Exception ex) => ex switch
    {
        FileNotFoundException f => $"file not found: '{f.FileName ?? Clause(f.Message)}'. Check the path.",
        DirectoryNotFoundException d => $"{Clause(d.Message)}. Check the path; a directory on it does not exist.",
        UnauthorizedAccessException u => $"permission denied: {Clause(u.Message)}. Check the file's permissions, or choose a path you can write to.",
        PathTooLongException p => $"{Clause(p.Message)}. Use a shorter path.",
        InvalidDataException i => $"a truncated or corrupt compressed file or archive ({Clause(i.Message)}). Download or compress it again.",
        EndOfStreamException e => $"a file ends early, it is truncated ({Clause(e.Message)}). Write or download it again.",
        IOException io => IoMessage(io),
        _ => null,
    };

    private static string IoMessage(IOException io)
    {
        var reason = OutputChecks.Reason(io);
        var message = Clause(io.Message);
        return reason switch
        {
            "no space left on the device" => $"no space left on the device ({message}). Free some space or write the output elsewhere.",
            "read-only file system" => $"read-only file system ({message}). Write the output to a writable directory.",
            "permission denied" => $"permission denied ({message}). Check the permissions, or choose a path you can write to.",
            "a part of the path is a file, not a directory" => $"a part of the path is a file, not a directory ({message}). Choose another path.",
            _ => $"input/output error: {message}.",
        };
    }

    private static void WriteLine(string line, Exception ex)
    {
        // plain text: a console renderer would wrap a long message at the terminal width, making one line several
        if (!Console.IsErrorRedirected && line.StartsWith("error:", StringComparison.Ordinal))
        {
            var err = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
            err.Profile.Width = int.MaxValue / 2;
            err.MarkupLine($"[red]error:[/]{Markup.Escape(line["error:".Length..])}");
        }
        else Console.Error.WriteLine(line);
        if (Environment.GetEnvironmentVariable("TEXTSSL_DEBUG") == "1") Console.Error.WriteLine(ex.ToString());
    }

    private static string OneLine(string message) => message.ReplaceLineEndings(" ").Trim();

    private static string Clause(string message)
    {
        var line = OneLine(message);
        return line.EndsWith('.') ? line[..^1] : line;
    }

    private static Exception Unwrap(Exception ex)
    {
        while (ex is AggregateException or TypeInitializationException or System.Reflection.TargetInvocationException && ex.InnerException is not null)
        {
            if (ex is AggregateException { InnerExceptions.Count: > 1 } many && many.InnerExceptions.FirstOrDefault(e => e is TextSslException) is { } user) return user;
            ex = ex.InnerException!;
        }
        if (ex is TypeInitializationException or DllNotFoundException)
        {
            var (problem, advice) = TorchRuntime.Diagnose(ex);
            return new NativeLoadException(problem, advice, ex);
        }
        return ex;
    }
}
