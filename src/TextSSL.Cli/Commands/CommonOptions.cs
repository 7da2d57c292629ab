using System.CommandLine;
using TextSSL.Runtime;

namespace TextSSL.Cli.Commands;

/// <summary>Options shared by several commands, spelled and explained the same everywhere.</summary>
internal static class CommonOptions
{
    public static Option<string> Device() => new("--device")
    {
        Description = $"Where to run: {DeviceSelector.Choices}. 'auto' picks CUDA when available, else CPU; 'cuda' without a GPU is an error.",
        DefaultValueFactory = _ => "auto",
    };

    public static Option<int> Seed(int defaultValue = 1337) => new("--seed")
    {
        Description = "Random seed; the same seed gives the same result on the same device.",
        DefaultValueFactory = _ => defaultValue,
    };

    public static Option<int?> Threads() => new("--threads")
    {
        Description = "CPU threads for libtorch (default: all cores).",
    };

    /// <summary>Sets libtorch's thread count for the rest of the command (the CLI owns its process, so the scope is not restored).</summary>
    public static void ApplyThreads(int? threads)
    {
        if (threads is not null) _ = TorchRuntime.Configure(threads, tf32: null);
    }
}
