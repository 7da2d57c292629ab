using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using static TorchSharp.torch;

namespace TextSSL.Interop;

/// <summary>One tensor as a safetensors header describes it.</summary>
/// <param name="Name">The tensor's name.</param>
/// <param name="Dtype">Its safetensors dtype (any the format defines; only <c>F32</c>, <c>F16</c> and <c>BF16</c> are read).</param>
/// <param name="Shape">Its shape.</param>
/// <param name="Begin">First byte, relative to the data area.</param>
/// <param name="End">One past the last byte, relative to the data area.</param>
internal sealed record SafetensorsEntry(string Name, string Dtype, long[] Shape, long Begin, long End);

/// <summary>
/// Reads and writes the safetensors format: an 8-byte little-endian header length, a JSON header
/// (<c>name → {dtype, shape, data_offsets}</c>, plus an optional <c>__metadata__</c> of strings), then the raw tensor bytes.
/// </summary>
/// <remarks>
/// Tensor bytes are read by TorchSharp.PyBridge (<c>Safetensors.LoadStateDict</c>, checked against TorchSharp 0.107: F32, F16
/// and BF16 round-trip). PyBridge does not check the header (offsets past the end surface as an
/// <see cref="EndOfStreamException"/> without the file's name; overlapping spans are not detected), so every file is
/// validated here first. Writing is done here, not by PyBridge: its writer emits no <c>__metadata__</c>
/// (<c>{"format": "pt"}</c>, which older <c>transformers</c> releases require) and no 8-byte header padding.
/// </remarks>
internal static class SafetensorsFile
{
    /// <summary>The dtypes whose tensors this reader loads; all are converted to fp32 on load.</summary>
    public static IReadOnlyList<string> SupportedDtypes { get; } = ["F32", "F16", "BF16"];

    // Every dtype the format defines, with its element size: a header naming one of these is valid, and its tensors
    // are checked (span, overlap) but not loaded — files carry integer buffers such as RoBERTa's I64 position_ids,
    // which an import skips. A dtype outside this table is a malformed file.
    private static readonly Dictionary<string, int> ElementSizes = new(StringComparer.Ordinal)
    {
        ["BOOL"] = 1, ["U8"] = 1, ["I8"] = 1, ["F8_E4M3"] = 1, ["F8_E5M2"] = 1,
        ["I16"] = 2, ["U16"] = 2, ["F16"] = 2, ["BF16"] = 2,
        ["I32"] = 4, ["U32"] = 4, ["F32"] = 4,
        ["I64"] = 8, ["U64"] = 8, ["F64"] = 8,
    };

    private const long MaxHeaderBytes = 100L << 20; // the reference implementation's limit

    /// <summary>Reads and validates the header of <paramref name="path"/>.</summary>
    /// <returns>The tensors, in the header's order.</returns>
    /// <exception cref="TextSslException">The file is missing, truncated or its header is malformed; the message names the file.</exception>
    public static IReadOnlyList<SafetensorsEntry> ReadHeader(string path)
    {
        if (!File.Exists(path)) throw new TextSslException($"{path} does not exist.");
        using var stream = File.OpenRead(path);
        return ReadHeader(path, stream, out _);
    }

    private static List<SafetensorsEntry> ReadHeader(string path, FileStream stream, out long dataStart)
    {
        var fileLength = stream.Length;
        if (fileLength < 8) throw new TextSslException($"{path} is not a safetensors file: {fileLength} bytes, shorter than the 8-byte header length.");
        Span<byte> lengthBytes = stackalloc byte[8];
        stream.ReadExactly(lengthBytes);
        var headerLength = BinaryPrimitives.ReadUInt64LittleEndian(lengthBytes);
        if (headerLength > (ulong)(fileLength - 8))
            throw new TextSslException($"{path} is truncated or not a safetensors file: its header claims {headerLength} bytes but only {fileLength - 8} follow.");
        if (headerLength > MaxHeaderBytes) throw new TextSslException($"{path}: the header is {headerLength} bytes, over the {MaxHeaderBytes >> 20} MiB limit.");
        var header = new byte[headerLength];
        stream.ReadExactly(header);
        dataStart = 8 + (long)headerLength;
        var dataLength = fileLength - dataStart;

        JsonDocument doc;
        try { doc = JsonDocument.Parse(header); }
        catch (JsonException ex) { throw new TextSslException($"{path}: the header is not valid JSON ({ex.Message}).", ex); }
        using var _ = doc;
        if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new TextSslException($"{path}: the header is not a JSON object.");
        var entries = new List<SafetensorsEntry>();
        foreach (var p in doc.RootElement.EnumerateObject())
        {
            if (p.Name == "__metadata__") continue;
            entries.Add(ParseEntry(path, p, dataLength));
        }
        // No two tensors may share bytes.
        var sorted = entries.Where(e => e.End > e.Begin).OrderBy(e => e.Begin).ToList();
        for (var i = 1; i < sorted.Count; i++)
            if (sorted[i].Begin < sorted[i - 1].End)
                throw new TextSslException($"{path}: tensors '{sorted[i - 1].Name}' and '{sorted[i].Name}' overlap (bytes {sorted[i - 1].Begin}–{sorted[i - 1].End} and {sorted[i].Begin}–{sorted[i].End}).");
        return entries;
    }

    private static SafetensorsEntry ParseEntry(string path, JsonProperty p, long dataLength)
    {
        var e = p.Value;
        string Bad(string what) => $"{path}: tensor '{p.Name}' {what}.";
        if (e.ValueKind != JsonValueKind.Object) throw new TextSslException(Bad("is not a JSON object"));
        if (!e.TryGetProperty("dtype", out var dt) || dt.ValueKind != JsonValueKind.String) throw new TextSslException(Bad("has no dtype"));
        var dtype = dt.GetString()!;
        if (!ElementSizes.TryGetValue(dtype, out var size))
            throw new TextSslException(Bad($"has dtype {dtype}, which is not a safetensors dtype (TextSSL reads weights in {string.Join(", ", SupportedDtypes)})"));
        if (!e.TryGetProperty("shape", out var sh) || sh.ValueKind != JsonValueKind.Array) throw new TextSslException(Bad("has no shape"));
        var shape = new long[sh.GetArrayLength()];
        var count = 1L;
        var i = 0;
        foreach (var d in sh.EnumerateArray())
        {
            if (d.ValueKind != JsonValueKind.Number || !d.TryGetInt64(out var n) || n < 0) throw new TextSslException(Bad("has a shape that is not a list of non-negative integers"));
            shape[i++] = n;
            count = n == 0 || count <= long.MaxValue / n ? count * n : throw new TextSslException(Bad("has a shape too large to address"));
        }
        if (!e.TryGetProperty("data_offsets", out var off) || off.ValueKind != JsonValueKind.Array || off.GetArrayLength() != 2
            || !off[0].TryGetInt64(out var begin) || !off[1].TryGetInt64(out var end))
            throw new TextSslException(Bad("has no data_offsets [begin, end]"));
        if (begin < 0 || end < begin) throw new TextSslException(Bad($"has data_offsets [{begin}, {end}], not an increasing pair"));
        if (end > dataLength) throw new TextSslException(Bad($"ends at byte {end} of the data area, past its end ({dataLength} bytes): the file is truncated or the header is wrong"));
        if (count > long.MaxValue / size || count * size != end - begin)
            throw new TextSslException(Bad($"has shape [{string.Join(", ", shape)}] × {size} bytes = {count * size} bytes, but its data_offsets span {end - begin}"));
        return new SafetensorsEntry(p.Name, dtype, shape, begin, end);
    }

    /// <summary>
    /// Reads every floating-point tensor (F32, F16, BF16) of <paramref name="path"/> as fp32, after validating the header.
    /// Tensors of other dtypes (integer buffers) are left out; a caller that needs one finds it missing and says so.
    /// </summary>
    /// <param name="path">The safetensors file.</param>
    /// <param name="keep">When given, only tensors for which it returns true are read.</param>
    /// <returns>Name → fp32 CPU tensor; the caller disposes them.</returns>
    /// <exception cref="TextSslException">The file is missing, truncated or malformed; the message names the file.</exception>
    public static Dictionary<string, Tensor> Read(string path, Func<string, bool>? keep = null)
    {
        var entries = ReadHeader(path);
        var wanted = entries.Where(e => SupportedDtypes.Contains(e.Dtype) && (keep?.Invoke(e.Name) ?? true)).Select(e => e.Name).ToList();
        Dictionary<string, Tensor> raw;
        try { raw = TorchSharp.PyBridge.Safetensors.LoadStateDict(path, wanted); }
        catch (Exception ex) when (ex is IOException or NotImplementedException or JsonException or ArgumentException)
        {
            throw new TextSslException($"{path}: cannot read tensors ({ex.Message}).", ex);
        }
        var result = new Dictionary<string, Tensor>(raw.Count);
        foreach (var (name, t) in raw)
        {
            if (t.dtype == ScalarType.Float32) result[name] = t;
            else
            {
                result[name] = t.to(ScalarType.Float32);
                t.Dispose();
            }
        }
        return result;
    }

    /// <summary>Writes <paramref name="tensors"/> to <paramref name="path"/> in the given order, header padded to 8 bytes.</summary>
    /// <param name="path">The file to write (atomically: a temporary sibling is renamed over it).</param>
    /// <param name="tensors">Name and tensor (fp32, fp16 or bf16; any device) pairs; names must be unique.</param>
    /// <param name="metadata">String metadata; <c>format: pt</c> is always written.</param>
    public static void Write(string path, IReadOnlyList<(string Name, Tensor Tensor)> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var header = new Dictionary<string, object>();
        var meta = new Dictionary<string, string> { ["format"] = "pt" };
        if (metadata is not null) foreach (var (k, v) in metadata) meta[k] = v;
        header["__metadata__"] = meta;
        var offset = 0L;
        var blobs = new List<byte[]>(tensors.Count);
        foreach (var (name, tensor) in tensors)
        {
            if (header.ContainsKey(name)) throw new ArgumentException($"tensor name '{name}' appears twice.", nameof(tensors));
            var dtype = tensor.dtype switch
            {
                ScalarType.Float32 => "F32",
                ScalarType.Float16 => "F16",
                ScalarType.BFloat16 => "BF16",
                _ => throw new ArgumentException($"tensor '{name}' has dtype {tensor.dtype}; write F32, F16 or BF16.", nameof(tensors)),
            };
            using var cpu = tensor.detach().cpu().contiguous();
            var bytes = cpu.bytes.ToArray(); // little-endian element bytes, as safetensors stores them
            header[name] = new { dtype, shape = tensor.shape, data_offsets = new[] { offset, offset + bytes.Length } };
            blobs.Add(bytes);
            offset += bytes.Length;
        }
        var json = JsonSerializer.SerializeToUtf8Bytes(header);
        var padded = (json.Length + 7) / 8 * 8;
        AtomicFile.Write(path, s =>
        {
            Span<byte> len = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(len, (ulong)padded);
            s.Write(len);
            s.Write(json);
            for (var i = json.Length; i < padded; i++) s.WriteByte((byte)' ');
            foreach (var b in blobs) s.Write(b);
        });
    }
}
