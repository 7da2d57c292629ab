using TorchSharp;

namespace TextSSL.Runtime;

/// <summary>The one place a device specification (<c>auto</c>, <c>cpu</c>, <c>cuda</c>, <c>cuda:N</c>) is parsed and resolved against what this machine has.</summary>
public static class DeviceSelector
{
    /// <summary>The accepted spellings, for help texts and errors.</summary>
    public const string Choices = "auto, cpu, cuda, cuda:N";

    /// <summary>Resolves a device specification; <c>auto</c> is CUDA when available, else CPU.</summary>
    /// <exception cref="TextSslException">The spelling is unknown, or CUDA was asked for and is not available.</exception>
    public static torch.Device Resolve(string? spec)
    {
        var parsed = Parse(spec);
        TorchRuntime.EnsureLoaded();
        var cudaAvailable = torch.cuda.is_available();
        var cudaCount = cudaAvailable ? torch.cuda.device_count() : 0;
        return parsed switch
        {
            { Kind: DeviceKind.Auto } => cudaAvailable ? new torch.Device(DeviceType.CUDA, 0) : torch.CPU,
            { Kind: DeviceKind.Cpu } => torch.CPU,
            { Kind: DeviceKind.Cuda } when !cudaAvailable => throw new OptionException(nameof(Training.RuntimeOptions.Device),
                $"Device {spec}: CUDA is not available on this machine ({TorchRuntime.Backend} backend). " +
                "Use Device cpu (or auto), or build with -p:TorchBackend=external on a machine with PyTorch+CUDA; the environment report (doctor) shows what was found."),
            { Kind: DeviceKind.Cuda, Index: var i } when i >= cudaCount => throw new OptionException(nameof(Training.RuntimeOptions.Device),
                $"Device {spec}: this machine has {cudaCount} CUDA device(s) (cuda:0..cuda:{cudaCount - 1})."),
            { Kind: DeviceKind.Cuda, Index: var i } => new torch.Device(DeviceType.CUDA, i),
            _ => throw new InvalidOperationException("unreachable"),
        };
    }

    /// <summary>Parses a device specification without touching libtorch.</summary>
    /// <exception cref="TextSslException">The spelling is not one of <see cref="Choices"/>.</exception>
    public static DeviceRequest Parse(string? spec)
    {
        var s = (spec ?? "auto").Trim().ToLowerInvariant();
        if (s is "" or "auto") return new DeviceRequest(DeviceKind.Auto, 0);
        if (s == "cpu") return new DeviceRequest(DeviceKind.Cpu, 0);
        if (s == "cuda") return new DeviceRequest(DeviceKind.Cuda, 0);
        if (s.StartsWith("cuda:", StringComparison.Ordinal) && int.TryParse(s.AsSpan(5), out var index) && index >= 0)
            return new DeviceRequest(DeviceKind.Cuda, index);
        throw new OptionException("Device", $"unknown device '{spec}'. Choose one of: {Choices}.");
    }
}

/// <summary>What kind of device was asked for.</summary>
public enum DeviceKind
{
    /// <summary>CUDA when available, otherwise CPU.</summary>
    Auto,
    /// <summary>The CPU.</summary>
    Cpu,
    /// <summary>A CUDA device.</summary>
    Cuda,
}

/// <summary>A parsed <c>--device</c> value.</summary>
/// <param name="Kind">The device kind.</param>
/// <param name="Index">The CUDA device index (0 unless <c>cuda:N</c>).</param>
public sealed record DeviceRequest(DeviceKind Kind, int Index);
