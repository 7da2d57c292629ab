using static TorchSharp.torch;

namespace TextSSL.Benchmarks;

/// <summary>Runs a benchmark body for warm-up repetitions (discarded) and measured repetitions (kept).</summary>
public static class BenchLoop
{
    /// <summary>
    /// Calls <paramref name="body"/> <paramref name="warmup"/> + <paramref name="repeats"/> times. The body marks its
    /// phases on the timer it is given (<see cref="PhaseTimer.Mark"/>); a body that marks nothing is timed as one
    /// phase named <c>total</c>. Each repetition runs inside its own dispose scope. <paramref name="clock"/>: what the
    /// milliseconds count (<see cref="BenchClock"/>).
    /// </summary>
    public static PhaseSamples Run(Device device, int warmup, int repeats, Action<PhaseTimer> body, CancellationToken ct = default, BenchClock clock = BenchClock.Wall)
    {
        if (warmup < 0) throw new TextSslException($"warm-up repetitions must be 0 or more (got {warmup}).");
        if (repeats < 1) throw new TextSslException($"repetitions must be at least 1 (got {repeats}).");
        var samples = new PhaseSamples();
        var timer = new PhaseTimer(device, clock);
        for (var i = 0; i < warmup + repeats; i++)
        {
            ct.ThrowIfCancellationRequested();
            using (var scope = NewDisposeScope())
            {
                timer.Start();
                body(timer);
                if (timer.Laps.Count == 0) timer.Mark("total");
            }
            if (i >= warmup) samples.Add(timer.Laps);
        }
        return samples;
    }
}
