using System.Text.Json;

namespace TextSSL.Tokenization;

/// <summary>Saves tokenizers with a recorded fingerprint and loads them by directory or name.</summary>
public static class TokenizerStore
{
    /// <summary>
    /// Saves <paramref name="tokenizer"/> into <paramref name="directory"/> atomically: files are written to a
    /// temporary sibling directory, fingerprinted, then moved into place.
    /// </summary>
    public static void Save(TextTokenizer tokenizer, string directory)
    {
        var full = Path.GetFullPath(directory);
        var parent = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(parent);
        var temp = Path.Combine(parent, $".{Path.GetFileName(full)}.tmp-{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(temp);
        try
        {
            tokenizer.Save(temp);
            File.WriteAllText(Path.Combine(temp, TokenizerFiles.FingerprintFile), TextTokenizer.FingerprintOf(temp) + "\n");
            if (Directory.Exists(full))
            {
                var old = full + $".old-{Guid.NewGuid():N}";
                Directory.Move(full, old);
                Directory.Move(temp, full);
                Directory.Delete(old, recursive: true);
            }
            else Directory.Move(temp, full);
        }
        finally
        {
            if (Directory.Exists(temp)) Directory.Delete(temp, recursive: true);
        }
    }

    /// <summary>
    /// Opens a tokenizer by directory (saved by <see cref="Save"/> or another toolkit's files) or by name.
    /// </summary>
    /// <exception cref="TextSslException">Neither a tokenizer directory nor a known name.</exception>
    public static TextTokenizer Open(string directoryOrName)
    {
        if (Directory.Exists(directoryOrName)) return Load(directoryOrName);
        throw new TextSslException($"tokenizer '{directoryOrName}' is neither a directory nor a known tokenizer name.");
    }

    /// <summary>
    /// Loads a tokenizer from a directory saved by <see cref="Save"/>, checking its recorded fingerprint.
    /// </summary>
    /// <exception cref="TextSslException">The directory is missing, incomplete, of an unknown kind, or its files were changed.</exception>
    public static TextTokenizer Load(string directory)
    {
        if (!Directory.Exists(directory)) throw new TextSslException($"tokenizer directory '{directory}' does not exist.");
        var sidecarPath = Path.Combine(directory, TokenizerFiles.Sidecar);
        if (!File.Exists(sidecarPath)) throw new TextSslException($"'{directory}' is not a TextSSL tokenizer: {TokenizerFiles.Sidecar} is missing.");
        var recordedPath = Path.Combine(directory, TokenizerFiles.FingerprintFile);
        if (File.Exists(recordedPath))
        {
            var recorded = File.ReadAllText(recordedPath).Trim();
            var actual = TextTokenizer.FingerprintOf(directory);
            if (recorded != actual)
                throw new TextSslException($"tokenizer files in '{directory}' do not match their recorded fingerprint ({recorded}, found {actual}): " +
                                           "a file was changed or is missing. Restore the directory or train/save the tokenizer again.");
        }
        TokenizerSidecar sidecar;
        try { sidecar = JsonSerializer.Deserialize<TokenizerSidecar>(File.ReadAllText(sidecarPath), TokenizerSidecar.Json)!; }
        catch (JsonException ex) { throw new TextSslException($"{sidecarPath} is not valid JSON: {ex.Message}", ex); }
        return sidecar.Kind switch
        {
            "char" => CharTokenizer.Load(directory, sidecar),
            _ => throw new TextSslException($"{sidecarPath}: unknown tokenizer kind '{sidecar.Kind}'."),
        };
    }
}
