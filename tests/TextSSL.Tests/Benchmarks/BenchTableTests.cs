using TextSSL.Benchmarks;

namespace TextSSL.Tests.Benchmarks;

public class BenchTableTests
{
    private static BenchTable Sample()
    {
        var table = new BenchTable("bench demo", "name", "ms", "note");
        table.Add("a|b", 1.23456, null);
        table.Add("c", double.NaN, "x,y");
        return table;
    }

    [Test]
    public void Markdown_has_a_title_escaped_cells_and_right_aligned_numbers()
    {
        var md = Sample().ToMarkdown().Split('\n').Select(l => l.TrimEnd('\r')).ToArray();
        Assert.That(md[0], Is.EqualTo("### bench demo"));
        Assert.That(md[2], Is.EqualTo("| name | ms | note |"));
        Assert.That(md[3], Is.EqualTo("|---|---:|---|"));
        Assert.That(md[4], Is.EqualTo("| a\\|b | 1.23 | n/a |"));
        Assert.That(md[5], Is.EqualTo("| c | n/a | x,y |"));
    }

    [Test]
    public void Csv_quotes_separators_and_round_trips_through_a_file()
    {
        var dir = Directory.CreateTempSubdirectory("textssl-bench-").FullName;
        try
        {
            var (csv, md) = Sample().Save(dir, "demo");
            var lines = File.ReadAllLines(csv);
            Assert.That(lines, Is.EqualTo(new[] { "name,ms,note", "a|b,1.23,n/a", "c,n/a,\"x,y\"" }));
            Assert.That(File.ReadAllText(md), Does.StartWith("### bench demo"));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Test]
    public void A_row_must_fill_every_column()
    {
        var table = new BenchTable("t", "a", "b");
        Assert.That(() => table.Add(1), Throws.ArgumentException);
    }

    [Test]
    public void Median_of_odd_and_even_counts()
    {
        Assert.That(Stats.Median([5, 1, 3]), Is.EqualTo(3));
        Assert.That(Stats.Median([4, 1, 3, 2]), Is.EqualTo(2.5));
        Assert.That(Stats.Median([]), Is.NaN);
    }
}
