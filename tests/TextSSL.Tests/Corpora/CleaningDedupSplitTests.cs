using System.Text;
using TextSSL.Corpora;
using static TextSSL.Tests.Corpora.CorpusTestUtil;

namespace TextSSL.Tests.Corpora;

public class CleaningDedupSplitTests
{
    [Test]
    public void Cleaning_normalizes_unicode_controls_and_whitespace()
    {
        var cleaner = new TextCleaner(new CleaningOptions());
        var outcome = cleaner.Clean("  Cafe\u0301\u0007 \t au\u00A0lait  \r\n\r\n\r\n\n  second\u0000 line \n", out var text);
        Assert.That(outcome, Is.EqualTo(CleanOutcome.Kept));
        Assert.That(text, Is.EqualTo("Caf\u00E9 au lait\n\nsecond line"));
    }

    [Test]
    public void Nfkc_and_lowercase_are_options_and_length_filters_say_why()
    {
        var nfkc = new TextCleaner(new CleaningOptions { Normalization = NormalizationForm.FormKC, Lowercase = true });
        nfkc.Clean("ＦＵＬＬ ﬁne", out var text);
        Assert.That(text, Is.EqualTo("full fine"));
        var limits = new TextCleaner(new CleaningOptions { MinChars = 3, MaxChars = 5 });
        Assert.That(limits.Clean(" \u0001 ", out _), Is.EqualTo(CleanOutcome.Empty));
        Assert.That(limits.Clean("ab", out _), Is.EqualTo(CleanOutcome.TooShort));
        Assert.That(limits.Clean("abcdef", out _), Is.EqualTo(CleanOutcome.TooLong));
        Assert.That(limits.Clean("abcd", out _), Is.EqualTo(CleanOutcome.Kept));
    }

    [Test]
    public void Planted_near_duplicates_are_found_and_distinct_documents_kept()
    {
        var docs = Documents(40, 300, seed: 7);
        var rng = new Random(3);
        var planted = new List<string>();
        for (var k = 0; k < 8; k++)
        {
            // change 2 of 300 words: at most 10 of 296 shingles differ, Jaccard >= 0.93
            var words = docs[k * 4].Split(' ');
            for (var c = 0; c < 2; c++) words[rng.Next(words.Length)] = "changed" + c;
            planted.Add(string.Join(' ', words));
        }
        var dedup = new Deduplicator(new DedupOptions());
        var kinds = docs.Concat(planted).Concat([docs[5]])
            .Select((t, i) => dedup.Check(Deduplicator.Key(t), dedup.Hasher.Signature(t), new RawDocument(t, "mem", i + 1), t)).ToList();
        Assert.That(kinds.Take(40), Is.All.EqualTo(DuplicateKind.Unique), "distinct documents are kept");
        Assert.That(kinds.Skip(40).Take(8), Is.All.EqualTo(DuplicateKind.Near));
        Assert.That(kinds[^1], Is.EqualTo(DuplicateKind.Exact));
        Assert.That(dedup.Examples.First(e => e.Kind == "near").OriginalRecord, Is.EqualTo(1));
        Assert.That(dedup.Examples.First(e => e.Kind == "near").Similarity, Is.InRange(0.75, 1.0));
    }

    [Test]
    public void Minhash_similarity_tracks_jaccard()
    {
        var hasher = new MinHasher();
        var a = string.Join(' ', Enumerable.Range(0, 400).Select(i => "w" + i));
        var b = string.Join(' ', Enumerable.Range(200, 400).Select(i => "w" + i)); // 196 of 600 distinct shingles shared: J ≈ 0.33
        var sim = MinHasher.Similarity(hasher.Signature(a)!, hasher.Signature(b)!);
        Assert.That(sim, Is.InRange(0.2, 0.46));
        Assert.That(MinHasher.Similarity(hasher.Signature(a)!, hasher.Signature(a.ToUpperInvariant())!), Is.EqualTo(1.0));
        Assert.That(hasher.Signature("“Sir?” said he."), Is.Null, "texts shorter than a shingle are only compared exactly");
        var dedup = new Deduplicator(new DedupOptions());
        var kinds = new[] { "“Sir.”", "“Sir?”", "“Sir.”" }.Select((t, i) => dedup.Check(Deduplicator.Key(t), dedup.Hasher.Signature(t), new RawDocument(t, "mem", i + 1), t));
        Assert.That(kinds, Is.EqualTo(new[] { DuplicateKind.Unique, DuplicateKind.Unique, DuplicateKind.Exact }));
    }

    [Test]
    public void Split_assignment_depends_on_the_document_only()
    {
        var split = new SplitOptions { Validation = 0.1, Test = 0.1 };
        var docs = Documents(2000, 10, seed: 1);
        var before = docs.Select(d => split.Assign(Deduplicator.Key(d))).ToList();
        var grown = Documents(500, 10, seed: 2).Concat(docs).ToList(); // new documents first, to move positions
        var after = grown.Skip(500).Select(d => split.Assign(Deduplicator.Key(d))).ToList();
        Assert.That(after, Is.EqualTo(before));
        Assert.That(before.Count(s => s == "validation"), Is.InRange(150, 250));
        Assert.That(before.Count(s => s == "test"), Is.InRange(150, 250));
        var salted = docs.Select(d => (split with { Seed = 1 }).Assign(Deduplicator.Key(d)));
        Assert.That(salted, Is.Not.EqualTo(before));
    }
}
