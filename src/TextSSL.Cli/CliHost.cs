using System.CommandLine;
using Spectre.Console;
using TextSSL.Runtime;

namespace TextSSL.Cli;

/// <summary>Runs a command line: user errors print as one clear message and exit 1; Ctrl-C cancels the token.</summary>
public static class CliHost
{
    /// <summary>Parses and invokes <paramref name="args"/> against <paramref name="root"/>.</summary>
    public static async Task<int> RunAsync(RootCommand root, string[] args)
    {
        // Ctrl-C cancels the token; commands get time to finish what they write (training saves a checkpoint) before the process is ended.
        var config = new InvocationConfiguration { EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = TimeSpan.FromMinutes(2) };
        try
        {
            return await root.Parse(args).InvokeAsync(config);
        }
        catch (Exception ex) when (Unwrap(ex) is TextSslException user)
        {
            WriteError(user);
            return 1;
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine("cancelled.");
            return 130;
        }
    }

    /// <summary>Prints a user-facing error without a stack trace.</summary>
    public static void WriteError(TextSslException ex)
    {
        var err = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        var message = ex is OptionException option ? option.MessageWith(OptionFlags.For) : ex.Message;
        err.MarkupLine($"[red]error:[/] {Markup.Escape(message)}");
        if (ex is NativeLoadException) err.MarkupLine("[grey]run `textssl doctor` for the full environment report.[/]");
    }

    private static Exception Unwrap(Exception ex)
    {
        while (ex is AggregateException or TypeInitializationException or System.Reflection.TargetInvocationException && ex.InnerException is not null)
            ex = ex.InnerException!;
        if (ex is TypeInitializationException or DllNotFoundException)
        {
            var (problem, advice) = TorchRuntime.Diagnose(ex);
            return new NativeLoadException(problem, advice, ex);
        }
        return ex;
    }
}
