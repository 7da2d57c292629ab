namespace TextSSL.Corpora;

/// <summary>
/// A prepared corpus on disk: its manifest and its splits as memory-mapped token streams. Opening checks that
/// every shard exists with the size the manifest records; <see cref="Verify"/> also checks their hashes.
/// </summary>
public sealed class TokenShardSet : IDisposable
{
    private readonly string _directory;
    private readonly Dictionary<string, MappedTokenStream> _open = [];

    private TokenShardSet(string directory, CorpusManifest manifest)
    {
        _directory = directory;
        Manifest = manifest;
    }

    /// <summary>The corpus's manifest.</summary>
    public CorpusManifest Manifest { get; }

    /// <summary>The directory holding the manifest and shards.</summary>
    public string Directory => _directory;

    /// <summary>Opens the shard directory written by a shard build (<see cref="CorpusBuilder"/>).</summary>
    /// <exception cref="TextSslException">No manifest, an unknown format, or a shard that is missing or of the wrong size.</exception>
    public static TokenShardSet Open(string directory)
    {
        var full = Path.GetFullPath(directory);
        var manifest = CorpusManifest.Load(Path.Combine(full, CorpusManifest.FileName));
        foreach (var (split, info) in manifest.Splits)
            foreach (var shard in info.Shards)
            {
                var path = Path.Combine(full, shard.File);
                if (!File.Exists(path))
                    throw new TextSslException($"shard '{path}' of split '{split}' is missing. Prepare the corpus again (a shard build into '{directory}').");
                var length = new FileInfo(path).Length;
                if (length != shard.Bytes || shard.Bytes != shard.Tokens * manifest.TokenBytes)
                    throw new TextSslException($"shard '{path}' has {length} bytes; the manifest records {shard.Bytes} ({shard.Tokens} tokens × {manifest.TokenBytes} bytes). " +
                                               "The directory was changed or is incomplete: prepare the corpus again.");
            }
        return new TokenShardSet(full, manifest);
    }

    /// <summary>The names of the splits that hold at least one token.</summary>
    public IEnumerable<string> SplitNames => Manifest.Splits.Where(s => s.Value.Tokens > 0).Select(s => s.Key);

    /// <summary>
    /// The split as one token stream (documents separated by <see cref="CorpusManifest.EndOfTextId"/>), mapped from
    /// its shards: any range can be read without loading the split into memory. The stream stays valid until this
    /// set is disposed; asking twice returns the same stream.
    /// </summary>
    /// <exception cref="TextSslException">The corpus has no split of that name.</exception>
    public ITokenStream Split(string name) => Mapped(name);

    /// <summary>The split as a <see cref="MappedTokenStream"/>, which also offers document-wise access.</summary>
    public MappedTokenStream Mapped(string name)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        lock (_open)
        {
            if (_open.TryGetValue(name, out var stream)) return stream;
            if (!Manifest.Splits.TryGetValue(name, out var info))
                throw new TextSslException($"the corpus in '{_directory}' has no split '{name}' (it has: {string.Join(", ", Manifest.Splits.Keys)}).");
            stream = new MappedTokenStream(_directory, info, Manifest.TokenBytes, Manifest.EndOfTextId, Manifest.VocabSize);
            _open[name] = stream;
            return stream;
        }
    }

    /// <summary>Recomputes every shard's SHA-256 and compares it with the manifest.</summary>
    /// <exception cref="TextSslException">A shard's contents differ from the manifest.</exception>
    public void Verify(CancellationToken ct = default)
    {
        foreach (var (split, info) in Manifest.Splits)
            foreach (var shard in info.Shards)
            {
                var path = Path.Combine(_directory, shard.File);
                var actual = Internal.ShardWriter.Sha256Of(path, ct);
                if (actual != shard.Sha256)
                    throw new TextSslException($"shard '{path}' of split '{split}' has sha256 {actual}, the manifest records {shard.Sha256}: the file was changed. Prepare the corpus again.");
            }
    }

    private bool _disposed;

    /// <summary>Unmaps every opened split.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        lock (_open)
        {
            foreach (var s in _open.Values) s.Dispose();
            _open.Clear();
        }
    }
}
