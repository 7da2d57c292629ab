namespace TextSSL.Corpora.Internal;

/// <summary>
/// Keeps the managed heap of a streaming build within a fixed allowance above what it holds for good.
/// </summary>
/// <remarks>
/// A batch lives for several gen-0 collections (it waits in the channel, then is cleaned and tokenized), so its
/// text and token arrays are promoted and pile up, dead, in gen 2 until the GC's own gen-2 budget is spent. That
/// budget adapts to what survives, so the peak drifts upwards the longer a run lasts: a 1 GB corpus peaked about
/// 30% higher than a 100 MB one. A full collection whenever the heap has grown by the allowance since the last one
/// makes the peak independent of corpus size, at the cost of one blocking gen-2 collection per few batches.
/// </remarks>
internal sealed class HeapCeiling(long allowanceBytes)
{
    private long _floor = GC.GetTotalMemory(forceFullCollection: false);

    /// <summary>Number of collections this ceiling induced.</summary>
    public int Collections { get; private set; }

    /// <summary>Call between batches: collects when the heap has grown by the allowance (never when the allowance is 0).</summary>
    public void Check()
    {
        if (allowanceBytes <= 0 || GC.GetTotalMemory(forceFullCollection: false) - _floor < allowanceBytes) return;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        Collections++;
        _floor = GC.GetTotalMemory(forceFullCollection: false);
    }
}
