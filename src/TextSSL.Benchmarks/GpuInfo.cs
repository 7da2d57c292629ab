using System.Runtime.InteropServices;

namespace TextSSL.Benchmarks;

/// <summary>
/// Device name and memory in use, read through NVML (<c>libnvidia-ml.so.1</c>, part of the NVIDIA driver).
/// TorchSharp binds none of libtorch's CUDA memory statistics, so the memory figure is the driver's view:
/// everything this and other processes hold on the card, including the CUDA context and libtorch's cached blocks.
/// </summary>
/// <remarks>libtorch's caching allocator keeps the blocks a step needed, so "in use" after a few steps is close
/// to the peak reserved memory of that step. Every member returns <see langword="null"/> when NVML is absent.</remarks>
public sealed unsafe class GpuInfo : IDisposable
{
    private const int NvmlSuccess = 0;
    private readonly IntPtr _library;
    private readonly delegate* unmanaged<uint, IntPtr*, int> _getHandle;
    private readonly delegate* unmanaged<IntPtr, byte*, uint, int> _getName;
    private readonly delegate* unmanaged<IntPtr, NvmlMemory*, int> _getMemory;
    private readonly delegate* unmanaged<int> _shutdown;

    private GpuInfo(IntPtr library)
    {
        _library = library;
        _getHandle = (delegate* unmanaged<uint, IntPtr*, int>)NativeLibrary.GetExport(library, "nvmlDeviceGetHandleByIndex_v2");
        _getName = (delegate* unmanaged<IntPtr, byte*, uint, int>)NativeLibrary.GetExport(library, "nvmlDeviceGetName");
        _getMemory = (delegate* unmanaged<IntPtr, NvmlMemory*, int>)NativeLibrary.GetExport(library, "nvmlDeviceGetMemoryInfo");
        _shutdown = (delegate* unmanaged<int>)NativeLibrary.GetExport(library, "nvmlShutdown");
    }

    /// <summary>Opens NVML; <see langword="null"/> when the driver library is missing or does not initialise.</summary>
    public static GpuInfo? TryOpen()
    {
        if (!OperatingSystem.IsLinux() || !NativeLibrary.TryLoad("libnvidia-ml.so.1", out var lib)) return null;
        try
        {
            var init = (delegate* unmanaged<int>)NativeLibrary.GetExport(lib, "nvmlInit_v2");
            return init() == NvmlSuccess ? new GpuInfo(lib) : null;
        }
        catch (EntryPointNotFoundException)
        {
            return null;
        }
    }

    /// <summary>The product name of CUDA device <paramref name="index"/> (NVML order, which matches CUDA's by default).</summary>
    public string? Name(int index)
    {
        if (!TryHandle(index, out var handle)) return null;
        var buffer = stackalloc byte[96];
        return _getName(handle, buffer, 96) == NvmlSuccess ? Marshal.PtrToStringUTF8((IntPtr)buffer) : null;
    }

    /// <summary>Bytes in use on device <paramref name="index"/>, all processes together.</summary>
    public long? UsedBytes(int index)
    {
        if (!TryHandle(index, out var handle)) return null;
        NvmlMemory memory;
        return _getMemory(handle, &memory) == NvmlSuccess ? (long)memory.Used : null;
    }

    private bool TryHandle(int index, out IntPtr handle)
    {
        IntPtr h;
        var ok = _getHandle((uint)index, &h) == NvmlSuccess;
        handle = h;
        return ok;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _ = _shutdown();
        NativeLibrary.Free(_library);
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct NvmlMemory
    {
        public ulong Total;
        public ulong Free;
        public ulong Used;
    }
}
