using TextSSL;

namespace TextSSL.Prep.Commands;

/// <summary>The checkpoint interval of build and merge, checked before it becomes a <see cref="TimeSpan"/>.</summary>
internal static class CheckpointSeconds
{
    /// <summary>Seconds between checkpoints: finite, from 0 to one day.</summary>
    public static TimeSpan ToInterval(double seconds, string property) =>
        double.IsFinite(seconds) && seconds is >= 0 and <= 86400
            ? TimeSpan.FromSeconds(seconds)
            : throw new OptionException(property, $"{property} must be between 0 and 86400 seconds (got {seconds}).");
}
