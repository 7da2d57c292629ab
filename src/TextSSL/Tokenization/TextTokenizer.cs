using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace TextSSL.Tokenization;

/// <summary>
/// The one tokenizer abstraction every stage speaks: text to ids, ids to text, special tokens,
/// vocabulary size, save/load to a directory, and a fingerprint that manifests and checkpoints record.
/// </summary>
public abstract class TextTokenizer
{
    /// <summary>The kind written to the sidecar (<c>char</c>, <c>bpe</c>, <c>tiktoken</c>, ...).</summary>
    public abstract string Kind { get; }

    /// <summary>Number of ids, special tokens included; every id is in [0, VocabSize).</summary>
    public abstract int VocabSize { get; }

    /// <summary>The special tokens, with their ids and roles.</summary>
    public abstract SpecialTokens Specials { get; }

    /// <summary>Encodes text to ids. Special-token strings in the text are encoded as ordinary text.</summary>
    public abstract int[] Encode(string text);

    /// <summary>Decodes ids to text.</summary>
    public abstract string Decode(ReadOnlySpan<int> ids);

    /// <summary>
    /// Gets whether decoding can be done piece by piece: <c>Decode(a + b)</c> equals <c>Decode(a) + Decode(b)</c> whenever
    /// <c>Decode(a)</c> does not end in U+FFFD (so <c>a</c> ends on a whole character). Generation then decodes each new
    /// token with the few before it instead of the whole completion.
    /// </summary>
    /// <remarks>True for tokenizers that decode to characters or bytes and join them (character, byte-level BPE,
    /// tiktoken); false (the default) for any other, such as WordPiece, which puts spaces between words.</remarks>
    public virtual bool DecodesPiecewise => false;

    /// <summary>Writes the tokenizer's files to <paramref name="directory"/> (created if needed).</summary>
    public abstract void Save(string directory);

    /// <summary>
    /// The tokenizer's own files (name and bytes, the sidecar under <see cref="TokenizerFiles.Sidecar"/>) exactly as
    /// <see cref="Save"/> writes them; the fingerprint hashes these. Null (the default) for a tokenizer that can only
    /// save to disk: its fingerprint then comes from a temporary directory.
    /// </summary>
    protected virtual IReadOnlyList<KeyValuePair<string, byte[]>>? SerializeFiles() => null;

    /// <summary>A stable hash of the tokenizer's own files; equal fingerprints mean equal encodings.</summary>
    /// <remarks>
    /// Computed from the files' bytes in memory. The value is the one earlier versions computed from a saved directory
    /// (the sidecar is hashed under its former name <c>tokenizer.json</c>), so manifests and checkpoints written before
    /// still match.
    /// </remarks>
    public string Fingerprint => _fingerprint ??= ComputeFingerprint();

    private string? _fingerprint;

    private string ComputeFingerprint()
    {
        if (SerializeFiles() is { } files) return Hash(files.Select(f => (HashedName(f.Key), f.Value)));
        var dir = Directory.CreateTempSubdirectory("textssl-fp-");
        try
        {
            Save(dir.FullName);
            return FingerprintOf(dir.FullName);
        }
        finally { dir.Delete(recursive: true); }
    }

    /// <summary>Writes <see cref="SerializeFiles"/> into <paramref name="directory"/>, each file atomically.</summary>
    private protected void WriteOwnFiles(string directory)
    {
        Directory.CreateDirectory(directory);
        foreach (var (name, bytes) in SerializeFiles()!) AtomicFile.Write(Path.Combine(directory, name), s => s.Write(bytes));
    }

    /// <summary>The sidecar's bytes as every built-in tokenizer writes them.</summary>
    private protected static byte[] SidecarBytes(TokenizerSidecar sidecar) =>
        new UTF8Encoding(false).GetBytes(JsonSerializer.Serialize(sidecar, TokenizerSidecar.Json));

    /// <summary>
    /// The fingerprint of a saved tokenizer directory. For a TextSSL directory: sha256 over the names and bytes of the
    /// sidecar and the files its kind reads (files written beside them for other toolkits, such as Hugging Face's, are
    /// not part of it). For any other directory: over every file but <c>fingerprint.txt</c>. Names in ordinal order.
    /// </summary>
    public static string FingerprintOf(string directory)
    {
        var sidecar = TokenizerFiles.FindSidecar(directory);
        var kind = sidecar is null ? null : TokenizerFiles.KindOf(sidecar);
        if (kind is not null && TokenizerFiles.DataFiles(kind) is { } dataFiles)
        {
            var files = new List<(string, byte[])> { (TokenizerFiles.LegacySidecar, File.ReadAllBytes(sidecar!)) };
            foreach (var name in dataFiles)
            {
                var path = Path.Combine(directory, name);
                if (File.Exists(path)) files.Add((name, File.ReadAllBytes(path)));
            }
            return Hash(files);
        }
        return Hash(Directory.GetFiles(directory).Select(Path.GetFileName).Where(n => n != TokenizerFiles.FingerprintFile)
            .Select(n => (n!, File.ReadAllBytes(Path.Combine(directory, n!)))));
    }

    private static string HashedName(string name) => name == TokenizerFiles.Sidecar ? TokenizerFiles.LegacySidecar : name;

    private static string Hash(IEnumerable<(string Name, byte[] Bytes)> files)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var (name, bytes) in files.OrderBy(f => f.Name, StringComparer.Ordinal))
        {
            sha.AppendData(Encoding.UTF8.GetBytes(name + "\n"));
            sha.AppendData(bytes);
        }
        return "sha256:" + Convert.ToHexStringLower(sha.GetHashAndReset())[..32];
    }
}
