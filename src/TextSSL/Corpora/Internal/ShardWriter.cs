using System.Buffers.Binary;
using System.Security.Cryptography;

namespace TextSSL.Corpora.Internal;

/// <summary>The resumable state of one split's shards.</summary>
/// <param name="Done">Finished shards, hashed.</param>
/// <param name="OpenIndex">Index of the shard being written.</param>
/// <param name="OpenTokens">Tokens durably written to the open shard.</param>
/// <param name="Tokens">Tokens in the split so far.</param>
/// <param name="Documents">Documents in the split so far.</param>
internal sealed record SplitState(List<ShardManifest> Done, int OpenIndex, long OpenTokens, long Tokens, long Documents);

/// <summary>
/// Appends token ids to fixed-size shard files per split inside a work directory. <see cref="Checkpoint"/> flushes
/// to disk and returns a state from which <see cref="SplitWriter"/>s can be reopened after a crash: the open shard is
/// truncated back to the recorded length, so bytes written after the last checkpoint are discarded.
/// </summary>
internal sealed class ShardWriter : IDisposable
{
    private readonly Dictionary<string, SplitWriter> _splits = [];

    public ShardWriter(string directory, int tokenBytes, long shardTokens, IReadOnlyList<string> splits, IReadOnlyDictionary<string, SplitState>? resume)
    {
        foreach (var name in splits)
            _splits[name] = new SplitWriter(directory, name, tokenBytes, shardTokens, resume?.GetValueOrDefault(name));
    }

    public void Append(string split, ReadOnlySpan<int> ids, bool endsDocument) => _splits[split].Append(ids, endsDocument);

    /// <summary>Tokens appended so far, in all splits (no flush).</summary>
    public long Tokens => _splits.Values.Sum(s => s.Tokens);

    public Dictionary<string, SplitState> Checkpoint() => _splits.ToDictionary(kv => kv.Key, kv => kv.Value.Checkpoint());

    /// <summary>Closes the open shards and returns every split's shards, hashed.</summary>
    public Dictionary<string, SplitManifest> Finish(CancellationToken ct) => _splits.ToDictionary(kv => kv.Key, kv => kv.Value.Finish(ct));

    public void Dispose()
    {
        foreach (var s in _splits.Values) s.Dispose();
    }

    public static string ShardName(string split, int index) => $"{split}-{index:D5}.bin";

    public static string Sha256Of(string path, CancellationToken ct)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.SequentialScan);
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[1 << 20];
        int n;
        while ((n = stream.Read(buffer)) > 0)
        {
            ct.ThrowIfCancellationRequested();
            sha.AppendData(buffer.AsSpan(0, n));
        }
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }

    private sealed class SplitWriter : IDisposable
    {
        private readonly string _directory, _name;
        private readonly int _tokenBytes;
        private readonly long _shardTokens;
        private readonly List<ShardManifest> _done;
        private readonly byte[] _scratch = new byte[1 << 16];
        private FileStream? _open;
        private int _openIndex;
        private long _openTokens, _tokens, _documents;

        public SplitWriter(string directory, string name, int tokenBytes, long shardTokens, SplitState? resume)
        {
            _directory = directory;
            _name = name;
            _tokenBytes = tokenBytes;
            _shardTokens = shardTokens;
            _done = resume?.Done.ToList() ?? [];
            foreach (var shard in _done)
            {
                var path = Path.Combine(directory, shard.File);
                if (!File.Exists(path) || new FileInfo(path).Length != shard.Bytes)
                    throw new OptionException(nameof(BuildOptions.Resume), $"cannot resume: finished shard '{path}' is missing or has the wrong size. Run again without Resume.");
            }
            if (resume is null) return;
            _openIndex = resume.OpenIndex;
            _openTokens = resume.OpenTokens;
            _tokens = resume.Tokens;
            _documents = resume.Documents;
            if (_openTokens > 0)
            {
                var path = Path.Combine(directory, ShardName(name, _openIndex));
                if (!File.Exists(path) || new FileInfo(path).Length < _openTokens * tokenBytes)
                    throw new OptionException(nameof(BuildOptions.Resume), $"cannot resume: shard '{path}' is shorter than its checkpoint. Run again without Resume.");
                _open = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.Read, 1 << 20);
                _open.SetLength(_openTokens * tokenBytes); // drop whatever was written after the checkpoint
                _open.Seek(0, SeekOrigin.End);
            }
        }

        public void Append(ReadOnlySpan<int> ids, bool endsDocument)
        {
            while (!ids.IsEmpty)
            {
                if (_open is null)
                {
                    _open = new FileStream(Path.Combine(_directory, ShardName(_name, _openIndex)), FileMode.Create, FileAccess.Write, FileShare.Read, 1 << 20);
                    _openTokens = 0;
                }
                var take = (int)Math.Min(ids.Length, _shardTokens - _openTokens);
                Write(ids[..take]);
                ids = ids[take..];
                _openTokens += take;
                _tokens += take;
                if (_openTokens == _shardTokens) CloseOpen(CancellationToken.None);
            }
            if (endsDocument) _documents++;
        }

        private void Write(ReadOnlySpan<int> ids)
        {
            var perChunk = _scratch.Length / _tokenBytes;
            while (!ids.IsEmpty)
            {
                var n = Math.Min(perChunk, ids.Length);
                var dst = _scratch.AsSpan(0, n * _tokenBytes);
                if (_tokenBytes == 2)
                    for (var i = 0; i < n; i++) BinaryPrimitives.WriteUInt16LittleEndian(dst[(2 * i)..], checked((ushort)ids[i]));
                else
                    for (var i = 0; i < n; i++) BinaryPrimitives.WriteUInt32LittleEndian(dst[(4 * i)..], checked((uint)ids[i]));
                _open!.Write(dst);
                ids = ids[n..];
            }
        }

        private void CloseOpen(CancellationToken ct)
        {
            _open!.Flush(flushToDisk: true);
            var path = _open.Name;
            _open.Dispose();
            _open = null;
            _done.Add(new ShardManifest(Path.GetFileName(path), _openTokens, _openTokens * _tokenBytes, Sha256Of(path, ct)));
            _openIndex++;
            _openTokens = 0;
        }

        public long Tokens => _tokens;

        public SplitState Checkpoint()
        {
            _open?.Flush(flushToDisk: true);
            return new SplitState(_done.ToList(), _openIndex, _openTokens, _tokens, _documents);
        }

        public SplitManifest Finish(CancellationToken ct)
        {
            if (_open is not null && _openTokens > 0) CloseOpen(ct);
            return new SplitManifest(_documents, _tokens, _done.ToList());
        }

        public void Dispose() => _open?.Dispose();
    }
}
