using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using TextSSL.Corpora;
using TextSSL.Tokenization;

namespace TextSSL.Training;

/// <summary>
/// The token streams a run trains and evaluates on, with the tokenizer that produced them. Plain text (a file or
/// a directory of <c>.txt</c> files) is tokenized in memory and split by position; a shard directory (with a
/// <c>manifest.json</c>) is read as prepared.
/// </summary>
/// <param name="Tokenizer">The tokenizer of both streams.</param>
/// <param name="Train">The training split.</param>
/// <param name="Validation">The validation split.</param>
/// <param name="Description">Where the data came from, for logs and checkpoints.</param>
/// <param name="Fingerprint">
/// A content hash of the data (<c>sha256:…</c>, see <see cref="FingerprintOfDocuments"/> and <see cref="FingerprintOfShards"/>)
/// that a checkpoint records so that a resumed run can refuse other data of the same size; null when unknown.
/// </param>
public sealed record TrainingData(TextTokenizer Tokenizer, ITokenStream Train, ITokenStream Validation, string Description, string? Fingerprint = null)
{
    /// <summary>The file that marks a directory of token shards.</summary>
    public const string ManifestFile = "manifest.json";

    /// <summary>Opens <paramref name="path"/> with a tokenizer named by <paramref name="tokenizerSpec"/>.</summary>
    /// <param name="path">A text file, a directory of <c>.txt</c> files, or a shard directory.</param>
    /// <param name="tokenizerSpec"><c>char</c> (train a character tokenizer on the text), a tokenizer directory, or a name.</param>
    /// <param name="validationFraction">The last fraction of the tokens (by position) that forms the validation split of plain text.</param>
    /// <param name="charRoles">Special tokens of a character tokenizer trained here.</param>
    /// <exception cref="TextSslException">The path is missing or holds no usable data, or the tokenizer does not match.</exception>
    public static TrainingData Load(string path, string tokenizerSpec, double validationFraction, IReadOnlyList<SpecialTokenRole>? charRoles = null)
    {
        if (IsShardDirectory(path))
        {
            TextTokenizer? expected = tokenizerSpec == "char" ? null : TokenizerStore.Open(tokenizerSpec);
            return OpenShards(path, expected);
        }
        var documents = ReadDocuments(path);
        var tokenizer = tokenizerSpec == "char"
            ? CharTokenizer.Train(string.Concat(documents), charRoles)
            : TokenizerStore.Open(tokenizerSpec);
        return FromDocuments(documents, tokenizer, validationFraction, path);
    }

    /// <summary>Opens <paramref name="path"/> with a given tokenizer (a checkpoint's, for evaluation).</summary>
    /// <exception cref="TextSslException">The path is missing or holds no usable data, or a shard manifest names another tokenizer.</exception>
    public static TrainingData Load(string path, TextTokenizer tokenizer, double validationFraction) =>
        IsShardDirectory(path) ? OpenShards(path, tokenizer) : FromDocuments(ReadDocuments(path), tokenizer, validationFraction, path);

    /// <summary>Tokenizes documents (joined by the end-of-text token when there is one) and splits them by position.</summary>
    public static TrainingData FromDocuments(IReadOnlyList<string> documents, TextTokenizer tokenizer, double validationFraction, string description)
    {
        if (validationFraction is <= 0 or >= 1 || !double.IsFinite(validationFraction))
            throw new OptionException(nameof(PretrainingOptions.ValidationFraction), $"ValidationFraction must be between 0 and 1, both excluded (got {validationFraction}).");
        var eot = tokenizer.Specials.IdOf(SpecialTokenRole.EndOfText);
        var ids = new List<int>();
        for (var i = 0; i < documents.Count; i++)
        {
            if (i > 0 && eot is { } e) ids.Add(e);
            ids.AddRange(tokenizer.Encode(documents[i]));
        }
        var all = ids.ToArray();
        var trainCount = (int)(all.Length * (1 - validationFraction));
        return new TrainingData(tokenizer, new InMemoryTokenStream(all[..trainCount]), new InMemoryTokenStream(all[trainCount..]),
            $"{description} ({all.Length:N0} tokens, {trainCount:N0} train / {all.Length - trainCount:N0} validation by position)",
            FingerprintOfDocuments(documents));
    }

    /// <summary>
    /// SHA-256 of plain-text documents: each document's length in UTF-16 code units, then its UTF-8 bytes, in order.
    /// Equal for the same texts in the same order, whatever the files are called.
    /// </summary>
    public static string FingerprintOfDocuments(IReadOnlyList<string> documents)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> length = stackalloc byte[8];
        foreach (var document in documents)
        {
            BinaryPrimitives.WriteInt64LittleEndian(length, document.Length);
            hash.AppendData(length);
            hash.AppendData(Encoding.UTF8.GetBytes(document));
        }
        return "sha256:" + Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>
    /// SHA-256 of a shard manifest's content: the tokenizer fingerprint, then every split (by name) with its shards'
    /// token counts and sha256s in order. Cheap (the shards are not read): the manifest already hashes them.
    /// </summary>
    public static string FingerprintOfShards(CorpusManifest manifest)
    {
        var text = new StringBuilder().Append(manifest.TokenizerFingerprint).Append('\n');
        foreach (var (split, content) in manifest.Splits.OrderBy(s => s.Key, StringComparer.Ordinal))
            foreach (var shard in content.Shards)
                text.Append(split).Append(' ').Append(shard.Tokens).Append(' ').Append(shard.Sha256).Append('\n');
        return "sha256:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }

    private static bool IsShardDirectory(string path) => Directory.Exists(path) && File.Exists(Path.Combine(path, ManifestFile));

    /// <summary>
    /// Reads a shard directory written by textssl-prep: the manifest's tokenizer fingerprint must match, and both
    /// a train and a validation split must hold tokens. With <c>--tokenizer char</c> (no tokenizer named) the shards'
    /// own <c>tokenizer/</c> directory is used.
    /// </summary>
    private static TrainingData OpenShards(string directory, TextTokenizer? expected)
    {
        var shards = TokenShardSet.Open(directory);
        var own = Path.Combine(directory, "tokenizer");
        var tokenizer = expected
                        ?? (Directory.Exists(own) ? TokenizerStore.Load(own) : null)
                        ?? throw new OptionException(nameof(PretrainingOptions.Tokenizer), $"the shards in '{directory}' were encoded with a {shards.Manifest.TokenizerKind} tokenizer ({shards.Manifest.TokenizerFingerprint}) " +
                                                      "that is not stored beside them. Pass it as Tokenizer (a directory or a name).");
        CheckFingerprint(directory, shards.Manifest.TokenizerFingerprint, tokenizer);
        var splits = shards.SplitNames.ToHashSet(StringComparer.Ordinal);
        foreach (var needed in new[] { "train", "validation" })
            if (!splits.Contains(needed))
                throw new TextSslException($"the shards in '{directory}' have no tokens in the '{needed}' split (splits with tokens: {string.Join(", ", splits)}). " +
                                           "Prepare them again with a validation fraction above zero.");
        return new TrainingData(tokenizer, shards.Split("train"), shards.Split("validation"),
            $"{directory} (shards: {shards.Manifest.Splits["train"].Tokens:N0} train / {shards.Manifest.Splits["validation"].Tokens:N0} validation tokens)",
            FingerprintOfShards(shards.Manifest));
    }

    /// <summary>Fails unless a shard manifest's tokenizer fingerprint equals the tokenizer's.</summary>
    /// <exception cref="TextSslException">The fingerprints differ.</exception>
    public static void CheckFingerprint(string directory, string manifestFingerprint, TextTokenizer tokenizer)
    {
        if (manifestFingerprint != tokenizer.Fingerprint)
            throw new OptionException(nameof(PretrainingOptions.Tokenizer), $"the shards in '{directory}' were encoded with tokenizer {manifestFingerprint}, but Tokenizer is {tokenizer.Fingerprint}. " +
                                       "Pass the tokenizer the shards were prepared with (or leave Tokenizer unset to use the shards' own), or prepare the shards again.");
    }

    private static List<string> ReadDocuments(string path)
    {
        if (File.Exists(path)) return [ReadText(path)];
        if (!Directory.Exists(path))
            throw new OptionException(nameof(PretrainingOptions.Data), $"data path '{path}' does not exist. Point Data at a text file, a directory of .txt files, or a shard directory written by the prep tool.");
        var files = Directory.GetFiles(path, "*.txt", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList();
        if (files.Count == 0)
            throw new OptionException(nameof(PretrainingOptions.Data), $"'{path}' is a directory with no {ManifestFile} (so not a shard directory written by the prep tool) and no .txt files. " +
                                       "Point Data at a text file, a directory of .txt files, or a prepared shard directory.");
        return files.Select(ReadText).ToList();
    }

    private static string ReadText(string file)
    {
        try
        {
            var text = File.ReadAllText(file, Encoding.UTF8);
            if (text.Length == 0) throw new TextSslException($"data file '{file}' is empty.");
            return text;
        }
        catch (IOException ex) { throw new TextSslException($"cannot read data file '{file}': {ex.Message}", ex); }
        catch (UnauthorizedAccessException ex) { throw new TextSslException($"cannot read data file '{file}': permission denied.", ex); }
    }
}
