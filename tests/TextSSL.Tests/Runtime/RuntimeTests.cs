using Spectre.Console.Testing;
using TextSSL.Cli.Commands;
using TextSSL.Runtime;
using TorchSharp;

namespace TextSSL.Tests.Runtime;

public class RuntimeTests
{
    [Test]
    public void Libtorch_loads_and_computes_on_cpu()
    {
        Assert.That(TorchRuntime.TryLoad().Ok, Is.True, TorchRuntime.TryLoad().Problem);
        using var x = torch.arange(4, dtype: torch.float32);
        Assert.That((x * x).sum().item<float>(), Is.EqualTo(14f));
    }

    [TestCase("auto", DeviceKind.Auto, 0)]
    [TestCase(null, DeviceKind.Auto, 0)]
    [TestCase("cpu", DeviceKind.Cpu, 0)]
    [TestCase("CUDA", DeviceKind.Cuda, 0)]
    [TestCase("cuda:3", DeviceKind.Cuda, 3)]
    public void Device_specifications_parse(string? spec, DeviceKind kind, int index) =>
        Assert.That(DeviceSelector.Parse(spec), Is.EqualTo(new DeviceRequest(kind, index)));

    [TestCase("gpu")]
    [TestCase("cuda:")]
    [TestCase("cuda:-1")]
    [TestCase("tpu:0")]
    public void Unknown_device_lists_the_choices(string spec) =>
        Assert.That(() => DeviceSelector.Parse(spec),
            Throws.InstanceOf<TextSslException>().With.Message.Contains(spec).And.Message.Contains("auto, cpu, cuda, cuda:N"));

    [Test]
    public void Auto_and_cpu_resolve_on_this_machine()
    {
        Assert.That(DeviceSelector.Resolve("cpu").type, Is.EqualTo(DeviceType.CPU));
        var auto = DeviceSelector.Resolve("auto");
        Assert.That(auto.type, Is.EqualTo(torch.cuda.is_available() ? DeviceType.CUDA : DeviceType.CPU));
    }

    [Test]
    public void Cuda_without_a_gpu_is_a_clear_error_not_a_silent_cpu_run()
    {
        if (torch.cuda.is_available()) Assert.Ignore("this machine has CUDA");
        Assert.That(() => DeviceSelector.Resolve("cuda"),
            Throws.InstanceOf<OptionException>().With.Message.Contains("CUDA is not available")
                .And.Matches<OptionException>(e => e.MessageWith(TextSSL.Cli.OptionFlags.For).Contains("--device cpu")));
    }

    [Test]
    public void Native_load_failure_with_old_libstdcxx_says_what_to_run()
    {
        var (problem, advice) = TorchRuntime.Diagnose(new TypeInitializationException("TorchSharp.torch", new NotSupportedException("libtorch-cpu-linux-x64")), libStdCxxOk: false);
        Assert.That(problem, Does.Contain("GLIBCXX_3.4.32"));
        Assert.That(advice, Does.Contain("tools/setup.sh"));
    }

    [Test]
    public void Native_load_failure_with_good_libstdcxx_names_the_cause_and_backend()
    {
        var (problem, advice) = TorchRuntime.Diagnose(new DllNotFoundException("libLibTorchSharp.so: cannot open shared object file"), libStdCxxOk: true);
        Assert.That(problem, Does.Contain("libLibTorchSharp.so").And.Contain(TorchRuntime.Backend));
        Assert.That(advice, Is.Not.Empty);
    }

    [Test]
    public void Doctor_reports_versions_libstdcxx_threads_and_cuda_and_exits_zero_here()
    {
        var console = new TestConsole().Width(200);
        var exit = DoctorCommand.Run(console);
        var text = console.Output;
        Assert.That(exit, Is.EqualTo(0), text);
        Assert.That(text, Does.Contain("TorchSharp").And.Contain("0.107.0"));
        Assert.That(text, Does.Contain("libtorch").And.Contain("2.10"));
        Assert.That(text, Does.Contain("CPU threads"));
        Assert.That(text, Does.Contain("CUDA"));
        Assert.That(text, Does.Contain("backend (build)").And.Contain("cpu"));
        if (OperatingSystem.IsLinux()) Assert.That(text, Does.Contain("GLIBCXX_3.4.32"));
        Assert.That(text, Does.Contain("training can run"));
    }
}
