using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using static TorchSharp.torch;

namespace TextSSL.Probing;

/// <summary>
/// Feature matrices on disk, keyed by what determines them: the model (weights and tokenizer), the texts,
/// and how features were read (pooling, layer, length). A changed input gives a new key, never a stale hit.
/// </summary>
/// <remarks>File format: the ASCII magic <c>TSSLFEAT</c>, int32 version, int64 rows, int64 columns, then rows×columns little-endian fp32.</remarks>
internal sealed class FeatureCache
{
    private static readonly byte[] Magic = "TSSLFEAT"u8.ToArray();
    private const int Version = 1;

    /// <summary>Creates a cache in <paramref name="directory"/> (created on first write).</summary>
    public FeatureCache(string directory) => Directory = directory;

    /// <summary>The cache directory.</summary>
    public string Directory { get; }

    /// <summary>The default location: <c>$XDG_CACHE_HOME/textssl/features</c>, else <c>~/.cache/textssl/features</c>.</summary>
    public static string DefaultDirectory()
    {
        var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        var root = !string.IsNullOrEmpty(xdg) ? xdg : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        return Path.Combine(root, "textssl", "features");
    }

    /// <summary>Returns the cached (N, C) fp32 CPU tensor for <paramref name="key"/>, or computes, stores and returns it.</summary>
    /// <param name="key">A key from <see cref="Key"/>.</param>
    /// <param name="create">Computes the features on a miss.</param>
    /// <param name="hit">Whether the features came from disk.</param>
    public Tensor GetOrCreate(string key, Func<Tensor> create, out bool hit)
    {
        var path = Path.Combine(Directory, key + ".feat");
        if (TryRead(path) is { } cached) { hit = true; return cached; }
        hit = false;
        var features = create();
        Write(path, features);
        return features;
    }

    /// <summary>A cache key: a hash over the given parts, in order.</summary>
    public static string Key(params string[] parts) => Hash(string.Join("\n", parts))[..40];

    /// <summary>The fingerprint of a checkpoint's weights (sha256 of the weights file) combined with its tokenizer's fingerprint.</summary>
    public static string ModelFingerprint(string weightsPath, string tokenizerFingerprint)
    {
        using var stream = File.OpenRead(weightsPath);
        return ModelFingerprintOf(Convert.ToHexStringLower(SHA256.HashData(stream)), tokenizerFingerprint);
    }

    /// <summary>The same fingerprint from a known SHA-256 of the weights file (e.g. <see cref="Modeling.PretrainedModel.WeightsSha256"/>).</summary>
    public static string ModelFingerprintOf(string weightsSha256, string tokenizerFingerprint) =>
        $"weights:{weightsSha256.ToLowerInvariant()};tokenizer:{tokenizerFingerprint}";

    /// <summary>The fingerprint of a list of texts (order matters).</summary>
    public static string DataFingerprint(IEnumerable<string> texts)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> length = stackalloc byte[8];
        foreach (var text in texts)
        {
            var bytes = Encoding.UTF8.GetBytes(text);
            BinaryPrimitives.WriteInt64LittleEndian(length, bytes.Length);
            sha.AppendData(length);
            sha.AppendData(bytes);
        }
        return "texts:" + Convert.ToHexStringLower(sha.GetHashAndReset());
    }

    private static string Hash(string s) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(s)));

    private static Tensor? TryRead(string path)
    {
        if (!File.Exists(path)) return null;
        try
        {
            var bytes = File.ReadAllBytes(path);
            const int headerSize = 8 + 4 + 8 + 8;
            if (bytes.Length < headerSize || !bytes.AsSpan(0, 8).SequenceEqual(Magic)) return null;
            if (BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(8)) != Version) return null;
            var rows = BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(12));
            var cols = BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(20));
            if (rows < 0 || cols < 0 || bytes.Length != headerSize + rows * cols * 4) return null;
            var data = MemoryMarshal.Cast<byte, float>(bytes.AsSpan(headerSize)).ToArray();
            if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("feature cache files are little-endian.");
            return tensor(data, [rows, cols]);
        }
        catch (IOException)
        {
            // An unreadable entry is recomputed rather than failing the probe.
            return null;
        }
    }

    private static void Write(string path, Tensor features)
    {
        using var cpu = features.to(ScalarType.Float32).cpu().contiguous();
        var data = cpu.data<float>().ToArray();
        AtomicFile.Write(path, stream =>
        {
            Span<byte> header = stackalloc byte[28];
            Magic.CopyTo(header);
            BinaryPrimitives.WriteInt32LittleEndian(header[8..], Version);
            BinaryPrimitives.WriteInt64LittleEndian(header[12..], cpu.shape[0]);
            BinaryPrimitives.WriteInt64LittleEndian(header[20..], cpu.shape[1]);
            stream.Write(header);
            stream.Write(MemoryMarshal.AsBytes(data.AsSpan()));
        });
    }
}
