using System.IO.Compression;
using System.Text;
using Parquet;
using Parquet.Schema;
using TextSSL.Corpora;
using static TextSSL.Tests.Corpora.CorpusTestUtil;

namespace TextSSL.Tests.Corpora;

public class ReaderTests
{
    [TestCase(DocumentBoundary.File, new[] { "a b\nc\n\nd\n%\ne" })]
    [TestCase(DocumentBoundary.Line, new[] { "a b", "c", "", "d", "%", "e" })]
    [TestCase(DocumentBoundary.Paragraph, new[] { "a b\nc", "d\n%\ne" })]
    [TestCase(DocumentBoundary.Separator, new[] { "a b\nc\n\nd", "e" })]
    public async Task Text_boundaries_split_documents(DocumentBoundary boundary, string[] expected)
    {
        using var dir = new TempDir();
        var path = dir.Write("a.txt", "\uFEFFa b\r\nc\n\nd\n%\ne\n");
        var docs = await ReadAll(new SourceSpec(path) { Boundary = boundary });
        Assert.That(docs.Select(d => d.Text), Is.EqualTo(expected));
        Assert.That(docs[0].Record, Is.EqualTo(1));
    }

    [Test]
    public async Task The_line_reader_drops_an_over_long_line_without_losing_its_place()
    {
        var input = "short\n" + new string('a', 300) + "\r\nafter\n" + new string('b', 300);
        var reader = new TextSSL.Corpora.Internal.Utf8LineReader(new MemoryStream(Encoding.UTF8.GetBytes(input)), maxLineBytes: 64);
        var seen = new List<(long, string, bool)>();
        while (await reader.ReadLineAsync(CancellationToken.None)) seen.Add((reader.LineNumber, Encoding.UTF8.GetString(reader.Line.Span), reader.TooLong));
        Assert.That(seen, Is.EqualTo(new[] { (1L, "short", false), (2L, "", true), (3L, "after", false), (4L, "", true) }));
    }

    [Test]
    public async Task A_text_document_over_the_record_limit_is_named_and_skipped_without_being_kept()
    {
        using var dir = new TempDir();
        var big = string.Join("\n", Enumerable.Repeat(new string('x', 40), 10)); // 409 characters over 10 lines
        var path = dir.Write("a.txt", $"first paragraph\n\n{big}\n\nlast paragraph\n");
        var spec = new SourceSpec(path) { Boundary = DocumentBoundary.Paragraph, MaxRecordChars = 200 };
        var ex = Assert.ThrowsAsync<OptionException>(() => ReadAll(spec));
        Assert.That(ex, Is.InstanceOf<OptionException>());
        Assert.That(((OptionException)ex!).MessageWith(TextSSL.Cli.OptionFlags.For), Does.Contain("a.txt:3").And.Contain("longer than 200 characters").And.Contain("--boundary"));

        var errors = new CorpusErrors(ErrorPolicy.Skip);
        var docs = await ReadAll(spec, errors: errors);
        Assert.That(docs.Select(d => d.Text), Is.EqualTo(new[] { "first paragraph", "last paragraph" }));
        Assert.That(errors.Count, Is.EqualTo(1));
        Assert.That(docs[1].Record, Is.EqualTo(14), "the reader kept its line count across the dropped document");
    }

    [Test]
    public async Task Jsonl_and_csv_records_over_the_limit_are_errors_naming_the_line()
    {
        using var dir = new TempDir();
        var jsonl = dir.Write("a.jsonl", $"{{\"text\":\"ok\"}}\n{{\"text\":\"{new string('y', 1000)}\"}}\n{{\"text\":\"{new string('z', 90)}\"}}\n{{\"text\":\"end\"}}\n");
        var errors = new CorpusErrors(ErrorPolicy.Skip);
        var docs = await ReadAll(new SourceSpec(jsonl) { MaxRecordChars = 80 }, errors: errors);
        Assert.That(docs.Select(d => d.Text), Is.EqualTo(new[] { "ok", "end" }));
        Assert.That(errors.First.Select(e => (e.Record, e.Reason.Contains("longer than"))), Is.EqualTo(new[] { (2L, true), (3L, true) }));

        var csv = dir.Write("a.csv", $"text\nok\n{new string('w', 100)}\n");
        var ex = Assert.ThrowsAsync<OptionException>(() => ReadAll(new SourceSpec(csv) { MaxRecordChars = 80 }));
        Assert.That(ex!.Message, Does.Contain("a.csv").And.Contain("longer than 80 characters"));
    }

    [Test]
    public async Task Separator_records_report_their_first_line_and_labels_come_from_the_file_name()
    {
        using var dir = new TempDir();
        var path = dir.Write("cat/zippy", "%\nfirst\n%\nsecond\nline\n%\n");
        var docs = await ReadAll(new SourceSpec(dir.Path) { Format = SourceFormat.Text, Boundary = DocumentBoundary.Separator, LabelFrom = LabelSource.File, Include = ["*"] });
        Assert.That(docs.Select(d => (d.Text, d.Record, d.Label)), Is.EqualTo(new[] { ("first", 2L, "zippy"), ("second\nline", 4L, "zippy") }));
    }

    [Test]
    public async Task Invalid_utf8_fails_naming_file_and_line_or_is_skipped_and_counted()
    {
        using var dir = new TempDir();
        var bytes = Encoding.UTF8.GetBytes("good one\nbad ").Concat(new byte[] { 0xC3, 0x28 }).Concat(Encoding.UTF8.GetBytes(" here\ngood two\n")).ToArray();
        var path = dir.WriteBytes("bad.txt", bytes);
        var spec = new SourceSpec(path) { Boundary = DocumentBoundary.Line };
        var ex = Assert.ThrowsAsync<OptionException>(() => ReadAll(spec));
        Assert.That(ex!.Message, Does.Contain("bad.txt:2").And.Contain("invalid UTF-8"));

        var errors = new CorpusErrors(ErrorPolicy.Skip);
        var docs = await ReadAll(spec, errors: errors);
        Assert.That(docs.Select(d => d.Text), Is.EqualTo(new[] { "good one", "good two" }));
        Assert.That(errors.Count, Is.EqualTo(1));
        Assert.That(errors.First[0].Record, Is.EqualTo(2));
    }

    [Test]
    public async Task Jsonl_reads_a_dotted_field_from_plain_gzip_and_zstd()
    {
        using var dir = new TempDir();
        const string lines = "{\"meta\":{\"body\":\"one\"},\"y\":1}\n\n{\"meta\":{\"body\":\"two \\u00e9\"},\"y\":2}\n";
        dir.Write("a.jsonl", lines);
        using (var gz = new GZipStream(File.Create(dir["b.jsonl.gz"]), CompressionLevel.Fastest)) gz.Write(Encoding.UTF8.GetBytes(lines));
        using (var file = File.Create(dir["c.jsonl.zst"]))
        using (var zs = new ZstdSharp.CompressionStream(file)) zs.Write(Encoding.UTF8.GetBytes(lines));
        var docs = await ReadAll(new SourceSpec(dir.Path) { Field = "meta.body", LabelFrom = LabelSource.Field, LabelField = "y" });
        Assert.That(docs.Select(d => d.Text), Is.EqualTo(new[] { "one", "two é", "one", "two é", "one", "two é" }));
        Assert.That(docs.Select(d => d.Label).Distinct(), Is.EqualTo(new[] { "1", "2" }));
        Assert.That(docs[1].Record, Is.EqualTo(3), "blank lines count as lines");
    }

    [Test]
    public async Task Malformed_json_and_missing_fields_name_the_line()
    {
        using var dir = new TempDir();
        var path = dir.Write("m.jsonl", "{\"text\":\"ok\"}\n{\"text\": oops}\n{\"other\":\"x\"}\n[1]\n{\"text\":\"fine\"}\n");
        var ex = Assert.ThrowsAsync<OptionException>(() => ReadAll(new SourceSpec(path)));
        Assert.That(ex!.Message, Does.Contain("m.jsonl:2").And.Contain("malformed JSON"));
        var errors = new CorpusErrors(ErrorPolicy.Skip);
        var docs = await ReadAll(new SourceSpec(path), errors: errors);
        Assert.That(docs.Select(d => d.Text), Is.EqualTo(new[] { "ok", "fine" }));
        Assert.That(errors.First.Select(e => e.Record), Is.EqualTo(new[] { 2L, 3L, 4L }));
        Assert.That(errors.First[1].Reason, Does.Contain("no field 'text'"));
    }

    [Test]
    public async Task Csv_reads_a_named_column_with_quotes_and_newlines()
    {
        using var dir = new TempDir();
        var path = dir.Write("a.csv", "id,body,label\n1,\"hello, \"\"world\"\"\nsecond line\",x\n2,plain,y\n");
        var docs = await ReadAll(new SourceSpec(path) { Field = "body", LabelFrom = LabelSource.Field, LabelField = "label" });
        Assert.That(docs.Select(d => (d.Text, d.Label)), Is.EqualTo(new[] { ("hello, \"world\"\nsecond line", "x"), ("plain", "y") }));
        Assert.That(docs[1].Record, Is.EqualTo(4), "records report the line they start on");
    }

    [Test]
    public async Task Tsv_without_header_reads_a_column_index()
    {
        using var dir = new TempDir();
        var path = dir.Write("a.tsv", "1\tsay \"hi\"\n2\tbye\n");
        var docs = await ReadAll(new SourceSpec(path) { Field = "1", HasHeader = false });
        Assert.That(docs.Select(d => d.Text), Is.EqualTo(new[] { "say \"hi\"", "bye" }));
    }

    [Test]
    public void Csv_without_the_named_column_is_a_clear_error()
    {
        using var dir = new TempDir();
        var path = dir.Write("a.csv", "id,body\n1,x\n");
        var ex = Assert.ThrowsAsync<OptionException>(() => ReadAll(new SourceSpec(path) { Field = "text" }));
        Assert.That(ex!.Message, Does.Contain("a.csv").And.Contain("no text column named 'text'").And.Contain("id, body"));
    }

    [Test]
    public async Task Csv_rows_with_invalid_utf8_or_too_few_fields_are_skipped_and_counted()
    {
        using var dir = new TempDir();
        var bytes = Encoding.UTF8.GetBytes("id,text\n1,good\n2\n3,b").Concat(new byte[] { 0xFF }).Concat(Encoding.UTF8.GetBytes("d\n4,fine\n")).ToArray();
        var path = dir.WriteBytes("a.csv", bytes);
        var errors = new CorpusErrors(ErrorPolicy.Skip);
        var docs = await ReadAll(new SourceSpec(path), errors: errors);
        Assert.That(docs.Select(d => d.Text), Is.EqualTo(new[] { "good", "fine" }));
        Assert.That(errors.First.Select(e => e.Record), Is.EqualTo(new[] { 3L, 4L }));
    }

    [Test]
    public async Task Parquet_reads_a_string_column_and_reports_nulls()
    {
        using var dir = new TempDir();
        var text = new DataField<string>("content", true);
        var id = new DataField<int>("id");
        await using (var file = File.Create(dir["a.parquet"]))
        await using (var writer = await ParquetWriter.CreateAsync(new ParquetSchema(id, text), file))
        {
            using var group = writer.CreateRowGroup();
            await group.WriteAsync<int>(id, (ReadOnlyMemory<int>)new[] { 1, 2, 3 });
            await group.WriteAsync(text, new string?[] { "alpha", null, "gamma" });
        }
        var errors = new CorpusErrors(ErrorPolicy.Skip);
        var docs = await ReadAll(new SourceSpec(dir["a.parquet"]) { Field = "content" }, errors: errors);
        Assert.That(docs.Select(d => (d.Text, d.Record)), Is.EqualTo(new[] { ("alpha", 1L), ("gamma", 3L) }));
        Assert.That(errors.First.Single().Record, Is.EqualTo(2));
        var ex = Assert.ThrowsAsync<OptionException>(() => ReadAll(new SourceSpec(dir["a.parquet"]) { Field = "text" }));
        Assert.That(ex!.Message, Does.Contain("no text column named 'text'").And.Contain("content"));
    }

    [Test]
    public async Task Emails_lose_their_headers_and_get_decoded_bodies()
    {
        using var dir = new TempDir();
        dir.Write("ham/1.txt", "From someone@example.org  Thu Aug 22 13:17:22 2002\nSubject: hi\nContent-Type: text/plain; charset=iso-8859-1\n" +
                               "Content-Transfer-Encoding: quoted-printable\n\nCaf=E9 at noon=\n, ok?\n");
        var html = Convert.ToBase64String(Encoding.UTF8.GetBytes("<html><head><style>p{}</style></head><body><p>Buy &amp; save</p><script>x()</script><div>now</div></body></html>"));
        dir.Write("spam/2.txt", "Subject: offer\nMIME-Version: 1.0\nContent-Type: multipart/alternative; boundary=\"b\"\n\n--b\nContent-Type: text/html\n" +
                                $"Content-Transfer-Encoding: base64\n\n{html}\n--b--\n");
        var docs = await ReadAll(new SourceSpec(dir.Path) { Format = SourceFormat.Email, LabelFrom = LabelSource.Folder, LabelMap = new Dictionary<string, string> { ["spam"] = "junk" } });
        Assert.That(docs[0].Text.Trim(), Is.EqualTo("Café at noon, ok?"));
        Assert.That(docs[0].Label, Is.EqualTo("ham"));
        Assert.That(docs[1].Text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries), Is.EqualTo(new[] { "Buy & save", "now" }));
        Assert.That(docs[1].Label, Is.EqualTo("junk"));
    }

    [Test]
    public void A_missing_input_is_a_clear_error()
    {
        var ex = Assert.Throws<TextSslException>(() => CorpusReader.ListFiles([new SourceSpec("/no/such/corpus.txt")]));
        Assert.That(ex!.Message, Does.Contain("/no/such/corpus.txt").And.Contain("does not exist"));
    }
}
