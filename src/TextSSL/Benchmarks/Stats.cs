namespace TextSSL.Benchmarks;

/// <summary>Small summary statistics for benchmark samples.</summary>
public static class Stats
{
    /// <summary>The median (mean of the middle two for an even count); NaN for no samples.</summary>
    public static double Median(IEnumerable<double> samples)
    {
        var sorted = samples.Order().ToArray();
        if (sorted.Length == 0) return double.NaN;
        var mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }
}
