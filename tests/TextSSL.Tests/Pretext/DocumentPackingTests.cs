using TextSSL.Corpora;
using TextSSL.Modeling;
using TextSSL.Pretext;
using TextSSL.Runtime;
using TextSSL.Tests.Training;
using TextSSL.Tokenization;
using TextSSL.Training;

namespace TextSSL.Tests.Pretext;

public class DocumentPackingTests
{
    private const long Ignore = PretextBatch.IgnoreIndex;
    private const int Eot = 0;

    [OneTimeSetUp]
    public void LoadTorch() => TorchRuntime.EnsureLoaded();

    private static long[] Values(TorchSharp.torch.Tensor t) => t.data<long>().ToArray();

    /// <summary>Documents of lengths 1..40 whose tokens encode (document, index) as 1000·(d+1) + i, each followed by end-of-text 0.</summary>
    private static (InMemoryTokenStream Stream, List<int[]> Docs) Numbered(int count = 40, int seed = 3)
    {
        var random = new SeededRandom(seed);
        var docs = new List<int[]>();
        var ids = new List<int>();
        for (var d = 0; d < count; d++)
        {
            var n = 1 + random.NextInt(40);
            var doc = Enumerable.Range(0, n).Select(i => 1000 * (d + 1) + i).ToArray();
            docs.Add(doc);
            ids.AddRange(doc);
            ids.Add(Eot);
        }
        return (new InMemoryTokenStream(ids.ToArray()), docs);
    }

    /// <summary>Splits a packed row into its documents' (start, length) by document id, checking the ids count up from 1 and padding (0) comes last.</summary>
    private static List<(int Start, int Length)> Segments(long[] documentIds, long[] positions, int row, int width)
    {
        var segments = new List<(int, int)>();
        var expected = 1L;
        var i = 0;
        while (i < width && documentIds[row * width + i] != 0)
        {
            Assert.That(documentIds[row * width + i], Is.EqualTo(expected), "document ids count up from 1");
            var start = i;
            while (i < width && documentIds[row * width + i] == expected)
            {
                Assert.That(positions[row * width + i], Is.EqualTo(i - start), "positions restart at 0 in each document");
                i++;
            }
            segments.Add((start, i - start));
            expected++;
        }
        for (; i < width; i++) Assert.That(documentIds[row * width + i], Is.EqualTo(0), "padding comes after the documents");
        return segments;
    }

    [Test]
    public void Next_token_rows_hold_whole_documents_that_start_at_end_of_text_and_end_by_predicting_it()
    {
        var (stream, docs) = Numbered();
        var task = new NextTokenTask(5, packing: SequencePacking.Documents, endOfText: Eot);
        const int width = 32;
        var seen = new HashSet<int>();
        for (var b = 0; b < 12; b++)
        {
            using var batch = task.NextBatch(stream, 4, width);
            Assert.That(batch.PaddingMask, Is.Null);
            var (x, y, ids, pos) = (Values(batch.Inputs), Values(batch.Targets), Values(batch.DocumentIds!), Values(batch.PositionIds!));
            long targets = 0;
            for (var r = 0; r < 4; r++)
            {
                foreach (var (start, length) in Segments(ids, pos, r, width))
                {
                    // a piece of document d: (input, target) pairs of  EOT d0 d1 ... d(n-1) EOT, cut at the block size
                    var first = x[r * width + start] == Eot ? y[r * width + start] : x[r * width + start];
                    var d = (int)(first / 1000) - 1;
                    var pairs = new[] { Eot }.Concat(docs[d]).Concat([Eot]).ToArray();
                    var offset = x[r * width + start] == Eot ? 0 : (int)(first % 1000) + 1;
                    Assert.That(offset % width, Is.EqualTo(0), "a long document is cut into pieces of the block size");
                    for (var j = 0; j < length; j++)
                    {
                        Assert.That(x[r * width + start + j], Is.EqualTo(pairs[offset + j]));
                        Assert.That(y[r * width + start + j], Is.EqualTo(pairs[offset + j + 1]), "the target is the next token of the same document");
                    }
                    if (offset + length == pairs.Length - 1) Assert.That(y[r * width + start + length - 1], Is.EqualTo(Eot), "a document's last target is its end-of-text id");
                    targets += length;
                    seen.Add(d);
                }
                for (var j = 0; j < width; j++)
                    if (ids[r * width + j] == 0) Assert.That(y[r * width + j], Is.EqualTo(Ignore), "padding is never a target");
            }
            Assert.That(batch.TargetCount, Is.EqualTo(targets));
        }
        Assert.That(seen, Has.Count.EqualTo(docs.Count), "twelve batches of four rows cover an epoch of 40 documents");
    }

    [Test]
    public void Masked_LM_rows_pack_documents_between_markers_and_never_mask_padding_or_specials()
    {
        var data = TrainingFixtures.Dataset("mlm", documents: 30, sentencesPerDocument: 3);
        var tok = data.Tokenizer;
        var task = new MaskedLanguageModelTask(tok, 7, packing: SequencePacking.Documents);
        var (cls, sep, pad) = (tok.Specials.IdOf(SpecialTokenRole.Cls)!.Value, tok.Specials.IdOf(SpecialTokenRole.Sep)!.Value, tok.Specials.IdOf(SpecialTokenRole.Pad)!.Value);
        const int width = 64;
        long chosen = 0, text = 0, padding = 0;
        for (var b = 0; b < 10; b++)
        {
            using var batch = task.NextBatch(data.Train, 8, width);
            var (x, y, ids, pos) = (Values(batch.Inputs), Values(batch.Targets), Values(batch.DocumentIds!), Values(batch.PositionIds!));
            long targets = 0;
            for (var r = 0; r < 8; r++)
            {
                var segments = Segments(ids, pos, r, width);
                Assert.That(segments, Is.Not.Empty);
                foreach (var (start, length) in segments)
                {
                    Assert.That(x[r * width + start], Is.EqualTo(cls), "each document starts with [CLS]");
                    Assert.That(x[r * width + start + length - 1], Is.EqualTo(sep), "each document ends with [SEP]");
                    Assert.That(y[r * width + start], Is.EqualTo(Ignore));
                    Assert.That(y[r * width + start + length - 1], Is.EqualTo(Ignore));
                    text += length - 2;
                }
                for (var j = 0; j < width; j++)
                {
                    var at = r * width + j;
                    if (ids[at] == 0)
                    {
                        padding++;
                        Assert.That((x[at], y[at]), Is.EqualTo((pad, Ignore)), "padding holds [PAD] and is never chosen");
                    }
                    if (y[at] == Ignore) continue;
                    targets++;
                    Assert.That(tok.Specials.All.Any(s => s.Id == y[at]), Is.False, "a special token was chosen");
                }
            }
            Assert.That(batch.TargetCount, Is.EqualTo(targets));
            chosen += targets;
        }
        Assert.That((double)chosen / text, Is.EqualTo(0.15).Within(0.03), "about 15% of the text is chosen");
        Assert.That((double)padding / (10 * 8 * width), Is.LessThan(0.1), "short documents fill the rows");
    }

    [Test]
    public void Packing_is_deterministic_for_a_seed_and_resumes_bit_exact()
    {
        var data = TrainingFixtures.Dataset("mlm", documents: 30, sentencesPerDocument: 3);
        var (stream, _) = Numbered();
        foreach (var make in new Func<long, IPretextTask>[]
                 {
                     seed => new MaskedLanguageModelTask(data.Tokenizer, seed, packing: SequencePacking.Documents),
                     seed => new NextTokenTask(seed, packing: SequencePacking.Documents, endOfText: Eot),
                 })
        {
            var source = make(0) is MaskedLanguageModelTask ? data.Train : stream;
            var a = make(9);
            var b = make(9);
            string? saved = null;
            var straight = new List<long[]>();
            for (var i = 0; i < 8; i++)
            {
                if (i == 3) saved = a.SaveState();
                using var ba = a.NextBatch(source, 4, 48);
                using var bb = b.NextBatch(source, 4, 48);
                var all = Values(ba.Inputs).Concat(Values(ba.Targets)).Concat(Values(ba.DocumentIds!)).Concat(Values(ba.PositionIds!)).ToArray();
                Assert.That(Values(bb.Inputs).Concat(Values(bb.Targets)).Concat(Values(bb.DocumentIds!)).Concat(Values(bb.PositionIds!)), Is.EqualTo(all), $"{a.Name}: same seed, same batch");
                straight.Add(all);
            }
            var c = make(12345);
            using (var other = c.NextBatch(source, 4, 48))
                Assert.That(Values(other.Inputs), Is.Not.EqualTo(straight[0][..(4 * 48)]), $"{a.Name}: another seed packs differently");
            c.LoadState(saved!);
            for (var i = 3; i < 8; i++)
            {
                using var bc = c.NextBatch(source, 4, 48);
                var all = Values(bc.Inputs).Concat(Values(bc.Targets)).Concat(Values(bc.DocumentIds!)).Concat(Values(bc.PositionIds!)).ToArray();
                Assert.That(all, Is.EqualTo(straight[i]), $"{a.Name}: batch {i} after resuming");
            }
        }
    }

    [TestCase("clm", PositionKind.Learned)]
    [TestCase("mlm", PositionKind.Rotary)]
    public void A_packed_run_learns_and_resumes_bit_for_bit(string task, PositionKind positions)
    {
        var data = TrainingFixtures.Dataset(task, documents: 40, sentencesPerDocument: 4);
        var straight = TrainingFixtures.TempDirectory();
        var resumed = TrainingFixtures.TempDirectory();
        try
        {
            var options = TrainingFixtures.Options(task, data, straight, 10) is var o
                ? o with
                {
                    Packing = SequencePacking.Documents,
                    Evaluation = o.Evaluation with { EvalEvery = 4 },
                    Model = o.Model with { Dropout = 0.1, Positions = positions },
                }
                : null!;
            using (var run = new PretrainingRun(options)) run.Run();
            using (var run = new PretrainingRun(options with { OutputDirectory = resumed, StopAfter = 5 })) run.Run();
            using (var run = new PretrainingRun(options with { OutputDirectory = resumed, Resume = true })) run.Run();
            static List<(long, string, double?, double?)> Rows(string dir) =>
                MetricsLog.Read(Path.Combine(dir, "metrics.csv")).Select(r => (r.Step, r.Kind, r.Loss, r.ValidationLoss)).ToList();
            var rows = Rows(straight);
            Assert.That(Rows(resumed), Is.EqualTo(rows), "losses and evaluations after resume");
            var train = rows.Where(r => r.Item2 != "eval" && r.Item3 is not null).Select(r => r.Item3!.Value).ToList();
            Assert.That(train[^1], Is.LessThan(train[0]), "the training loss falls");
        }
        finally
        {
            Directory.Delete(straight, recursive: true);
            Directory.Delete(resumed, recursive: true);
        }
    }

    [Test]
    public void Packing_statistics_count_cross_document_positions_in_stream_windows_and_none_when_packed()
    {
        var docs = Enumerable.Range(0, 60).Select(i => "the whale " + new string('a', 3 + i % 17)).ToList();
        var data = TrainingFixtures.Dataset("mlm", documents: 2, sentencesPerDocument: 1) is var d
            ? TrainingData.FromDocuments(docs, d.Tokenizer, 0.1, "short") : null!;
        foreach (var task in new[] { "clm", "mlm" })
        {
            var stream = PackingStatistics.Measure(PretextTasks.Create(task, data.Tokenizer, 1, packing: SequencePacking.Stream), data.Train, data.Tokenizer, 4, 64, 20);
            var packed = PackingStatistics.Measure(PretextTasks.Create(task, data.Tokenizer, 1, packing: SequencePacking.Documents), data.Train, data.Tokenizer, 4, 64, 20);
            Assert.That(packed.Positions, Is.EqualTo(20 * 4 * 64));
            Assert.That(packed.CrossDocument, Is.Zero, $"{task}: packed documents never attend across");
            Assert.That(packed.RealTextPerBatch, Is.GreaterThan(2 * stream.RealTextPerBatch), $"{task}: packing short documents at least doubles the real text");
            if (task == "clm")
            {
                Assert.That((stream.CrossDocumentFraction, stream.PaddingFraction), Is.EqualTo((1.0 - (double)stream.RealText / stream.Positions, 0.0)));
                Assert.That(stream.CrossDocument, Is.GreaterThan(stream.RealText), "windows of short documents mostly attend across");
                Assert.That(packed.RealText + packed.Padding, Is.EqualTo(packed.Positions));
            }
            else Assert.That(stream.PaddingFraction, Is.GreaterThan(0.5), "one short document per padded row");
        }
    }

    [Test]
    public void A_state_of_the_other_layout_is_refused()
    {
        var data = TrainingFixtures.Dataset("mlm", documents: 10, sentencesPerDocument: 3);
        var packed = new MaskedLanguageModelTask(data.Tokenizer, 1, packing: SequencePacking.Documents);
        var stream = new MaskedLanguageModelTask(data.Tokenizer, 1);
        Assert.That(() => stream.LoadState(packed.SaveState()), Throws.InstanceOf<TextSslException>().With.Message.Contains("Packing"));
        Assert.That(() => new NextTokenTask(1, packing: SequencePacking.Documents), Throws.InstanceOf<TextSslException>().With.Message.Contains("end-of-text"));
    }

    [Test]
    public void The_default_packs_documents_for_masked_LM_and_keeps_the_stream_for_next_token()
    {
        var data = TrainingFixtures.Dataset("mlm", documents: 4, sentencesPerDocument: 3);
        Assert.That(((MaskedLanguageModelTask)PretextTasks.Create("mlm", data.Tokenizer, 1)).Packing, Is.EqualTo(SequencePacking.Documents));
        Assert.That(((NextTokenTask)PretextTasks.Create("clm", data.Tokenizer, 1)).Packing, Is.EqualTo(SequencePacking.Stream));
        Assert.That(((NextTokenTask)PretextTasks.Create("clm", data.Tokenizer, 1, packing: SequencePacking.Documents)).Packing, Is.EqualTo(SequencePacking.Documents));
    }
}
