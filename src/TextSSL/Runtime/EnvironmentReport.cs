using System.Runtime.InteropServices;
using TextSSL.Distributed;
using TorchSharp;

namespace TextSSL.Runtime;

/// <summary>The environment report: versions, where libtorch came from, libstdc++, threads, CUDA.</summary>
/// <param name="DotNetVersion">The .NET runtime version.</param>
/// <param name="TorchSharpVersion">The TorchSharp assembly version.</param>
/// <param name="LibTorchVersion">libtorch's version, when it loaded.</param>
/// <param name="Backend">The backend this build uses (cpu, cpu-all, cuda, external).</param>
/// <param name="LibTorchDirectory">Where libtorch was loaded from, when known.</param>
/// <param name="LibStdCxxPath">The libstdc++ the loader resolves (Linux).</param>
/// <param name="LibStdCxxOk">Whether it provides GLIBCXX_3.4.32.</param>
/// <param name="CpuThreads">libtorch's intra-op thread count (or the core count when libtorch did not load).</param>
/// <param name="CudaAvailable">Whether CUDA is usable.</param>
/// <param name="CudaDevices">The CUDA devices, by name and memory.</param>
/// <param name="Load">The outcome of loading libtorch.</param>
/// <param name="Mpi">The MPI library and, under mpirun, the world this process is part of.</param>
/// <param name="Cpu">The processor: vendor, model and the instruction sets that decide matrix-product speed.</param>
/// <param name="CpuMatmul">Which library runs fp32 products on the CPU and why, when libtorch loaded.</param>
public sealed record EnvironmentReport(
    string DotNetVersion,
    string TorchSharpVersion,
    string? LibTorchVersion,
    string Backend,
    string? LibTorchDirectory,
    string? LibStdCxxPath,
    bool LibStdCxxOk,
    int CpuThreads,
    bool CudaAvailable,
    IReadOnlyList<string> CudaDevices,
    NativeLoadResult Load,
    MpiReport? Mpi = null,
    CpuFeatures? Cpu = null,
    CpuMatmulChoice? CpuMatmul = null)
{
    /// <summary>Whether training can run on this machine (libtorch loaded and computes).</summary>
    public bool CanTrain => Load.Ok;

    /// <summary>Gathers the report; never throws for environment problems.</summary>
    public static EnvironmentReport Gather()
    {
        var load = TorchRuntime.TryLoad();
        string? libtorchVersion = null;
        var threads = Environment.ProcessorCount;
        var cuda = false;
        var devices = new List<string>();
        if (load.Ok)
        {
            libtorchVersion = torch.__version__;
            threads = torch.get_num_threads();
            cuda = torch.cuda.is_available();
            if (cuda)
                for (var i = 0; i < torch.cuda.device_count(); i++)
                    devices.Add(CudaDeviceDescription(i));
        }
        return new EnvironmentReport(
            RuntimeInformation.FrameworkDescription,
            typeof(torch).Assembly.GetName().Version?.ToString() ?? "unknown",
            libtorchVersion,
            TorchRuntime.Backend,
            load.LibTorchDirectory,
            OperatingSystem.IsLinux() ? LibStdCxx.ResolvedPath() : null,
            !OperatingSystem.IsLinux() || LibStdCxx.HasGlibcxx3432(),
            threads,
            cuda,
            devices,
            load,
            load.Ok ? MpiReport.Gather() : MpiReport.Gather(checkCollectives: false),
            TorchRuntime.Cpu,
            load.Ok ? TorchRuntime.CpuMatmulInUse : null);
    }

    private static string CudaDeviceDescription(int index)
    {
        // TorchSharp binds no device-properties query; nvidia-smi, when present, names the card and its memory.
        try
        {
            using var p = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("nvidia-smi",
                $"--query-gpu=name,memory.total --format=csv,noheader -i {index}") { RedirectStandardOutput = true, RedirectStandardError = true })!;
            var line = p.StandardOutput.ReadToEnd().Trim();
            p.WaitForExit();
            if (p.ExitCode == 0 && line.Length > 0) return $"cuda:{index} {line}";
        }
        catch (System.ComponentModel.Win32Exception) { }
        return $"cuda:{index}";
    }
}

/// <summary>The environment report on data-parallel training.</summary>
/// <param name="LibraryPath">Where Open MPI's <c>libmpi.so.40</c> was found, or null.</param>
/// <param name="Version">MPI_Get_library_version's first line, or null.</param>
/// <param name="Problem">Why no MPI library could be used, or null.</param>
/// <param name="WorldSize">Ranks in the job when launched by mpirun, else null.</param>
/// <param name="Rank">This process's rank when launched by mpirun, else null.</param>
/// <param name="GradientAveragingOk">Under mpirun: whether averaging a known gradient across all ranks gave the exact mean on every rank.</param>
/// <param name="Nccl">What is used for GPU collectives (NCCL is not used yet).</param>
public sealed record MpiReport(string? LibraryPath, string? Version, string? Problem, int? WorldSize, int? Rank, bool? GradientAveragingOk, string Nccl)
{
    /// <summary>Finds the MPI library; under mpirun joins the job and, when <paramref name="checkCollectives"/>, checks gradient averaging across the ranks.</summary>
    public static MpiReport Gather(bool checkCollectives = true)
    {
        const string nccl = "not used (data-parallel training runs on CPU ranks over MPI; CUDA ranks are not supported yet)";
        var (path, version, problem) = Communicator.DescribeLibrary();
        LaunchEnvironment? launch;
        try { launch = LaunchEnvironment.Detect(); }
        catch (TextSslException ex) { return new MpiReport(path, version, ex.Message, null, null, null, nccl); }
        if (launch is null || path is null) return new MpiReport(path, version, problem, launch?.Size, launch?.Rank, null, nccl);
        var world = Communicator.ForProcess(DistributedMode.Auto);
        bool? ok = checkCollectives ? GradientAveraging.CheckOnKnownTensor(world) : null;
        return new MpiReport(path, version, null, world.Size, world.Rank, ok, nccl);
    }
}
