namespace TextSSL;

/// <summary>
/// An option (a property of one of the library's options records) holds a value the library cannot use. The message
/// names options by their property names (<c>BatchSize must be at least 1 (got 0).</c>); <see cref="Options"/> lists the
/// names it mentions, so a front end can show them in its own spelling (the CLI writes <c>--batch-size</c>).
/// </summary>
public sealed class OptionException : TextSslException
{
    /// <summary>Creates the exception for one option; <paramref name="message"/> should mention <paramref name="option"/> by name.</summary>
    /// <param name="option">The property name, e.g. <c>nameof(PretrainingOptions.BatchSize)</c>.</param>
    /// <param name="message">A complete, user-facing message that names the option.</param>
    public OptionException(string option, string message) : base(message) => Options = [option];

    /// <summary>Creates the exception for a message that names several options (e.g. a check of two values together, or advice naming another option).</summary>
    /// <param name="options">The property names the message mentions; the first is the one at fault.</param>
    /// <param name="message">A complete, user-facing message.</param>
    public OptionException(IReadOnlyList<string> options, string message) : base(message)
    {
        if (options.Count == 0) throw new ArgumentException("name at least one option.", nameof(options));
        Options = options;
    }

    /// <summary>Creates the exception for a message that names several options, caused by <paramref name="inner"/>.</summary>
    /// <param name="options">The property names the message mentions; the first is the one at fault.</param>
    /// <param name="message">A complete, user-facing message.</param>
    /// <param name="inner">The error that caused it.</param>
    public OptionException(IReadOnlyList<string> options, string message, Exception inner) : base(message, inner)
    {
        if (options.Count == 0) throw new ArgumentException("name at least one option.", nameof(options));
        Options = options;
    }

    /// <summary>The option at fault (the first of <see cref="Options"/>).</summary>
    public string Option => Options[0];

    /// <summary>Every option the message mentions by its property name.</summary>
    public IReadOnlyList<string> Options { get; }

    /// <summary>
    /// The message with every mentioned option renamed by <paramref name="rename"/> (whole words only), for a front end
    /// that spells options its own way.
    /// </summary>
    public string MessageWith(Func<string, string> rename)
    {
        var text = Message;
        foreach (var name in Options.Distinct().OrderByDescending(n => n.Length))
            text = System.Text.RegularExpressions.Regex.Replace(text, $@"(?<![\w-]){System.Text.RegularExpressions.Regex.Escape(name)}(?![\w-])", rename(name));
        return text;
    }

    /// <summary>Throws unless <paramref name="value"/> is finite and within [<paramref name="min"/>, <paramref name="max"/>].</summary>
    /// <exception cref="OptionException">The value is NaN, infinite or out of range.</exception>
    public static double CheckRange(string option, double value, double min, double max)
    {
        if (!double.IsFinite(value)) throw new OptionException(option, $"{option} must be a finite number (got {value}).");
        if (value < min || value > max) throw new OptionException(option, $"{option} must be between {min} and {max} (got {value}).");
        return value;
    }

    /// <summary>Throws unless <paramref name="value"/> is within [<paramref name="min"/>, <paramref name="max"/>].</summary>
    /// <exception cref="OptionException">The value is out of range.</exception>
    public static long CheckRange(string option, long value, long min, long max)
    {
        if (value < min || value > max)
            throw new OptionException(option, max == long.MaxValue || max == int.MaxValue
                ? $"{option} must be at least {min} (got {value})."
                : $"{option} must be between {min} and {max} (got {value}).");
        return value;
    }
}
