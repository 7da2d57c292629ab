using System.Text;

namespace TextSSL.Corpora.Internal;

/// <summary>
/// One document of a part, as the merge needs it: its global input-order position (file index, then ordinal within
/// the file), source record, exact key, MinHash signature, split, the start of its cleaned text (for the duplicate
/// examples) and its token ids. <see cref="Ids"/> is null when the part skipped tokenizing (a repeat of an earlier text
/// of the same part, which the merge always drops) or when tokenizing failed (<see cref="Failure"/>).
/// </summary>
internal sealed record PartDocument(int File, long Ordinal, long Record, UInt128 Key, ushort[]? Signature, byte Split, string Snippet, int[]? Ids, string? Failure)
{
    /// <summary>Characters of the cleaned text kept: one more than a duplicate example shows, so it knows whether to add an ellipsis.</summary>
    public const int SnippetChars = 81;
}

/// <summary>The binary stream of <see cref="PartDocument"/>s (<c>documents.bin</c>), in the part's input order.</summary>
internal static class PartDocuments
{
    public const string FileName = "documents.bin";
    private const byte HasSignature = 1, HasIds = 2, HasFailure = 4;

    /// <summary>Writes one document; ids take <paramref name="tokenBytes"/> bytes each (2: uint16, 4: int32), as in the shards.</summary>
    public static void Write(BinaryWriter w, PartDocument d, int tokenBytes)
    {
        w.Write(d.File);
        w.Write(d.Ordinal);
        w.Write(d.Record);
        w.Write((ulong)(d.Key >> 64));
        w.Write((ulong)d.Key);
        w.Write((byte)((d.Signature is null ? 0 : HasSignature) | (d.Ids is null ? 0 : HasIds) | (d.Failure is null ? 0 : HasFailure)));
        if (d.Signature is not null) foreach (var v in d.Signature) w.Write(v);
        w.Write(d.Split);
        w.Write(d.Snippet);
        if (d.Ids is not null)
        {
            w.Write(d.Ids.Length);
            if (tokenBytes == 2) foreach (var id in d.Ids) w.Write(checked((ushort)id));
            else foreach (var id in d.Ids) w.Write(id);
        }
        if (d.Failure is not null) w.Write(d.Failure);
    }

    /// <summary>Reads the documents of a part's <c>documents.bin</c> in order.</summary>
    /// <exception cref="TextSslException">The file is truncated or damaged.</exception>
    public static IEnumerable<PartDocument> Read(string path, int tokenBytes)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.SequentialScan);
        using var r = new BinaryReader(stream, Encoding.UTF8);
        while (stream.Position < stream.Length)
        {
            PartDocument doc;
            try { doc = ReadOne(r, tokenBytes); }
            catch (Exception ex) when (ex is EndOfStreamException or IOException or FormatException or OverflowException)
            {
                throw new TextSslException($"{path} is damaged at byte {stream.Position} ({ex.Message}). Build that part again.", ex);
            }
            yield return doc;
        }
    }

    private static PartDocument ReadOne(BinaryReader r, int tokenBytes)
    {
        var file = r.ReadInt32();
        var ordinal = r.ReadInt64();
        var record = r.ReadInt64();
        var hi = r.ReadUInt64();
        var key = new UInt128(hi, r.ReadUInt64());
        var flags = r.ReadByte();
        ushort[]? sig = null;
        if ((flags & HasSignature) != 0)
        {
            sig = new ushort[MinHasher.Permutations];
            for (var i = 0; i < sig.Length; i++) sig[i] = r.ReadUInt16();
        }
        var split = r.ReadByte();
        var snippet = r.ReadString();
        int[]? ids = null;
        if ((flags & HasIds) != 0)
        {
            var n = r.ReadInt32();
            if (n < 0 || n > r.BaseStream.Length / tokenBytes) throw new FormatException($"bad token count {n}");
            ids = new int[n];
            if (tokenBytes == 2) for (var i = 0; i < n; i++) ids[i] = r.ReadUInt16();
            else for (var i = 0; i < n; i++) ids[i] = r.ReadInt32();
        }
        var failure = (flags & HasFailure) != 0 ? r.ReadString() : null;
        return new PartDocument(file, ordinal, record, key, sig, split, snippet, ids, failure);
    }
}
