using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using TextSSL.Benchmarks;
using TextSSL.Distributed;
using TextSSL.Modeling;

namespace TextSSL.Cli.Commands;

/// <summary>
/// <c>textssl bench scaling</c>: N MPI ranks × 1 thread against 1 process × N threads at the same global batch.
/// Run plainly, it measures the single process, then launches itself under <c>mpirun</c> for the ranks (when Open MPI
/// is installed) and prints both rows; run under <c>mpirun</c> by hand, it measures that layout only.
/// </summary>
internal static class BenchScalingCommand
{
    public static Command Create()
    {
        var preset = new Option<string>("--preset") { Description = $"Model shape ({string.Join(", ", TransformerConfig.PresetNames)}).", DefaultValueFactory = _ => "char-small" };
        var globalBatch = new Option<int>("--global-batch") { Description = "Sequences per optimizer step summed over the ranks (each of N ranks takes 1/N).", DefaultValueFactory = _ => 16 };
        var ranks = new Option<int>("--ranks") { Description = "N: the MPI run has N ranks × 1 thread, the single process N threads.", DefaultValueFactory = _ => 2 };
        var threads = new Option<int?>("--threads") { Description = "libtorch threads per process (default: 1 under mpirun, --ranks otherwise)." };
        var noMpi = new Option<bool>("--no-mpi") { Description = "Measure the single process only (do not launch mpirun)." };
        var resultJson = new Option<string?>("--result-json") { Description = "Also write the measured row as JSON to this file (rank 0; the plain run passes it to the ranks it launches)." };
        var warmup = BenchOptions.Warmup(3);
        var repeats = BenchOptions.Repeats(10);
        var outDir = BenchOptions.Out();
        var cmd = new Command("scaling",
            "Data-parallel scaling on the CPU at one global batch: 1 process × N threads, then N MPI ranks × 1 thread (the trainer's step with its " +
            "gradient all-reduce), launched through mpirun when Open MPI is installed; prints ms/step, tokens/s and the all-reduce's share, and " +
            "the mpirun command. Under mpirun it measures that launch's layout. The GPU half (NCCL) needs CUDA and TextSSL's NCCL path; it says when either is missing. " +
            "Writes bench-scaling.csv/.md.");
        foreach (var o in new Option[] { preset, globalBatch, ranks, threads, noMpi, resultJson, warmup, repeats, outDir }) cmd.Options.Add(o);
        cmd.SetAction((ParseResult pr, CancellationToken ct) => Task.Run(() =>
        {
            var world = Communicator.ForProcess(DistributedMode.Auto);
            var n = pr.GetValue(ranks);
            OptionException.CheckRange("Ranks", n, 1, 1024);
            var options = new ScalingBenchOptions(pr.GetValue(preset)!, pr.GetValue(globalBatch), pr.GetValue(threads) ?? (world.UsesMpi ? 1 : n),
                                                  pr.GetValue(warmup), pr.GetValue(repeats)).Validate(world.UsesMpi ? world.Size : n);
            var json = pr.GetValue(resultJson);
            if (world.UsesMpi)
            {
                var measured = ScalingBenchmark.Run(options, world, ct);
                if (!world.IsRoot) return 0;
                if (json is not null) File.WriteAllText(json, JsonSerializer.Serialize(measured));
                BenchOptions.Report(ScalingBenchmark.ToTable(options.Preset, [measured]), pr.GetValue(outDir)!, "bench-scaling");
                return 0;
            }

            Console.Error.WriteLine($"measuring 1 process × {options.Threads} threads, global batch {options.GlobalBatch}, {options.Preset} ...");
            var results = new List<ScalingBenchResult> { ScalingBenchmark.Run(options, world, ct) };
            var command = MpirunCommand(n, options);
            if (pr.GetValue(noMpi)) Console.Error.WriteLine($"--no-mpi: the {n}-rank row was not measured; run it with: {string.Join(' ', command)}");
            else if (n == 1) Console.Error.WriteLine("--ranks 1: there is no data-parallel layout to compare.");
            else if (FindOnPath("mpirun") is null)
                Console.Error.WriteLine($"mpirun is not installed (apt-get install openmpi-bin), so the {n}-rank row was not measured; with Open MPI run: {string.Join(' ', command)}");
            else if (RunRanks(command, ct) is { } ranked) results.Add(ranked);
            Console.Error.WriteLine(GpuNote());
            BenchOptions.Report(ScalingBenchmark.ToTable(options.Preset, results), pr.GetValue(outDir)!, "bench-scaling");
            return 0;
        }, ct));
        return cmd;
    }

    /// <summary>The command that runs the N-rank layout: this program under mpirun, one thread per rank.</summary>
    private static List<string> MpirunCommand(int ranks, ScalingBenchOptions o)
    {
        var self = Environment.ProcessPath ?? "dotnet";
        List<string> program = Path.GetFileNameWithoutExtension(self) == "dotnet" ? [self, typeof(BenchScalingCommand).Assembly.Location] : [self];
        return ["mpirun", "--allow-run-as-root", "--oversubscribe", "-np", $"{ranks}", .. program, "bench", "scaling", "--preset", o.Preset,
                "--global-batch", $"{o.GlobalBatch}", "--threads", "1", "--warmup", $"{o.Warmup}", "--repeats", $"{o.Repeats}"];
    }

    /// <summary>Runs the ranks (their output passes through) and reads rank 0's row; null with a note when they fail.</summary>
    private static ScalingBenchResult? RunRanks(List<string> command, CancellationToken ct)
    {
        // the ranks write their row (and their own table files) under a temporary folder of this run, removed afterwards
        var scratch = Directory.CreateTempSubdirectory("textssl-bench-scaling-").FullName;
        var json = Path.Combine(scratch, "row.json");
        List<string> full = [.. command, "--result-json", json, "--out", scratch];
        Console.Error.WriteLine($"measuring {command[4]} ranks × 1 thread: {string.Join(' ', command)}");
        var start = new ProcessStartInfo(full[0]) { RedirectStandardOutput = true };
        foreach (var a in full.Skip(1)) start.ArgumentList.Add(a);
        try
        {
            using var process = Process.Start(start)!;
            var output = process.StandardOutput.ReadToEndAsync(ct);
            process.WaitForExitAsync(ct).GetAwaiter().GetResult();
            if (process.ExitCode != 0 || !File.Exists(json))
            {
                Console.Error.WriteLine($"the {command[4]}-rank run failed (mpirun exit {process.ExitCode}); its output:\n{output.Result}");
                return null;
            }
            return JsonSerializer.Deserialize<ScalingBenchResult>(File.ReadAllText(json));
        }
        finally
        {
            Directory.Delete(scratch, recursive: true);
        }
    }

    private static string GpuNote() => TorchSharp.torch.cuda.is_available()
        ? "GPU half not measured: CUDA is present, but TextSSL has no NCCL path yet (data-parallel training runs on CPU ranks only), so there is no NCCL all-reduce to time."
        : "GPU half not measured: no CUDA device here (NCCL at world size 1 needs one, and TextSSL's NCCL path).";

    private static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);
}
