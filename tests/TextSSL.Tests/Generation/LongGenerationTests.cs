using TextSSL.Runtime;
using static TorchSharp.torch;

namespace TextSSL.Tests.Generation;

/// <summary>
/// Long generations used to die after some tens of thousands of tokens with a libtorch "toFloat" error: TorchSharp's
/// temporary scalars (the hidden alpha of <c>a + b</c>, a temperature, −∞ for masking) were finalized by a background
/// garbage collection while libtorch still read them (see <see cref="Scalars"/>). This test runs the model's residual
/// sum under forced background collections, which makes that race likely within seconds; a whole generation under
/// them takes minutes in the test host, so the 100,000-token check is a command in the README instead.
/// </summary>
public class LongGenerationTests
{
    [OneTimeSetUp]
    public void LoadTorch() => TorchRuntime.EnsureLoaded();

    /// <summary>Runs <paramref name="work"/> while another thread keeps starting background (non-blocking) gen-2 collections.</summary>
    private static void UnderBackgroundCollections(Action work)
    {
        var stop = 0;
        var collector = new Thread(() =>
        {
            while (Volatile.Read(ref stop) == 0)
            {
                GC.KeepAlive(new byte[100_000]);
                GC.Collect(2, GCCollectionMode.Forced, blocking: false);
            }
        }) { IsBackground = true };
        collector.Start();
        try { work(); }
        finally
        {
            Volatile.Write(ref stop, 1);
            collector.Join();
        }
    }

    [Test]
    public void Tensor_sums_keep_their_scalar_alive_during_background_collections()
    {
        // long native calls widen the window in which a temporary scalar could be finalized (without Plus, `a + b` on
        // these tensors failed within a few thousand calls in a stand-alone program)
        using var a = ones(100_000);
        using var b = ones(100_000);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        long calls = 0;
        UnderBackgroundCollections(() =>
        {
            for (; calls < 1_000 && clock.Elapsed.TotalSeconds < 10; calls++)   // 1,000 sums, or 10 s on a busy machine
            {
                using var scope = NewDisposeScope();
                Assert.That(a.Plus(b).sum().item<float>(), Is.EqualTo(200_000f));
            }
        });
        Assert.That(calls, Is.Positive);
    }
}
