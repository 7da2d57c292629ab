using System.CommandLine;
using System.Reflection;
using TextSSL.Cli;
using TextSSL.Tests.Tokenization;
using TextSSL.Training;

namespace TextSSL.Tests.Cli;

/// <summary>
/// An option error names the flag of the command that ran: the library reports a property (<c>BatchSize</c>) and the
/// CLI spells it as that command does (<c>bench train-overhead --batch</c>, <c>train --batch-size</c>).
/// </summary>
public class OptionFlagTests
{
    /// <summary>Every command of the CLI with its path (<c>bench train-overhead</c>).</summary>
    private static IEnumerable<(string Path, Command Command)> Commands(Command command, string path)
    {
        yield return (path, command);
        foreach (var sub in command.Subcommands)
            foreach (var c in Commands(sub, path.Length == 0 ? sub.Name : $"{path} {sub.Name}")) yield return c;
    }

    /// <summary>The property names of the library's option records (<c>BatchSize</c>, <c>PadVocabTo</c>, ...).</summary>
    private static IEnumerable<string> LibraryOptionNames() =>
        typeof(PretrainingOptions).Assembly.GetExportedTypes()
            .Where(t => t.Name.EndsWith("Options", StringComparison.Ordinal))
            .SelectMany(t => t.GetProperties(BindingFlags.Public | BindingFlags.Instance))
            .Select(p => p.Name).Distinct();

    private static readonly string[] UnitSuffixes = ["-size", "-to", "-count"];

    private static HashSet<string> FlagsOf(Command command)
    {
        var flags = new HashSet<string>(StringComparer.Ordinal);
        for (Command? c = command; c is not null; c = c.Parents.OfType<Command>().FirstOrDefault())
            foreach (var o in c.Options)
            {
                flags.Add(o.Name);
                foreach (var a in o.Aliases) flags.Add(a);
            }
        return flags;
    }

    [Test]
    public void A_command_that_spells_a_library_option_shorter_names_its_own_flag_in_errors()
    {
        var root = CliApp.CreateRootCommand();
        var wrong = new List<string>();
        foreach (var (path, command) in Commands(root, ""))
        {
            var flags = FlagsOf(command);
            foreach (var name in LibraryOptionNames())
            {
                var kebab = "--" + OptionFlags.KebabCase(name);
                if (flags.Contains(kebab)) continue;
                // "--batch" for BatchSize, "--block" for BlockSize, "--pad-vocab" for PadVocabTo: the command's own flag
                // is the property's name without its unit word
                var shorter = flags.Where(f => f.StartsWith("--", StringComparison.Ordinal) && UnitSuffixes.Any(u => kebab == f + u)).ToList();
                if (shorter.Count == 1 && OptionFlags.For(name, command) != shorter[0])
                    wrong.Add($"{path}: {name} is printed as {OptionFlags.For(name, command)}, but the command's flag is {shorter[0]}");
            }
            foreach (var (name, flag) in OptionFlags.RegisteredFor(command))
                if (!flags.Contains(flag)) wrong.Add($"{path}: {name} is registered as {flag}, which the command does not have");
        }
        Assert.That(wrong, Is.Empty);
    }

    [TestCase("bench train-overhead", "--batch", "--batch-size")]
    [TestCase("bench train-overhead", "--block", "--block-size")]
    [TestCase("bench cpu", "--batch", "--batch-size")]
    [TestCase("bench cpu", "--block", "--block-size")]
    public async Task A_bad_value_is_reported_with_the_benchmarks_own_flag(string command, string flag, string foreign)
    {
        string[] args = [.. command.Split(' '), "--data", TestText.MobyDickPath, flag, "0"];
        var (code, error) = await Run(args);
        Assert.That(code, Is.EqualTo(CliHost.UserError), error);
        Assert.That(error, Does.Contain(flag + " ").And.Not.Contain(foreign));
        Assert.That(error.TrimEnd().Split('\n'), Has.Length.EqualTo(1), "one line");
    }

    [Test]
    public async Task Train_still_names_its_own_batch_size_flag()
    {
        var (code, error) = await Run("train", "--data", TestText.MobyDickPath, "--batch-size", "0", "--out", Path.Combine(Path.GetTempPath(), "textssl-never-" + Guid.NewGuid()));
        Assert.That(code, Is.EqualTo(CliHost.UserError));
        Assert.That(error, Does.Contain("--batch-size"));
    }

    private static async Task<(int Code, string Error)> Run(params string[] args)
    {
        var (originalOut, originalError) = (Console.Out, Console.Error);
        var error = new StringWriter();
        Console.SetOut(new StringWriter());
        Console.SetError(error);
        try { return (await CliHost.RunAsync(CliApp.CreateRootCommand(), args, programName: "textssl"), error.ToString()); }
        finally
        {
            Console.SetOut(originalOut);
            Console.SetError(originalError);
        }
    }
}
