using TorchSharp;
using static TorchSharp.torch;

namespace TextSSL.Runtime;

/// <summary>The dtype of matrix products; master weights, LayerNorm, softmax and the loss stay fp32 either way.</summary>
public enum ComputeDtype
{
    /// <summary>bf16 on CUDA, fp32 on the CPU.</summary>
    Auto,
    /// <summary>fp32 products (TF32 tensor cores on CUDA where the runtime allows them).</summary>
    Fp32,
    /// <summary>bf16 products with fp32 master weights.</summary>
    Bf16,
}

/// <summary>The one place compute dtypes are parsed, resolved against a device and named.</summary>
internal static class ComputeDtypes
{
    /// <summary>The accepted spellings, lower case, for help texts.</summary>
    public static IReadOnlyList<string> Names { get; } = ["auto", "fp32", "bf16"];

    /// <summary>Parses <c>auto</c>, <c>fp32</c>/<c>float32</c> or <c>bf16</c>/<c>bfloat16</c> (any case).</summary>
    /// <param name="option">The option's property name, for the error.</param>
    /// <param name="value">The spelling.</param>
    /// <exception cref="OptionException">Any other spelling (fp16 needs a gradient scaler TorchSharp does not have).</exception>
    public static ComputeDtype Parse(string option, string? value) => (value ?? "auto").Trim().ToLowerInvariant() switch
    {
        "" or "auto" => ComputeDtype.Auto,
        "fp32" or "float32" => ComputeDtype.Fp32,
        "bf16" or "bfloat16" => ComputeDtype.Bf16,
        _ => throw new OptionException(option, $"{option} '{value}' is not a compute dtype. Choose one of: {string.Join(", ", Names)} (fp16 needs a gradient scaler TorchSharp does not have)."),
    };

    /// <summary>The scalar type of products on <paramref name="device"/>.</summary>
    public static ScalarType Resolve(this ComputeDtype dtype, Device device) => dtype switch
    {
        ComputeDtype.Bf16 => ScalarType.BFloat16,
        ComputeDtype.Fp32 => ScalarType.Float32,
        _ => device.type == DeviceType.CUDA ? ScalarType.BFloat16 : ScalarType.Float32,
    };

    /// <summary>The short name of a compute scalar type: fp32, bf16, fp16.</summary>
    public static string Name(ScalarType dtype) => dtype switch
    {
        ScalarType.Float32 => "fp32",
        ScalarType.BFloat16 => "bf16",
        ScalarType.Float16 => "fp16",
        _ => dtype.ToString(),
    };
}
