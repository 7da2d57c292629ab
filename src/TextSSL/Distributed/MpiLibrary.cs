using System.Runtime.InteropServices;
using System.Text;

namespace TextSSL.Distributed;

/// <summary>
/// Open MPI's C library (<c>libmpi.so.40</c>, Debian's <c>libopenmpi3</c>) bound by hand through function pointers:
/// TorchSharp ships no distributed package, and MPI.NET (NuGet) targets Microsoft MPI on Windows, so TextSSL calls
/// the handful of MPI functions it needs itself. Open MPI's predefined handles (<c>MPI_COMM_WORLD</c>,
/// <c>MPI_FLOAT</c>, <c>MPI_SUM</c>, …) are exported objects whose addresses are the handles, so
/// <see cref="NativeLibrary.GetExport"/> yields them directly. The library is loaded only when asked
/// (a process not launched by <c>mpirun</c> never loads it).
/// </summary>
internal sealed unsafe class MpiLibrary
{
    /// <summary>The soname of Open MPI 4.x's C library.</summary>
    public const string FileName = "libmpi.so.40";

    private const int Success = 0;
    private const int ThreadSerialized = 2;            // Open MPI's MPI_THREAD_SERIALIZED
    private const int MaxLibraryVersionString = 256;   // Open MPI's MPI_MAX_LIBRARY_VERSION_STRING
    private static readonly IntPtr InPlace = 1;        // Open MPI's MPI_IN_PLACE is ((void*)1)

    private readonly delegate* unmanaged<int*, IntPtr, int, int*, int> _initThread;
    private readonly delegate* unmanaged<int*, int> _initialized, _finalized;
    private readonly delegate* unmanaged<int> _finalize;
    private readonly delegate* unmanaged<IntPtr, int*, int> _commRank, _commSize;
    private readonly delegate* unmanaged<IntPtr, IntPtr, int, IntPtr, IntPtr, IntPtr, int> _allreduce;
    private readonly delegate* unmanaged<IntPtr, int, IntPtr, int, IntPtr, int> _bcast;
    private readonly delegate* unmanaged<IntPtr, int> _barrier;
    private readonly delegate* unmanaged<IntPtr, int, int> _abort;
    private readonly delegate* unmanaged<byte*, int*, int> _libraryVersion;

    private MpiLibrary(IntPtr handle, string path)
    {
        Path = path;
        IntPtr F(string name) => NativeLibrary.GetExport(handle, name);
        _initThread = (delegate* unmanaged<int*, IntPtr, int, int*, int>)F("MPI_Init_thread");
        _initialized = (delegate* unmanaged<int*, int>)F("MPI_Initialized");
        _finalized = (delegate* unmanaged<int*, int>)F("MPI_Finalized");
        _finalize = (delegate* unmanaged<int>)F("MPI_Finalize");
        _commRank = (delegate* unmanaged<IntPtr, int*, int>)F("MPI_Comm_rank");
        _commSize = (delegate* unmanaged<IntPtr, int*, int>)F("MPI_Comm_size");
        _allreduce = (delegate* unmanaged<IntPtr, IntPtr, int, IntPtr, IntPtr, IntPtr, int>)F("MPI_Allreduce");
        _bcast = (delegate* unmanaged<IntPtr, int, IntPtr, int, IntPtr, int>)F("MPI_Bcast");
        _barrier = (delegate* unmanaged<IntPtr, int>)F("MPI_Barrier");
        _abort = (delegate* unmanaged<IntPtr, int, int>)F("MPI_Abort");
        _libraryVersion = (delegate* unmanaged<byte*, int*, int>)F("MPI_Get_library_version");
        CommWorld = F("ompi_mpi_comm_world");
        Float = F("ompi_mpi_float");
        Double = F("ompi_mpi_double");
        Long = F("ompi_mpi_long");
        Byte = F("ompi_mpi_byte");
        Sum = F("ompi_mpi_op_sum");
        Max = F("ompi_mpi_op_max");
        Min = F("ompi_mpi_op_min");
    }

    /// <summary>Where the library was loaded from (the soname when the loader did not say).</summary>
    public string Path { get; }

    /// <summary>Predefined handles.</summary>
    public IntPtr CommWorld { get; }
    /// <summary>MPI_FLOAT.</summary>
    public IntPtr Float { get; }
    /// <summary>MPI_DOUBLE.</summary>
    public IntPtr Double { get; }
    /// <summary>MPI_LONG (64-bit on Linux x64).</summary>
    public IntPtr Long { get; }
    /// <summary>MPI_BYTE.</summary>
    public IntPtr Byte { get; }
    /// <summary>MPI_SUM.</summary>
    public IntPtr Sum { get; }
    /// <summary>MPI_MAX.</summary>
    public IntPtr Max { get; }
    /// <summary>MPI_MIN.</summary>
    public IntPtr Min { get; }

    /// <summary>Loads the library, or returns null with the loader's reason.</summary>
    public static MpiLibrary? TryLoad(out string? problem)
    {
        problem = null;
        if (!OperatingSystem.IsLinux())
        {
            problem = "MPI is supported on Linux (Open MPI) only";
            return null;
        }
        if (!NativeLibrary.TryLoad(FileName, out var handle))
        {
            problem = $"{FileName} not found (install Open MPI: apt-get install openmpi-bin)";
            return null;
        }
        try { return new MpiLibrary(handle, ResolvedPath() ?? FileName); }
        catch (EntryPointNotFoundException ex)
        {
            problem = $"{FileName} is not Open MPI ({ex.Message})";
            return null;
        }
    }

    /// <summary>The file the loader mapped for <see cref="FileName"/>, read from <c>/proc/self/maps</c>.</summary>
    private static string? ResolvedPath()
    {
        try
        {
            return File.ReadLines("/proc/self/maps").Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                       .Where(p => p.Length >= 6 && p[5].Contains("/libmpi.so", StringComparison.Ordinal)).Select(p => p[5]).FirstOrDefault();
        }
        catch (IOException) { return null; }
    }

    /// <summary>MPI_Get_library_version's first line (allowed before MPI_Init).</summary>
    public string LibraryVersion()
    {
        var buffer = stackalloc byte[MaxLibraryVersionString + 1];
        int length;
        Check(_libraryVersion(buffer, &length), "MPI_Get_library_version");
        return Encoding.ASCII.GetString(buffer, Math.Clamp(length, 0, MaxLibraryVersionString)).Split('\n')[0].Trim().TrimEnd(',');
    }

    /// <summary>MPI_Initialized.</summary>
    public bool IsInitialized { get { int flag; Check(_initialized(&flag), "MPI_Initialized"); return flag != 0; } }

    /// <summary>MPI_Finalized.</summary>
    public bool IsFinalized { get { int flag; Check(_finalized(&flag), "MPI_Finalized"); return flag != 0; } }

    /// <summary>MPI_Init_thread asking for serialized calls (training runs on its own thread, one call at a time).</summary>
    public void Init()
    {
        int provided;
        Check(_initThread(null, IntPtr.Zero, ThreadSerialized, &provided), "MPI_Init_thread");
    }

    /// <summary>MPI_Finalize.</summary>
    public void Shutdown() => Check(_finalize(), "MPI_Finalize");

    /// <summary>This process's rank in MPI_COMM_WORLD.</summary>
    public int Rank() { int r; Check(_commRank(CommWorld, &r), "MPI_Comm_rank"); return r; }

    /// <summary>The size of MPI_COMM_WORLD.</summary>
    public int Size() { int s; Check(_commSize(CommWorld, &s), "MPI_Comm_size"); return s; }

    /// <summary>MPI_Allreduce in place.</summary>
    public void AllReduceInPlace(void* data, int count, IntPtr type, IntPtr op) =>
        Check(_allreduce(InPlace, (IntPtr)data, count, type, op, CommWorld), "MPI_Allreduce");

    /// <summary>MPI_Bcast.</summary>
    public void Broadcast(void* data, int count, IntPtr type, int root) => Check(_bcast((IntPtr)data, count, type, root, CommWorld), "MPI_Bcast");

    /// <summary>MPI_Barrier.</summary>
    public void Barrier() => Check(_barrier(CommWorld), "MPI_Barrier");

    /// <summary>MPI_Abort: ends every rank of MPI_COMM_WORLD.</summary>
    public void Abort(int errorCode) => _abort(CommWorld, errorCode);

    private static void Check(int code, string function)
    {
        // MPI_COMM_WORLD's default handler (MPI_ERRORS_ARE_FATAL) aborts before returning an error; this is for
        // a library configured otherwise.
        if (code != Success) throw new TextSslException($"{function} failed with MPI error code {code}.");
    }
}
