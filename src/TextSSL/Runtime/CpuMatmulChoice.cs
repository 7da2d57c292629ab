namespace TextSSL.Runtime;

/// <summary>The library fp32 CPU products use, what was asked for and why.</summary>
/// <param name="Requested">What was asked for (<see cref="CpuMatmul.Auto"/> unless overridden).</param>
/// <param name="InUse">What is in use: <see cref="CpuMatmul.Blas"/>, <see cref="CpuMatmul.OneDnn"/> or <see cref="CpuMatmul.Linear"/>.</param>
/// <param name="Reason">Why, in a few words.</param>
public sealed record CpuMatmulChoice(CpuMatmul Requested, CpuMatmul InUse, string Reason)
{
    /// <summary>The environment variable that overrides the automatic choice for a whole process: auto, blas, onednn or linear.</summary>
    public const string EnvironmentVariable = "TEXTSSL_CPU_MATMUL";

    /// <summary>The accepted spellings, lower case.</summary>
    public static IReadOnlyList<string> Names { get; } = ["auto", "blas", "onednn", "linear"];

    /// <summary>The narrowest model (hidden width) for which auto picks oneDNN on CPUs where it can.</summary>
    public const int OneDnnMinWidth = 256;

    /// <summary>
    /// Decides which library runs fp32 CPU products. Auto picks oneDNN on AMD processors with AVX-512 and without
    /// AMX: MKL (inside libtorch) does not use its AVX-512 kernels there and runs at about half the core's speed, while
    /// oneDNN picks kernels by instruction set and keeps fp32 arithmetic without AMX. For models at least
    /// <see cref="OneDnnMinWidth"/> wide every product goes to oneDNN; narrower models (and start-up, before a model is
    /// known) send only their Linear layers' products there (<see cref="CpuMatmul.Linear"/>): routed globally, libtorch
    /// would also send the many tiny products inside its CPU attention kernel to oneDNN, whose per-call cost outweighs
    /// the faster large products at small widths (measured: char-small 128 wide 6% slower per step with every product
    /// in oneDNN). Everywhere else the BLAS stays.
    /// </summary>
    /// <param name="requested">What was asked for.</param>
    /// <param name="cpu">The processor.</param>
    /// <param name="oneDnnReachable">Whether the setting can be reached in the loaded libtorch (false: the BLAS stays whatever was asked).</param>
    /// <param name="modelWidth">The hidden width of the model about to run, when known.</param>
    public static CpuMatmulChoice Resolve(CpuMatmul requested, CpuFeatures cpu, bool oneDnnReachable, int? modelWidth = null)
    {
        if (!oneDnnReachable)
            return new(requested, CpuMatmul.Blas, "oneDNN's matmul setting is reached only in the libtorch bundled with this build (Linux x64)");
        var suited = cpu.IsAmd && cpu.Avx512 && !cpu.Amx;
        return requested switch
        {
            CpuMatmul.Blas => new(requested, CpuMatmul.Blas, "asked for"),
            CpuMatmul.OneDnn when !cpu.Avx512 => new(requested, CpuMatmul.Blas, "asked for oneDNN, but libtorch routes products to oneDNN only on CPUs with AVX-512"),
            CpuMatmul.Linear when !cpu.Avx512 => new(requested, CpuMatmul.Blas, "asked for oneDNN Linear layers, but libtorch routes products to oneDNN only on CPUs with AVX-512"),
            CpuMatmul.OneDnn or CpuMatmul.Linear => new(requested, requested, cpu.Amx ? "asked for (this CPU has AMX: oneDNN's products run in bf16)" : "asked for"),
            _ when suited && modelWidth >= OneDnnMinWidth =>
                new(requested, CpuMatmul.OneDnn, $"AMD CPU with AVX-512, where MKL skips its AVX-512 kernels; model {modelWidth} wide"),
            _ when suited && modelWidth is { } narrow =>
                new(requested, CpuMatmul.Linear, $"AMD CPU with AVX-512, where MKL skips its AVX-512 kernels; model {narrow} wide: attention's tiny products stay in the BLAS below {OneDnnMinWidth}"),
            _ when suited => new(requested, CpuMatmul.Linear, $"AMD CPU with AVX-512, where MKL skips its AVX-512 kernels; every product for models {OneDnnMinWidth} wide or wider, chosen when a run starts"),
            _ when cpu.IsAmd => new(requested, CpuMatmul.Blas, "AMD CPU without AVX-512: oneDNN is not used for fp32 products"),
            _ => new(requested, CpuMatmul.Blas, $"{(cpu.Vendor == "unknown" ? "unknown CPU" : cpu.Vendor)}: the BLAS runs at full speed"),
        };
    }

    /// <summary>Parses <c>auto</c>, <c>blas</c>, <c>onednn</c> or <c>linear</c> (any case; null or empty is auto).</summary>
    /// <param name="option">The option's property name, for the error.</param>
    /// <param name="value">The spelling.</param>
    /// <exception cref="OptionException">Any other spelling.</exception>
    public static CpuMatmul Parse(string option, string? value) => (value ?? "").Trim().ToLowerInvariant() switch
    {
        "" or "auto" => CpuMatmul.Auto,
        "blas" or "mkl" => CpuMatmul.Blas,
        "onednn" or "mkldnn" => CpuMatmul.OneDnn,
        "linear" or "onednn-linear" => CpuMatmul.Linear,
        _ => throw new OptionException(option, $"{option} '{value}' is not a CPU matmul library. Choose one of: {string.Join(", ", Names)}."),
    };

    /// <summary>The short name: blas, onednn or linear.</summary>
    public static string Name(CpuMatmul value) => value switch { CpuMatmul.Blas => "blas", CpuMatmul.OneDnn => "onednn", CpuMatmul.Linear => "linear", _ => "auto" };

    /// <summary>Where the products go, in words: BLAS, oneDNN, or oneDNN for Linear layers and the BLAS elsewhere.</summary>
    public static string Describe(CpuMatmul value) => value switch
    {
        CpuMatmul.OneDnn => "oneDNN",
        CpuMatmul.Linear => "oneDNN for Linear layers, BLAS elsewhere",
        _ => "BLAS",
    };

    /// <summary>One line for reports.</summary>
    public override string ToString() =>
        $"{Describe(InUse)} ({(Requested == CpuMatmul.Auto ? "auto: " : "")}{Reason})";
}
