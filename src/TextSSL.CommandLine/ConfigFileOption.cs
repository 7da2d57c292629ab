using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Parsing;
using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;

namespace TextSSL.Cli;

/// <summary>
/// <c>--config FILE</c> for any command whose run writes its resolved options record as <c>config.json</c>
/// (train, probe, prep build): the file is the base, and only the options and arguments typed on the command line
/// (not their defaults) replace its values. Each option says where it is created which property of the record it sets
/// (<see cref="Sets{T}"/>), so there is no separate flag table to keep in step.
/// </summary>
public static class ConfigFileOption
{
    private static readonly ConditionalWeakTable<Symbol, List<string[]>> Places = new();

    /// <summary>
    /// Declares that <paramref name="symbol"/> sets the property at <paramref name="propertyPath"/> of the command's
    /// options record (property names, outermost first: <c>nameof(Optimization), nameof(LearningRate)</c>). A symbol may
    /// set several properties (one flag for two seeds).
    /// </summary>
    public static T Sets<T>(this T symbol, params string[] propertyPath) where T : Symbol
    {
        if (propertyPath.Length == 0) throw new ArgumentException("name at least one property.", nameof(propertyPath));
        Places.GetOrCreateValue(symbol).Add(propertyPath);
        return symbol;
    }

    /// <summary>
    /// Adds <c>--config</c> to <paramref name="command"/>. <paramref name="requiredWithoutConfig"/> (options the
    /// command otherwise requires, such as <c>--data</c>) are then required only when no configuration is given.
    /// </summary>
    /// <param name="command">The command.</param>
    /// <param name="what">What the file holds, for the help text (e.g. "a probe's config.json").</param>
    /// <param name="requiredWithoutConfig">Options the configuration file can supply.</param>
    public static Option<string?> Add(Command command, string what, params Option[] requiredWithoutConfig)
    {
        var config = new Option<string?>("--config")
        {
            Description = $"Repeat a run: {what} (every run writes its full resolved configuration as {ConfigFile.FileName} into its output directory), or that directory. " +
                          "Its values are the base; options typed here override them.",
        };
        command.Options.Add(config);
        foreach (var option in requiredWithoutConfig)
        {
            option.Required = false;
            option.Description += " Required unless --config gives it.";
        }
        command.Validators.Add(r =>
        {
            if (r.GetResult(config) is not null) return;
            foreach (var option in requiredWithoutConfig)
                if (r.GetResult(option) is null) r.AddError($"Option '{option.Name}' is required (or give --config FILE).");
        });
        return config;
    }

    /// <summary>
    /// <paramref name="file"/> (a configuration's JSON) with the value of every option and argument the user typed put
    /// over it, taken from <paramref name="fromFlags"/>: the same record built from the command line alone, as JSON.
    /// </summary>
    /// <exception cref="InvalidOperationException">A typed symbol declares no property (a bug of the command).</exception>
    public static JsonObject Overlay(JsonObject file, JsonObject fromFlags, ParseResult parse)
    {
        var result = (JsonObject)file.DeepClone();
        foreach (var symbol in Symbols(parse.CommandResult.Command))
        {
            if (!Typed(parse, symbol)) continue;
            if (!Places.TryGetValue(symbol, out var places))
            {
                if (symbol.Name == "--config" || symbol is HelpOption) continue;
                throw new InvalidOperationException($"{symbol.Name} of '{parse.CommandResult.Command.Name}' declares no configuration property.");
            }
            foreach (var place in places)
            {
                var names = place.Select(ConfigFile.JsonName).ToArray();
                JsonNode? from = fromFlags;
                foreach (var name in names) from = from?[name];
                var to = result;
                foreach (var name in names[..^1]) to = to[name] as JsonObject ?? (JsonObject)(to[name] = new JsonObject());
                to[names[^1]] = from?.DeepClone();
            }
        }
        return result;
    }

    /// <summary>The options and arguments of <paramref name="command"/> that declare no property (for tests: each should declare one).</summary>
    public static IReadOnlyList<string> Undeclared(Command command) =>
        Symbols(command).Where(s => !Places.TryGetValue(s, out _) && s.Name != "--config" && s is not HelpOption).Select(s => s.Name).ToList();

    private static IEnumerable<Symbol> Symbols(Command command) => command.Options.Cast<Symbol>().Concat(command.Arguments);

    private static bool Typed(ParseResult parse, Symbol symbol) => symbol switch
    {
        Option option => parse.GetResult(option) is OptionResult { Implicit: false },
        Argument argument => parse.GetResult(argument) is { Tokens.Count: > 0 },
        _ => false,
    };
}
