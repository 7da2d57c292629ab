using System.Text.Json;
using static TorchSharp.torch;

namespace TextSSL.Interop;

/// <summary>
/// The weights of a Hugging Face model directory: one <c>model.safetensors</c>, or shards listed by
/// <c>model.safetensors.index.json</c> (<c>{"weight_map": {tensor: shard file}}</c>).
/// </summary>
internal static class HuggingFaceWeights
{
    /// <summary>The single-file weights name.</summary>
    public const string SingleFile = "model.safetensors";

    /// <summary>The shard index name.</summary>
    public const string IndexFile = "model.safetensors.index.json";

    /// <summary>Reads every tensor of the directory as fp32 (F16 and BF16 are converted).</summary>
    /// <param name="directory">A Hugging Face model directory.</param>
    /// <returns>Name → fp32 CPU tensor; the caller disposes them.</returns>
    /// <exception cref="TextSslException">Weights are missing, malformed, or the index names a missing shard or tensor.</exception>
    public static Dictionary<string, Tensor> Read(string directory)
    {
        var index = Path.Combine(directory, IndexFile);
        var single = Path.Combine(directory, SingleFile);
        if (File.Exists(index)) return ReadSharded(directory, index);
        if (File.Exists(single)) return SafetensorsFile.Read(single);
        var hint = File.Exists(Path.Combine(directory, "pytorch_model.bin"))
            ? " It holds pytorch_model.bin (a pickle); TextSSL reads safetensors only: convert it with safetensors' convert script or save_pretrained(safe_serialization=True)."
            : "";
        throw new TextSslException($"'{directory}' holds no weights: neither {SingleFile} nor {IndexFile} was found.{hint}");
    }

    private static Dictionary<string, Tensor> ReadSharded(string directory, string index)
    {
        Dictionary<string, string> map;
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(index));
            if (!doc.RootElement.TryGetProperty("weight_map", out var wm) || wm.ValueKind != JsonValueKind.Object)
                throw new TextSslException($"{index} has no \"weight_map\" object.");
            map = [];
            foreach (var p in wm.EnumerateObject())
            {
                if (p.Value.ValueKind != JsonValueKind.String) throw new TextSslException($"{index}: the shard of '{p.Name}' is not a file name.");
                var file = p.Value.GetString()!;
                if (file.Length == 0 || Path.GetFileName(file) != file) throw new TextSslException($"{index}: shard '{file}' of '{p.Name}' is not a plain file name in the same directory.");
                map[p.Name] = file;
            }
        }
        catch (JsonException ex) { throw new TextSslException($"{index} is not valid JSON: {ex.Message}", ex); }
        if (map.Count == 0) throw new TextSslException($"{index} lists no tensors.");

        var result = new Dictionary<string, Tensor>();
        try
        {
            foreach (var shard in map.Values.Distinct().Order(StringComparer.Ordinal))
            {
                var path = Path.Combine(directory, shard);
                if (!File.Exists(path)) throw new TextSslException($"{index} names shard {shard}, which is missing from '{directory}'.");
                var wanted = map.Where(kv => kv.Value == shard).Select(kv => kv.Key).ToHashSet();
                var present = SafetensorsFile.ReadHeader(path).Select(e => e.Name).ToHashSet();
                var absent = wanted.FirstOrDefault(n => !present.Contains(n));
                if (absent is not null) throw new TextSslException($"{index} places tensor '{absent}' in {shard}, but {path} does not hold it.");
                foreach (var (name, t) in SafetensorsFile.Read(path, wanted.Contains)) result[name] = t;
            }
        }
        catch
        {
            foreach (var t in result.Values) t.Dispose();
            throw;
        }
        return result;
    }

    /// <summary>Writes <paramref name="tensors"/> as shards of at most <paramref name="maxShardBytes"/> each, plus the index.</summary>
    /// <param name="directory">The target directory.</param>
    /// <param name="tensors">Name and tensor pairs, in file order.</param>
    /// <param name="maxShardBytes">Upper bound on one shard's tensor bytes (a larger single tensor gets a shard of its own).</param>
    /// <returns>The file names written, index last.</returns>
    public static IReadOnlyList<string> WriteSharded(string directory, IReadOnlyList<(string Name, Tensor Tensor)> tensors, long maxShardBytes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxShardBytes, 1);
        var shards = new List<List<(string Name, Tensor Tensor)>> { new() };
        long current = 0, total = 0;
        foreach (var item in tensors)
        {
            var bytes = item.Tensor.numel() * item.Tensor.ElementSize;
            if (current > 0 && current + bytes > maxShardBytes) { shards.Add([]); current = 0; }
            shards[^1].Add(item);
            current += bytes;
            total += bytes;
        }
        var files = new List<string>();
        var weightMap = new SortedDictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < shards.Count; i++)
        {
            var name = $"model-{i + 1:D5}-of-{shards.Count:D5}.safetensors";
            SafetensorsFile.Write(Path.Combine(directory, name), shards[i]);
            foreach (var (n, _) in shards[i]) weightMap[n] = name;
            files.Add(name);
        }
        var indexJson = JsonSerializer.Serialize(new { metadata = new { total_size = total }, weight_map = weightMap }, ReadableJson.Plain);
        AtomicFile.WriteAllText(Path.Combine(directory, IndexFile), indexJson + "\n");
        files.Add(IndexFile);
        return files;
    }
}
