using System.Text;

namespace TextSSL.Cli;

/// <summary>
/// How the command line spells the library's option names: a property <c>BatchSize</c> is the flag <c>--batch-size</c>
/// unless a command registered another spelling (<c>LearningRate</c> → <c>--lr</c>). Used to print
/// <see cref="OptionException"/> messages in the CLI's own words.
/// </summary>
public static class OptionFlags
{
    private static readonly Dictionary<string, string> Overrides = new(StringComparer.Ordinal);
    private static readonly Lock Gate = new();

    /// <summary>Registers the flag that stands for a library option name where the kebab-case default is not it.</summary>
    public static void Register(string optionName, string flag)
    {
        lock (Gate) Overrides[optionName] = flag;
    }

    /// <summary>The flag for a library option name.</summary>
    public static string For(string optionName)
    {
        lock (Gate)
            if (Overrides.TryGetValue(optionName, out var flag)) return flag;
        return "--" + KebabCase(optionName);
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
