using TorchSharp;
using static TorchSharp.torch;

namespace TextSSL.Distributed;

/// <summary>Whether a run joins the MPI job it was launched in.</summary>
public enum DistributedMode
{
    /// <summary>Join when the environment shows an <c>mpirun</c> launch (<see cref="LaunchEnvironment"/>); otherwise run alone without loading MPI.</summary>
    Auto,
    /// <summary>Never load MPI; every process trains alone.</summary>
    Off,
}

/// <summary>A reduction applied element-wise across ranks.</summary>
public enum ReduceOp
{
    /// <summary>Sum.</summary>
    Sum,
    /// <summary>Maximum.</summary>
    Max,
    /// <summary>Minimum.</summary>
    Min,
}

/// <summary>
/// The collectives data-parallel training needs (all-reduce, broadcast, barrier, abort) over MPI_COMM_WORLD of
/// Open MPI, or the no-op single-process communicator (<see cref="SingleProcess"/>: rank 0 of 1, every collective
/// leaves its data as it is). Hand-written over P/Invoke (<see cref="MpiLibrary"/>) because TorchSharp has no
/// distributed package and MPI.NET targets Microsoft MPI. CPU data only: CUDA ranks would need NCCL, which TextSSL
/// does not use yet.
/// </summary>
/// <remarks>
/// MPI can be initialised once per process: <see cref="ForProcess"/> initialises it on first use and the
/// communicator lives until <see cref="Shutdown"/> (called by a process-exit handler if nobody calls it before).
/// Calls must not overlap (MPI_THREAD_SERIALIZED).
/// </remarks>
public sealed unsafe class Communicator
{
    private const int MaxChunkBytes = 1 << 30;   // MPI counts are int: large buffers go in chunks
    private static readonly Lock Gate = new();
    private static Communicator? _world;
    private readonly MpiLibrary? _mpi;

    private Communicator(MpiLibrary? mpi, int rank, int size) => (_mpi, Rank, Size) = (mpi, rank, size);

    /// <summary>The single-process communicator: rank 0 of 1, no MPI.</summary>
    public static Communicator SingleProcess { get; } = new(null, 0, 1);

    /// <summary>This process's rank.</summary>
    public int Rank { get; }

    /// <summary>Number of ranks.</summary>
    public int Size { get; }

    /// <summary>Whether this is rank 0, the rank that writes files and talks to the console.</summary>
    public bool IsRoot => Rank == 0;

    /// <summary>Whether collectives go through MPI (false for <see cref="SingleProcess"/>).</summary>
    public bool UsesMpi => _mpi is not null;

    /// <summary>
    /// The communicator of this process: <see cref="SingleProcess"/> when <paramref name="mode"/> is
    /// <see cref="DistributedMode.Off"/> or the process was not launched by <c>mpirun</c>; otherwise MPI_COMM_WORLD,
    /// initialising MPI on the first call.
    /// </summary>
    /// <exception cref="TextSslException">Launched by mpirun, but Open MPI's library cannot be loaded or disagrees with the environment.</exception>
    public static Communicator ForProcess(DistributedMode mode)
    {
        if (mode == DistributedMode.Off) return SingleProcess;
        var launch = LaunchEnvironment.Detect();
        if (launch is null) return SingleProcess;
        lock (Gate)
        {
            if (_world is not null) return _world;
            var mpi = MpiLibrary.TryLoad(out var problem)
                      ?? throw new TextSslException($"this process was launched by mpirun (rank {launch.Rank} of {launch.Size}) but {problem}.");
            if (mpi.IsFinalized) throw new TextSslException("MPI was already shut down in this process; it cannot be started twice.");
            if (!mpi.IsInitialized) mpi.Init();
            var world = new Communicator(mpi, mpi.Rank(), mpi.Size());
            if (world.Size != launch.Size || world.Rank != launch.Rank)
                throw new TextSslException($"MPI reports rank {world.Rank} of {world.Size} but the launcher set rank {launch.Rank} of {launch.Size}; " +
                                           "the process was started by another MPI than Open MPI's mpirun.");
            AppDomain.CurrentDomain.ProcessExit += (_, _) => world.Shutdown();
            return _world = world;
        }
    }

    /// <summary>Sums (or takes the max/min of) <paramref name="data"/> element-wise across ranks, in place.</summary>
    public void AllReduce(Span<float> data, ReduceOp op)
    {
        if (_mpi is null) return;
        fixed (float* p = data) Chunked(p, data.Length, sizeof(float), _mpi.Float, op);
    }

    /// <inheritdoc cref="AllReduce(Span{float}, ReduceOp)"/>
    public void AllReduce(Span<double> data, ReduceOp op)
    {
        if (_mpi is null) return;
        fixed (double* p = data) Chunked(p, data.Length, sizeof(double), _mpi.Double, op);
    }

    /// <inheritdoc cref="AllReduce(Span{float}, ReduceOp)"/>
    public void AllReduce(Span<long> data, ReduceOp op)
    {
        if (_mpi is null) return;
        fixed (long* p = data) Chunked(p, data.Length, sizeof(long), _mpi.Long, op);
    }

    /// <summary>One value reduced across ranks.</summary>
    public double AllReduce(double value, ReduceOp op)
    {
        Span<double> one = [value];
        AllReduce(one, op);
        return one[0];
    }

    /// <summary>One value reduced across ranks.</summary>
    public long AllReduce(long value, ReduceOp op)
    {
        Span<long> one = [value];
        AllReduce(one, op);
        return one[0];
    }

    /// <summary>Reduces a contiguous CPU tensor (fp32, fp64 or int64) element-wise across ranks, in place.</summary>
    /// <exception cref="TextSslException">The tensor is on a GPU (NCCL is not supported yet) or has another dtype.</exception>
    public void AllReduce(Tensor tensor, ReduceOp op)
    {
        if (_mpi is null) return;
        var (type, size) = CheckTensor(tensor);
        using var flat = tensor.view(-1);
        var perChunk = MaxChunkBytes / size;
        for (long offset = 0; offset < flat.numel(); offset += perChunk)
        {
            using var chunk = flat.narrow(0, offset, Math.Min(perChunk, flat.numel() - offset));
            fixed (byte* p = chunk.bytes) _mpi.AllReduceInPlace(p, (int)chunk.numel(), type, Op(op));
        }
    }

    /// <summary>Copies rank <paramref name="root"/>'s <paramref name="data"/> to every rank.</summary>
    public void Broadcast(Span<byte> data, int root = 0)
    {
        if (_mpi is null) return;
        for (var offset = 0; offset < data.Length; offset += MaxChunkBytes)
        {
            var chunk = data.Slice(offset, Math.Min(MaxChunkBytes, data.Length - offset));
            fixed (byte* p = chunk) _mpi.Broadcast(p, chunk.Length, _mpi.Byte, root);
        }
    }

    /// <summary>Copies rank <paramref name="root"/>'s contiguous CPU tensor to every rank, in place.</summary>
    /// <exception cref="TextSslException">The tensor is on a GPU or not contiguous.</exception>
    public void Broadcast(Tensor tensor, int root = 0)
    {
        if (_mpi is null) return;
        CheckTensor(tensor, anyDtype: true);
        using var flat = tensor.view(-1);
        var perChunk = MaxChunkBytes / (int)tensor.ElementSize;
        for (long offset = 0; offset < flat.numel(); offset += perChunk)
        {
            using var chunk = flat.narrow(0, offset, Math.Min(perChunk, flat.numel() - offset));
            Broadcast(chunk.bytes, root);
        }
    }

    /// <summary>Waits until every rank has called it.</summary>
    public void Barrier() => _mpi?.Barrier();

    /// <summary>Ends every rank (MPI_Abort) with <paramref name="errorCode"/>; in a single process, exits with it.</summary>
    public void Abort(int errorCode)
    {
        Console.Out.Flush();
        Console.Error.Flush();
        if (_mpi is null) Environment.Exit(errorCode);
        _mpi.Abort(errorCode);
        Environment.Exit(errorCode);   // MPI_Abort does not return; this is for a library that does
    }

    /// <summary>Shuts MPI down (MPI_Finalize, collective: every rank calls it); later collectives fail. Nothing for a single process.</summary>
    public void Shutdown()
    {
        lock (Gate)
            if (_mpi is not null && _mpi.IsInitialized && !_mpi.IsFinalized) _mpi.Shutdown();
    }

    private IntPtr Op(ReduceOp op) => op switch
    {
        ReduceOp.Sum => _mpi!.Sum,
        ReduceOp.Max => _mpi!.Max,
        ReduceOp.Min => _mpi!.Min,
        _ => throw new ArgumentOutOfRangeException(nameof(op)),
    };

    private void Chunked(void* data, int length, int elementSize, IntPtr type, ReduceOp op)
    {
        var perChunk = MaxChunkBytes / elementSize;
        for (var offset = 0; offset < length; offset += perChunk)
            _mpi!.AllReduceInPlace((byte*)data + (long)offset * elementSize, Math.Min(perChunk, length - offset), type, Op(op));
    }

    private (IntPtr Type, int Size) CheckTensor(Tensor tensor, bool anyDtype = false)
    {
        if (tensor.device_type != DeviceType.CPU)
            throw new TextSslException($"data-parallel collectives on {tensor.device_type} tensors need NCCL, which is not supported yet; run the ranks on the CPU.");
        if (!tensor.is_contiguous()) throw new ArgumentException("the tensor must be contiguous.", nameof(tensor));
        return tensor.dtype switch
        {
            ScalarType.Float32 => (_mpi!.Float, 4),
            ScalarType.Float64 => (_mpi!.Double, 8),
            ScalarType.Int64 => (_mpi!.Long, 8),
            _ when anyDtype => (_mpi!.Byte, 1),
            _ => throw new ArgumentException($"all-reduce supports float32, float64 and int64 tensors, not {tensor.dtype}.", nameof(tensor)),
        };
    }

    /// <summary>What MPI library this machine has, without initialising it: (path, version) or (null, the reason).</summary>
    public static (string? Path, string? Version, string? Problem) DescribeLibrary()
    {
        var mpi = MpiLibrary.TryLoad(out var problem);
        return mpi is null ? (null, null, problem) : (mpi.Path, mpi.LibraryVersion(), null);
    }
}
