using System.CommandLine;
using Spectre.Console;
using TextSSL.Runtime;

namespace TextSSL.Cli.Commands;

/// <summary><c>textssl doctor</c>: can this machine train, and if not, what to do.</summary>
internal static class DoctorCommand
{
    public static Command Create()
    {
        var command = new Command("doctor", "Check the environment: .NET, TorchSharp and libtorch versions, where libtorch was loaded from, " +
                                            "the libstdc++ requirement, CPU threads, the CPU and which library runs its fp32 matrix products, CUDA devices, the build's libtorch backend, and the MPI library " +
                                            "(under mpirun: the world size and a gradient-averaging check across the ranks). Exits 1 when training cannot run.");
        command.SetAction(_ => Run(AnsiConsole.Console));
        return command;
    }

    public static int Run(IAnsiConsole console)
    {
        var r = EnvironmentReport.Gather();
        if (r.Mpi is { Rank: > 0 } rank) return rank.GradientAveragingOk == false ? 1 : 0;   // under mpirun, rank 0 reports for all
        var table = new Table().Border(TableBorder.Rounded).AddColumn("check").AddColumn("value");
        void Row(string k, string v, bool ok = true) => table.AddRow(Markup.Escape(k), ok ? Markup.Escape(v) : $"[red]{Markup.Escape(v)}[/]");
        Row(".NET runtime", r.DotNetVersion);
        Row("TorchSharp", r.TorchSharpVersion);
        Row("libtorch", r.LibTorchVersion ?? "not loaded", r.Load.Ok);
        Row("backend (build)", r.Backend);
        Row("libtorch loaded from", r.LibTorchDirectory ?? (r.Load.Ok ? "(bundled with the build)" : "-"));
        if (r.LibStdCxxPath is not null)
            Row("libstdc++ GLIBCXX_3.4.32", $"{(r.LibStdCxxOk ? "yes" : "MISSING")} ({r.LibStdCxxPath})", r.LibStdCxxOk);
        Row("CPU threads", r.CpuThreads.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (r.Cpu is { } cpu) Row("CPU", cpu.ToString());
        if (r.Load.Ok) Row("native heap", TorchRuntime.NativeHeapSettings);
        if (r.CpuMatmul is { } matmul) Row("CPU fp32 matmul", $"{matmul} — override: {CpuMatmulChoice.EnvironmentVariable}=auto|blas|onednn|linear, train --cpu-matmul");
        Row("CUDA", r.CudaAvailable ? $"available, {r.CudaDevices.Count} device(s)" : "not available");
        foreach (var d in r.CudaDevices) Row("  device", d);
        if (r.Mpi is { } mpi)
        {
            Row("MPI library", mpi.LibraryPath is null ? $"none ({mpi.Problem})" : $"{mpi.LibraryPath} ({mpi.Version})", mpi.LibraryPath is not null || mpi.WorldSize is null);
            Row("MPI world", mpi.WorldSize is { } size ? $"rank {mpi.Rank} of {size} (launched by mpirun)" : "1 process (not launched by mpirun)");
            if (mpi.GradientAveragingOk is { } ok)
                Row("MPI gradient averaging", ok ? $"correct on all {mpi.WorldSize} ranks" : "WRONG on at least one rank", ok);
            Row("NCCL", mpi.Nccl);
        }
        console.Write(table);
        if (r.CanTrain && r.Mpi?.GradientAveragingOk != false)
        {
            console.MarkupLine($"[green]ok:[/] training can run on {(r.CudaAvailable ? "CUDA and CPU" : "CPU")}.");
            return 0;
        }
        console.MarkupLine($"[red]problem:[/] {Markup.Escape(r.Load.Problem ?? "libtorch did not load")}");
        console.MarkupLine($"[yellow]what to do:[/] {Markup.Escape(r.Load.Advice ?? "run tools/setup.sh")}");
        return 1;
    }
}
