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
    private readonly Stopwatch _watch = new();
    private readonly List<(string Phase, double Ms)> _laps = [];

    /// <summary>A timer that synchronises <paramref name="device"/> when it is a CUDA device.</summary>
    public PhaseTimer(Device device) => _device = device;

    /// <summary>The phases marked since the last <see cref="Start"/>, in order, in milliseconds.</summary>
    public IReadOnlyList<(string Phase, double Ms)> Laps => _laps;

    /// <summary>Waits for the device, then starts a repetition.</summary>
    public void Start()
    {
        Synchronize(_device);
        _laps.Clear();
        _watch.Restart();
    }

    /// <summary>Waits for the device, then records the time since the previous mark as <paramref name="phase"/>.</summary>
    public void Mark(string phase)
    {
        Synchronize(_device);
        _laps.Add((phase, _watch.Elapsed.TotalMilliseconds));
        _watch.Restart();
    }

    /// <summary>Blocks until all queued work on <paramref name="device"/> is done (no-op on the CPU, where work is synchronous).</summary>
    public static void Synchronize(Device device)
    {
        if (device.type == DeviceType.CUDA) cuda.synchronize(device);
    }
}
