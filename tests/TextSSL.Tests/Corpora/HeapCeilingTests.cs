using TextSSL.Corpora.Internal;

namespace TextSSL.Tests.Corpora;

public class HeapCeilingTests
{
    [Test]
    public void Collects_only_once_the_heap_has_grown_by_the_allowance()
    {
        GC.Collect();
        var ceiling = new HeapCeiling(allowanceBytes: 32 << 20);
        var small = new byte[1 << 20];
        ceiling.Check();
        Assert.That(ceiling.Collections, Is.Zero, "1 MiB of growth is within a 32 MiB allowance");

        var garbage = new List<byte[]>();
        for (var i = 0; i < 48; i++) garbage.Add(new byte[1 << 20]);
        ceiling.Check();
        Assert.That(ceiling.Collections, Is.EqualTo(1));

        garbage.Clear();
        ceiling.Check();
        Assert.That(ceiling.Collections, Is.EqualTo(1), "the floor moved up to what survived the collection");
        GC.KeepAlive(small);
    }

    [Test]
    public void An_allowance_of_zero_never_collects()
    {
        var ceiling = new HeapCeiling(allowanceBytes: 0);
        var garbage = new List<byte[]>();
        for (var i = 0; i < 16; i++) garbage.Add(new byte[1 << 20]);
        ceiling.Check();
        Assert.That(ceiling.Collections, Is.Zero);
        GC.KeepAlive(garbage);
    }
}
