namespace TextSSL.Runtime;

/// <summary>What the CPU is and which instruction sets matter for libtorch's matrix products.</summary>
/// <param name="Vendor">The vendor string (<c>AuthenticAMD</c>, <c>GenuineIntel</c>, ...), or <c>unknown</c>.</param>
/// <param name="Model">The model name, or <c>unknown</c>.</param>
/// <param name="Avx512">AVX-512 F, BW, VL and DQ: what oneDNN's and MKL's AVX-512 kernels need.</param>
/// <param name="Avx512Bf16">AVX512-BF16 (bf16 dot products).</param>
/// <param name="Amx">AMX tiles with bf16 (Intel Sapphire Rapids and later).</param>
public sealed record CpuFeatures(string Vendor, string Model, bool Avx512, bool Avx512Bf16, bool Amx)
{
    /// <summary>The vendor string of AMD processors.</summary>
    public const string AmdVendor = "AuthenticAMD";

    /// <summary>Nothing known (not Linux, or <c>/proc/cpuinfo</c> unreadable).</summary>
    public static CpuFeatures Unknown { get; } = new("unknown", "unknown", false, false, false);

    /// <summary>Whether the vendor is AMD.</summary>
    public bool IsAmd => Vendor == AmdVendor;

    /// <summary>Reads <c>/proc/cpuinfo</c> on Linux; <see cref="Unknown"/> elsewhere or when it cannot be read.</summary>
    public static CpuFeatures Detect()
    {
        if (!OperatingSystem.IsLinux()) return Unknown;
        try { return Parse(File.ReadAllText("/proc/cpuinfo")); }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { return Unknown; }
    }

    /// <summary>Parses the text of <c>/proc/cpuinfo</c> (the first processor's vendor, model and flags).</summary>
    public static CpuFeatures Parse(string cpuinfo)
    {
        string? vendor = null, model = null, flags = null;
        foreach (var line in cpuinfo.Split('\n'))
        {
            var colon = line.IndexOf(':');
            if (colon < 0) continue;
            var key = line[..colon].Trim();
            var value = line[(colon + 1)..].Trim();
            if (key == "vendor_id") vendor ??= value;
            else if (key == "model name") model ??= value;
            else if (key == "flags") flags ??= value;
        }
        var set = new HashSet<string>((flags ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries), StringComparer.Ordinal);
        var avx512 = set.Contains("avx512f") && set.Contains("avx512bw") && set.Contains("avx512vl") && set.Contains("avx512dq");
        return new CpuFeatures(vendor ?? "unknown", model ?? "unknown", avx512, set.Contains("avx512_bf16"), set.Contains("amx_bf16"));
    }

    /// <summary>One line for reports: vendor, model and the instruction sets above.</summary>
    public override string ToString()
    {
        var sets = new List<string>();
        if (Avx512) sets.Add("AVX-512");
        if (Avx512Bf16) sets.Add("AVX512-BF16");
        if (Amx) sets.Add("AMX-BF16");
        return $"{Vendor}, {Model}{(sets.Count > 0 ? ", " + string.Join(", ", sets) : "")}";
    }
}
