using TextSSL.Cli;

namespace TextSSL.Tests.Cli;

/// <summary>Bad input at the front door: one clear message on stderr, exit code 1, no stack trace.</summary>
public class CliErrorTests
{
    private static async Task<(int Code, string Error)> Run(params string[] args)
    {
        var originalError = Console.Error;
        var error = new StringWriter();
        Console.SetError(error);
        try
        {
            var code = await CliHost.RunAsync(CliApp.CreateRootCommand(), args);
            return (code, error.ToString());
        }
        finally { Console.SetError(originalError); }
    }

    [Test]
    public async Task Unknown_device_lists_the_choices()
    {
        var dir = Directory.CreateTempSubdirectory("textssl-cli-").FullName;
        try
        {
            var (code, error) = await Run("train", "--data", Tokenization.TestText.MobyDickPath, "--preset", "tiny", "--steps", "1",
                                          "--device", "gpu", "--out", Path.Combine(dir, "run"));
            Assert.That(code, Is.EqualTo(1));
            Assert.That(error, Does.Contain("unknown device 'gpu'").And.Contain("auto, cpu, cuda, cuda:N"));
            Assert.That(error, Does.Not.Contain("   at "), "a stack trace was printed");
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Test]
    public async Task Bench_train_overhead_rejects_too_few_steps_and_a_bad_padding()
    {
        var (code, error) = await Run("bench", "train-overhead", "--steps", "20", "--log-every", "10");
        Assert.That(code, Is.EqualTo(1));
        Assert.That(error, Does.Contain("--steps must be at least 3 × --log-every = 30 (got 20)"));
        (code, error) = await Run("bench", "train-overhead", "--pad-vocab", "0");
        Assert.That(code, Is.EqualTo(1));
        Assert.That(error, Does.Contain("--pad-vocab must be at least 1 (got 0)"));
    }

    [Test]
    public async Task Bench_cpu_checks_its_numbers_before_measuring()
    {
        var (code, error) = await Run("bench", "cpu", "--steps", "20", "--log-every", "10");
        Assert.That(code, Is.EqualTo(1));
        Assert.That(error, Does.Contain("--steps must be at least 3 × --log-every = 30 (got 20)"));
        (code, error) = await Run("bench", "cpu", "--threads", "0", "--steps", "0");
        Assert.That(code, Is.EqualTo(1));
        Assert.That(error, Does.Contain("--threads"));
        (code, error) = await Run("train", "--data", "x.txt", "--out", "y", "--cpu-matmul", "openblas");
        Assert.That(code, Is.Not.EqualTo(0));
        Assert.That(error, Does.Contain("auto").And.Contain("onednn"));
    }

    [Test]
    public async Task Unreadable_corpus_path_is_named()
    {
        var dir = Directory.CreateTempSubdirectory("textssl-cli-").FullName;
        try
        {
            var missing = Path.Combine(dir, "no-such-corpus.txt");
            var (code, error) = await Run("train", "--data", missing, "--preset", "tiny", "--steps", "1", "--device", "cpu", "--out", Path.Combine(dir, "run"));
            Assert.That(code, Is.EqualTo(1));
            Assert.That(error, Does.Contain(missing));
            Assert.That(error, Does.Not.Contain("   at "));
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Test]
    public async Task Cuda_when_absent_is_an_error_not_a_cpu_run()
    {
        if (TorchSharp.torch.cuda.is_available()) Assert.Ignore("this machine has CUDA");
        var dir = Directory.CreateTempSubdirectory("textssl-cli-").FullName;
        try
        {
            var (code, error) = await Run("train", "--data", Tokenization.TestText.MobyDickPath, "--preset", "tiny", "--steps", "1",
                                          "--device", "cuda", "--out", Path.Combine(dir, "run"));
            Assert.That(code, Is.EqualTo(1));
            Assert.That(error, Does.Contain("CUDA is not available"));
            Assert.That(Directory.Exists(Path.Combine(dir, "run", "last")), Is.False, "a run was written");
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}
