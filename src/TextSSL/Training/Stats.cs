namespace TextSSL;

/// <summary>The one median of the project (trainer step times, benchmarks, CLI summaries).</summary>
internal static class Stats
{
    /// <summary>The median (mean of the middle two for an even count); NaN for no samples.</summary>
    public static double Median(IEnumerable<double> samples)
    {
        var sorted = samples.Order().ToArray();
        if (sorted.Length == 0) return double.NaN;
        var mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }

    /// <summary>The median of timed intervals after the first, which carries start-up (allocation, first-touch) costs; NaN for none.</summary>
    public static double SteadyMedian(IReadOnlyList<double> intervals) => Median(intervals.Count > 1 ? intervals.Skip(1) : intervals);
}
