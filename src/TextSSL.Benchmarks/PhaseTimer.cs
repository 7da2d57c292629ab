using System.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;

namespace TextSSL.Benchmarks;

/// <summary>
/// Times consecutive phases of one repetition (e.g. forward+backward, clip, optimizer). On CUDA each mark first
/// waits for the device, so a phase's time is the device work it queued, not only the launch cost.
/// </summary>
/// <remarks>Synchronising between phases costs a little overlap; totals are therefore upper bounds of an unsynchronised loop.</remarks>
public sealed class PhaseTimer
{
    private readonly Device _device;
    private readonly BenchClock _clock;
    private readonly Stopwatch _watch = new();
    private readonly List<(string Phase, double Ms)> _laps = [];
    private double _cpuMark;

    /// <summary>A timer that synchronises <paramref name="device"/> when it is a CUDA device.</summary>
    /// <param name="device">The device whose work is timed.</param>
    /// <param name="clock">Wall-clock time, or the process's CPU time (CPU runs only).</param>
    public PhaseTimer(Device device, BenchClock clock = BenchClock.Wall)
    {
        if (clock == BenchClock.ProcessCpu && device.type != DeviceType.CPU)
            throw new TextSslException($"process CPU time measures CPU runs only; time {device} with the wall clock.");
        (_device, _clock) = (device, clock);
    }

    /// <summary>The phases marked since the last <see cref="Start"/>, in order, in milliseconds.</summary>
    public IReadOnlyList<(string Phase, double Ms)> Laps => _laps;

    /// <summary>Waits for the device, then starts a repetition.</summary>
    public void Start()
    {
        Synchronize(_device);
        _laps.Clear();
        _watch.Restart();
        _cpuMark = CpuMilliseconds();
    }

    /// <summary>Waits for the device, then records the time since the previous mark as <paramref name="phase"/>.</summary>
    public void Mark(string phase)
    {
        Synchronize(_device);
        if (_clock == BenchClock.ProcessCpu)
        {
            var now = CpuMilliseconds();
            _laps.Add((phase, now - _cpuMark));
            _cpuMark = now;
        }
        else _laps.Add((phase, _watch.Elapsed.TotalMilliseconds));
        _watch.Restart();
    }

    private static double CpuMilliseconds() => Environment.CpuUsage.TotalTime.TotalMilliseconds;

    /// <summary>Blocks until all queued work on <paramref name="device"/> is done (no-op on the CPU, where work is synchronous).</summary>
    public static void Synchronize(Device device)
    {
        if (device.type == DeviceType.CUDA) cuda.synchronize(device);
    }
}
