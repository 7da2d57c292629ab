namespace TextSSL.Benchmarks;

/// <summary>What a benchmark's milliseconds count.</summary>
public enum BenchClock
{
    /// <summary>Elapsed (wall-clock) time.</summary>
    Wall,
    /// <summary>
    /// CPU time of the whole process (all its threads), for CPU runs on shared machines: time the process spent waiting
    /// for a core is not counted, so figures from a busy machine stay comparable.
    /// </summary>
    ProcessCpu,
}
