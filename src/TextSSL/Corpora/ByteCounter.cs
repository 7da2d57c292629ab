namespace TextSSL.Corpora;

/// <summary>A shared count of input bytes read so far (progress and throughput).</summary>
internal sealed class ByteCounter
{
    private long _bytes;

    /// <summary>Bytes read so far.</summary>
    public long Bytes => Interlocked.Read(ref _bytes);

    /// <summary>Adds <paramref name="n"/> bytes.</summary>
    public void Add(long n) => Interlocked.Add(ref _bytes, n);
}
