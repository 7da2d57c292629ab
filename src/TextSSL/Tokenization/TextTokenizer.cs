using System.Security.Cryptography;

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

    /// <summary>Writes the tokenizer's files to <paramref name="directory"/> (created if needed).</summary>
    public abstract void Save(string directory);

    /// <summary>A stable hash of the tokenizer's saved files; equal fingerprints mean equal encodings.</summary>
    public string Fingerprint => _fingerprint ??= ComputeFingerprint();

    private string? _fingerprint;

    private string ComputeFingerprint()
    {
        var dir = Directory.CreateTempSubdirectory("textssl-fp-");
        try
        {
            Save(dir.FullName);
            return FingerprintOf(dir.FullName);
        }
        finally { dir.Delete(recursive: true); }
    }

    /// <summary>The fingerprint of a saved tokenizer directory: sha256 over its files' names and bytes, in ordinal name order.</summary>
    public static string FingerprintOf(string directory)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var file in Directory.GetFiles(directory).Order(StringComparer.Ordinal))
        {
            var name = Path.GetFileName(file);
            if (name == TokenizerFiles.FingerprintFile) continue;
            sha.AppendData(System.Text.Encoding.UTF8.GetBytes(name + "\n"));
            sha.AppendData(File.ReadAllBytes(file));
        }
        return "sha256:" + Convert.ToHexStringLower(sha.GetHashAndReset())[..32];
    }
}

/// <summary>File names shared by every saved tokenizer.</summary>
public static class TokenizerFiles
{
    /// <summary>The JSON sidecar naming the kind and the special tokens.</summary>
    public const string Sidecar = "tokenizer.json";

    /// <summary>The recorded fingerprint, checked on load to catch tampered or missing files.</summary>
    public const string FingerprintFile = "fingerprint.txt";
}
