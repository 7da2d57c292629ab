using System.CommandLine;
using System.Runtime.CompilerServices;
using System.Text;

namespace TextSSL.Cli;

/// <summary>
/// How the command line spells the library's option names: a property <c>BatchSize</c> is the flag <c>--batch-size</c>
/// unless a spelling was registered (<c>LearningRate</c> → <c>--lr</c>), for every command or for one command (the
/// benchmarks' <c>--batch</c>). Used to print <see cref="OptionException"/> messages in the running command's own words.
/// </summary>
public static class OptionFlags
{
    private static readonly Dictionary<string, string> Overrides = new(StringComparer.Ordinal);
    private static readonly ConditionalWeakTable<Command, Dictionary<string, string>> PerCommand = [];
    private static readonly Lock Gate = new();

    /// <summary>Registers the flag that stands for a library option name where the kebab-case default is not it.</summary>
    public static void Register(string optionName, string flag)
    {
        lock (Gate) Overrides[optionName] = flag;
    }

    /// <summary>
    /// Registers the flag that stands for a library option name in <paramref name="command"/> (and its subcommands) only,
    /// where that command spells it unlike the others (<c>bench train-overhead --batch</c> for <c>BatchSize</c>).
    /// </summary>
    public static void Register(Command command, string optionName, string flag)
    {
        ArgumentNullException.ThrowIfNull(command);
        lock (Gate) PerCommand.GetOrCreateValue(command)[optionName] = flag;
    }

    /// <summary>The flag for a library option name.</summary>
    public static string For(string optionName) => For(optionName, null);

    /// <summary>The flag for a library option name in <paramref name="command"/>: its own spelling, a parent's, the common one, or the kebab-case name.</summary>
    public static string For(string optionName, Command? command)
    {
        lock (Gate)
        {
            for (var c = command; c is not null; c = c.Parents.OfType<Command>().FirstOrDefault())
                if (PerCommand.TryGetValue(c, out var own) && own.TryGetValue(optionName, out var ownFlag)) return ownFlag;
            if (Overrides.TryGetValue(optionName, out var flag)) return flag;
        }
        return "--" + KebabCase(optionName);
    }

    /// <summary>The per-command spellings registered for <paramref name="command"/>, for checks.</summary>
    public static IReadOnlyDictionary<string, string> RegisteredFor(Command command)
    {
        lock (Gate) return PerCommand.TryGetValue(command, out var own) ? new Dictionary<string, string>(own) : new Dictionary<string, string>();
    }

    /// <summary><c>BatchSize</c> → <c>batch-size</c>; <c>Beta1</c> → <c>beta1</c>.</summary>
    public static string KebabCase(string name)
    {
        var sb = new StringBuilder(name.Length + 4);
        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            if (char.IsUpper(c))
            {
                if (i > 0 && (char.IsLower(name[i - 1]) || (i + 1 < name.Length && char.IsLower(name[i + 1]) && char.IsUpper(name[i - 1])))) sb.Append('-');
                sb.Append(char.ToLowerInvariant(c));
            }
            else sb.Append(c);
        }
        return sb.ToString();
    }
}
