using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using TextSSL.Distributed;
using TextSSL.Modeling;
using TextSSL.Training;
using static TorchSharp.torch;

namespace TextSSL.Tests.Distributed;

/// <summary>
/// Data-parallel training under Open MPI's mpirun (two ranks of the real CLI). Ignored when mpirun is absent
/// (.ci/run installs openmpi-bin). Ranks run with one libtorch thread each, as on a 2-core machine.
/// </summary>
[Category("Mpi"), NonParallelizable]
public sealed class MpiTests
{
    private static readonly string Cli = typeof(TextSSL.Cli.Commands.DoctorCommand).Assembly.Location;
    private string _dir = "";

    [SetUp]
    public void SetUp()
    {
        if (FindOnPath("mpirun") is null) Assert.Ignore("mpirun is not installed (apt-get install openmpi-bin).");
        _dir = Path.Combine(Path.GetTempPath(), "textssl-mpi-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(_dir);
        File.WriteAllText(Path.Combine(_dir, "data.txt"), Training.TrainingFixtures.Text(1500));
    }

    [TearDown]
    public void TearDown()
    {
        if (_dir.Length > 0 && Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    [Test]
    public void LaunchEnvironmentIsReadFromOpenMpiVariables()
    {
        var env = new Dictionary<string, string> { ["OMPI_COMM_WORLD_SIZE"] = "4", ["OMPI_COMM_WORLD_RANK"] = "3", ["OMPI_COMM_WORLD_LOCAL_RANK"] = "1" };
        Assert.That(LaunchEnvironment.Detect(k => env.GetValueOrDefault(k)), Is.EqualTo(new LaunchEnvironment(4, 3, 1)));
        Assert.That(LaunchEnvironment.Detect(_ => null), Is.Null);
        env["OMPI_COMM_WORLD_RANK"] = "4";
        Assert.Throws<TextSslException>(() => LaunchEnvironment.Detect(k => env.GetValueOrDefault(k)));
    }

    [Test]
    public void ScalingBenchMeasuresTwoRanksAgainstOneProcessAtTheSameGlobalBatch()
    {
        var bench = Path.Combine(_dir, "bench");
        var (code, output) = Run(Dotnet(["bench", "scaling", "--preset", "tiny", "--global-batch", "8", "--ranks", "2", "--warmup", "1", "--repeats", "3", "--out", bench]));
        Assert.That(code, Is.Zero, output);
        Assert.That(output, Does.Contain("| tiny | 1 process × 2 threads | 8×32 |"), output);
        Assert.That(output, Does.Contain("| tiny | 2 ranks × 1 thread | 8×32 |"), output);
        Assert.That(output, Does.Contain("mpirun --allow-run-as-root --oversubscribe -np 2 "), "the bench shows how it launched the ranks");
        Assert.That(output, Does.Contain("GPU half not measured"));
        var rows = File.ReadAllLines(Path.Combine(bench, "bench-scaling.csv"));
        Assert.That(rows, Has.Length.EqualTo(3));
        var allReduce = double.Parse(rows[2].Split(',')[4], CultureInfo.InvariantCulture);
        Assert.That(allReduce, Is.GreaterThan(0), "the 2-rank row times its all-reduce");

        (code, output) = Run(Dotnet(["bench", "scaling", "--global-batch", "7", "--out", bench]));
        Assert.That(code, Is.Not.Zero);
        Assert.That(output, Does.Contain("--global-batch 7 does not split evenly over 2 ranks"), output);
    }

    [Test]
    public void TwoRanksAverageAKnownGradient()
    {
        // doctor averages rank r's (r+1)·[0..5] and (r+1)·0.5 across the ranks with the trainer's GradientAveraging
        // and checks the exact mean on every rank.
        var (code, output) = Run(Mpirun(2, ["doctor"]));
        Assert.That(code, Is.Zero, output);
        Assert.That(output, Does.Contain("rank 0 of 2 (launched by mpirun)"), output);
        Assert.That(output, Does.Contain("correct on all 2 ranks"), output);
    }

    [Test]
    public void TwoRanksWithBatchBFollowOneProcessWithBatch2B()
    {
        const int steps = 50;
        string[] common = ["train", "--data", Path.Combine(_dir, "data.txt"), "--preset", "tiny", "--steps", $"{steps}", "--dropout", "0",
                           "--device", "cpu", "--dtype", "fp32", "--threads", "1", "--lr", "3e-3", "--warmup", "5", "--eval-every", $"{steps}",
                           "--eval-batches", "4", "--log-every", "5", "--out", "run"];
        var one = Path.Combine(_dir, "one");
        Directory.CreateDirectory(one);
        var (code1, out1) = Run(Dotnet([.. common, "--batch-size", "8"]), one);
        Assert.That(code1, Is.Zero, out1);

        // Two ranks, each in its own working directory with the same relative --out: rank 1 must write nothing.
        var (rank0, rank1) = (Path.Combine(_dir, "rank0"), Path.Combine(_dir, "rank1"));
        Directory.CreateDirectory(rank0);
        Directory.CreateDirectory(rank1);
        string[] app = ["dotnet", Cli, .. common, "--batch-size", "4"];
        var (code2, out2) = Run(["mpirun", "--allow-run-as-root", "--oversubscribe", "--tag-output",
                                 "-np", "1", "--wdir", rank0, .. app, ":", "-np", "1", "--wdir", rank1, .. app]);
        Assert.That(code2, Is.Zero, out2);
        Assert.That(Directory.GetFileSystemEntries(rank1), Is.Empty, "rank 1 wrote files");
        // mpirun gives ranks a pseudo-terminal, so .NET's console writes its keypad-mode sequence (ESC[?1h ESC=) on every
        // rank; anything else tagged with rank 1 would be rank 1 talking.
        Assert.That(Regex.IsMatch(out2, @"\[\d+,1\]<std(out|err)>:(?!\x1b\[\?1h\x1b=)"), Is.False, "rank 1 printed to the console:\n" + out2);
        Assert.That(out2, Does.Contain("Data-parallel over 2 ranks"));

        // Loss curves: every logged mean loss (rank-reduced) equals the one-process loss.
        var lossOne = TrainLosses(Path.Combine(one, "run"));
        var lossTwo = TrainLosses(Path.Combine(rank0, "run"));
        Assert.That(lossTwo.Keys, Is.EqualTo(lossOne.Keys));
        var curve = string.Join(", ", lossOne.Select(kv => string.Create(CultureInfo.InvariantCulture, $"{kv.Key}: {kv.Value:F5}/{lossTwo[kv.Key]:F5}")));
        TestContext.Out.WriteLine($"train loss, one process (batch 8) / two ranks (batch 4): {curve}");
        foreach (var (step, loss) in lossOne)
            Assert.That(lossTwo[step], Is.EqualTo(loss).Within(1e-4 * Math.Abs(loss)), $"loss at step {step}");

        // Parameters: max over tensors of max|a-b| / max|a|.
        var worst = MaxRelativeDifference(Path.Combine(one, "run", "last"), Path.Combine(rank0, "run", "last"));
        TestContext.Out.WriteLine($"max relative parameter difference after {steps} steps: {worst:E2}");
        Assert.That(worst, Is.LessThanOrEqualTo(1e-5));
        Assert.That(TrainingCheckpoint.ReadState(Path.Combine(rank0, "run", "last")).WorldSize, Is.EqualTo(2));
    }

    [Test]
    public void OneRankFailingStopsBothWithItsMessageAndTheRunResumesExactly()
    {
        // Dropout on, so the ranks' dropout generators must be restored too; evaluation (and a checkpoint) every 2 steps.
        string[] common = ["train", "--data", Path.Combine(_dir, "data.txt"), "--preset", "tiny", "--dropout", "0.1", "--device", "cpu",
                           "--threads", "1", "--warmup", "2", "--eval-every", "2", "--eval-batches", "1", "--log-every", "2", "--batch-size", "4"];
        var (code, output) = Run(Mpirun(2, [.. common, "--steps", "8", "--out", Path.Combine(_dir, "whole")]));
        Assert.That(code, Is.Zero, output);

        // Rank 1 fails at step 2 (after rank 0's step-2 checkpoint): both ranks stop, with rank 1's message, non-zero.
        var watch = Stopwatch.StartNew();
        (code, output) = Run(Mpirun(2, [.. common, "--steps", "8", "--out", Path.Combine(_dir, "split")]),
                             environment: new() { ["TEXTSSL_TEST_FAIL_RANK"] = "1" });
        TestContext.Out.WriteLine($"failing run ended in {watch.Elapsed.TotalSeconds:F1} s (exit code {code})");
        Assert.That(code, Is.Not.Zero, output);
        Assert.That(output, Does.Contain("rank 1 of 2: error: injected failure at step 2 (TEXTSSL_TEST_FAIL_RANK=1)."), output);
        Assert.That(output, Does.Not.Contain("Unhandled exception"), output);
        Assert.That(TrainingCheckpoint.ReadState(Path.Combine(_dir, "split", "last")).Step, Is.EqualTo(2));

        // Resumed with the same two ranks, it ends bit for bit where the uninterrupted run ended.
        (code, output) = Run(Mpirun(2, [.. common, "--steps", "8", "--out", Path.Combine(_dir, "split"), "--resume"]));
        Assert.That(code, Is.Zero, output);
        Assert.That(MaxRelativeDifference(Path.Combine(_dir, "whole", "last"), Path.Combine(_dir, "split", "last")), Is.Zero,
            "a two-rank run resumed at step 2 differs from the uninterrupted one");
        Assert.That(File.ReadAllBytes(Path.Combine(_dir, "split", "last", "optimizer.bin")),
                    Is.EqualTo(File.ReadAllBytes(Path.Combine(_dir, "whole", "last", "optimizer.bin"))));

        // The same run resumed by one process: it trains on, and says what changes.
        (code, output) = Run(Dotnet([.. common, "--steps", "10", "--out", Path.Combine(_dir, "split"), "--resume"]));
        Assert.That(code, Is.Zero, output);
        Assert.That(Regex.Replace(output, @"\s+", " "), Does.Contain("Note: the checkpoint was trained on 2 rank(s), this run has 1: the global batch is now 4 rows (was 8)"), output);
    }

    // ---- helpers ---------------------------------------------------------------------------------------------------

    private static string[] Dotnet(string[] args) => ["dotnet", Cli, .. args];

    private static string[] Mpirun(int ranks, string[] args) =>
        ["mpirun", "--allow-run-as-root", "--oversubscribe", "-np", $"{ranks}", "dotnet", Cli, .. args];

    private static SortedDictionary<long, double> TrainLosses(string run) =>
        new(MetricsLog.Read(Path.Combine(run, "metrics.csv")).Where(r => r.Kind == "train").ToDictionary(r => r.Step, r => r.Loss!.Value));

    private static double MaxRelativeDifference(string a, string b)
    {
        using var ma = PretrainedModel.Load(a, CPU);
        using var mb = PretrainedModel.Load(b, CPU);
        var pb = mb.Model.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        var worst = 0.0;
        foreach (var (name, pa) in ma.Model.named_parameters())
        {
            using var diff = (pa - pb[name]).abs().max();
            using var scale = pa.abs().max();
            worst = Math.Max(worst, diff.item<float>() / Math.Max(scale.item<float>(), 1e-12));
        }
        return worst;
    }

    private static (int Code, string Output) Run(string[] command, string? workingDirectory = null, Dictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo(command[0]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in command[1..]) info.ArgumentList.Add(a);
        if (workingDirectory is not null) info.WorkingDirectory = workingDirectory;
        info.Environment["NO_COLOR"] = "1";
        foreach (var (k, v) in environment ?? []) info.Environment[k] = v;
        var output = new StringBuilder();
        using var p = new Process { StartInfo = info };
        p.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        p.Start();
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        if (!p.WaitForExit(TimeSpan.FromSeconds(120)))
        {
            p.Kill(entireProcessTree: true);
            Assert.Fail($"'{string.Join(' ', command)}' did not finish in 120 s (a hang):\n{output}");
        }
        p.WaitForExit();
        lock (output) return (p.ExitCode, output.ToString());
    }

    private static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);
}
