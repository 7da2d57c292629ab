namespace TextSSL.Benchmarks;

/// <summary>Per-phase timings collected over repetitions (warm-up already excluded), with medians and means.</summary>
public sealed class PhaseSamples
{
    private readonly Dictionary<string, List<double>> _samples = new(StringComparer.Ordinal);
    private readonly List<string> _order = [];
    private readonly List<double> _totals = [];

    /// <summary>Phase names in the order they were first recorded.</summary>
    public IReadOnlyList<string> Phases => _order;

    /// <summary>Number of repetitions recorded.</summary>
    public int Count => _totals.Count;

    /// <summary>Adds one repetition's phases; its total is their sum.</summary>
    public void Add(IReadOnlyList<(string Phase, double Ms)> laps)
    {
        foreach (var (phase, ms) in laps)
        {
            if (!_samples.TryGetValue(phase, out var list))
            {
                _samples[phase] = list = [];
                _order.Add(phase);
            }
            list.Add(ms);
        }
        _totals.Add(laps.Sum(l => l.Ms));
    }

    /// <summary>Median milliseconds of <paramref name="phase"/> (NaN when never recorded).</summary>
    public double Median(string phase) => _samples.TryGetValue(phase, out var l) ? Stats.Median(l) : double.NaN;

    /// <summary>Mean milliseconds of <paramref name="phase"/> (NaN when never recorded).</summary>
    public double Mean(string phase) => _samples.TryGetValue(phase, out var l) && l.Count > 0 ? l.Average() : double.NaN;

    /// <summary>Median of the per-repetition totals (not the sum of phase medians).</summary>
    public double MedianTotal => Stats.Median(_totals);

    /// <summary>The fastest repetition's total.</summary>
    public double Min => _totals.Count > 0 ? _totals.Min() : double.NaN;

    /// <summary>Mean of the per-repetition totals.</summary>
    public double MeanTotal => _totals.Count > 0 ? _totals.Average() : double.NaN;
}
