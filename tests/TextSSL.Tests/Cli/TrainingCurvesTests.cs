using TextSSL.Cli;
using TextSSL.Reports;

namespace TextSSL.Tests.Cli;

/// <summary>Training curves: drawn beside metrics.csv while a run trains, and overlaid for several runs by <c>textssl plot</c>.</summary>
public class TrainingCurvesTests
{
    private string _dir = null!;

    [SetUp]
    public void MakeDirectory() => _dir = Directory.CreateTempSubdirectory("textssl-curves-").FullName;

    [TearDown]
    public void RemoveDirectory() => Directory.Delete(_dir, recursive: true);

    private static async Task<(int Code, string Error)> Run(params string[] args)
    {
        var originalError = Console.Error;
        var error = new StringWriter();
        Console.SetError(error);
        try { return (await CliHost.RunAsync(CliApp.CreateRootCommand(), args), error.ToString()); }
        finally { Console.SetError(originalError); }
    }

    private string FakeRun(string name, double scale)
    {
        var dir = Directory.CreateDirectory(Path.Combine(_dir, name)).FullName;
        var lines = new List<string> { string.Join(",", TextSSL.Training.MetricsLog.Columns) };
        for (var step = 10; step <= 100; step += 10)
        {
            var loss = (scale * 5 / Math.Sqrt(step)).ToString(System.Globalization.CultureInfo.InvariantCulture);
            lines.Add($"{step},train,{loss},0.001,1,1000,10,,,,,{step}");
            if (step % 50 == 0) lines.Add($"{step},eval,,,,,,,{loss},3,,{step}");
        }
        File.WriteAllLines(Path.Combine(dir, "metrics.csv"), lines);
        return dir;
    }

    [Test]
    public void A_run_gets_marked_png_and_svg_curves_beside_its_metrics()
    {
        var run = FakeRun("run-a", 1);
        var files = TrainingCurves.SaveForRun(run);
        Assert.That(files, Is.EqualTo(new[] { Path.Combine(run, "curves.png"), Path.Combine(run, "curves.svg") }));
        var png = File.ReadAllBytes(files[0]);
        Assert.That(png.Take(8), Is.EqualTo(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }));
        Assert.That(png.Length, Is.GreaterThan(5000), "a drawn picture, not an empty canvas");
        Assert.That(File.ReadAllText(files[1]), Does.Contain("<svg").And.Contain("run-a: validation loss"));
        Assert.That(TrainingCurves.WrittenByTextSsl(files[0]) && TrainingCurves.WrittenByTextSsl(files[1]), Is.True);
        Assert.That(Directory.GetFiles(run).Where(f => f.Contains(".tmp-")), Is.Empty);
    }

    [Test]
    public async Task Plot_overlays_runs_and_refuses_to_overwrite_a_users_file()
    {
        var a = FakeRun("run-a", 1);
        var b = FakeRun("run-b", 1.3);
        var output = Path.Combine(_dir, "both.png");
        Assert.That((await Run("plot", a, b, "--out", output)).Code, Is.Zero);
        Assert.That(TrainingCurves.WrittenByTextSsl(output), Is.True);
        Assert.That((await Run("plot", a, b, "--out", output)).Code, Is.Zero, "a picture TextSSL drew may be redrawn");

        var mine = Path.Combine(_dir, "mine.png");
        File.WriteAllText(mine, "my holiday photo");
        var (code, error) = await Run("plot", a, "--out", mine);
        Assert.That(code, Is.EqualTo(1));
        Assert.That(error, Does.Contain("was not drawn by TextSSL"));
        Assert.That(File.ReadAllText(mine), Is.EqualTo("my holiday photo"));

        (code, error) = await Run("plot", Path.Combine(_dir, "nowhere"), "--out", Path.Combine(_dir, "x.svg"));
        Assert.That((code, error.Trim().Split('\n').Length), Is.EqualTo((1, 1)));
        Assert.That(error, Does.Contain("holds no metrics.csv"));
        (code, _) = await Run("plot", a, "--out", Path.Combine(_dir, "x.jpg"));
        Assert.That(code, Is.EqualTo(1));
    }

    [Test]
    public async Task Training_draws_its_curves_at_each_evaluation()
    {
        var output = Path.Combine(_dir, "train");
        var (code, error) = await Run("train", "--data", Tokenization.TestText.MobyDickPath, "--preset", "tiny", "--steps", "4",
            "--eval-every", "2", "--log-every", "1", "--eval-batches", "1", "--device", "cpu", "--out", output);
        Assert.That(code, Is.Zero, error);
        Assert.That(File.Exists(Path.Combine(output, "curves.png")) && File.Exists(Path.Combine(output, "curves.svg")), Is.True);
        Assert.That(TrainingCurves.WrittenByTextSsl(Path.Combine(output, "curves.png")), Is.True);
    }
}
