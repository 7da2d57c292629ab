using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using TextSSL.Cli;
using TextSSL.Cli.Commands;
using TextSSL.Modeling;
using TextSSL.Probing;
using TextSSL.Runtime;
using TextSSL.Tests.Generation;
using TextSSL.Tokenization;
using TextSSL.Training;

namespace TextSSL.Tests.Embedding;

/// <summary>Embeddings out: the handle's Embed/EmbedAsync and <c>textssl embed</c> (CSV, JSONL, .npy; files, tables, stdin).</summary>
public class EmbedTests
{
    private static readonly string[] Texts =
    [
        "the cat sat on the mat.", "a dog.", "the dog ate the log. a cat and a dog.", "", "cat", "the mat", "a cat and a dog sat on the log.",
    ];

    private string _root = null!;
    private CharTokenizer _tokenizer = null!;

    [OneTimeSetUp]
    public void SetUp()
    {
        TorchRuntime.EnsureLoaded();
        _tokenizer = TinyModels.Tokenizer();
    }

    [SetUp]
    public void MakeDir() => _root = Directory.CreateTempSubdirectory("textssl-embed-").FullName;

    [TearDown]
    public void RemoveDir() => Directory.Delete(_root, recursive: true);

    private string Save(ModelKind kind)
    {
        var dir = Path.Combine(_root, kind == ModelKind.Decoder ? "dec" : "enc");
        using var model = TinyModels.Untrained(_tokenizer, kind);
        ModelCheckpoint.Save(dir, model, _tokenizer, new CheckpointInfo(ModelCheckpoint.FormatVersion, model.Config, kind == ModelKind.Decoder ? "clm" : "mlm", _tokenizer.Fingerprint, 0, null));
        return dir;
    }

    private static float[] Alone(PretrainedModel model, string text, FeatureOptions options)
    {
        using var f = model.Features([text], options);
        return f.data<float>().ToArray();
    }

    [TestCase(ModelKind.Decoder, Pooling.Mean, "last")]
    [TestCase(ModelKind.Encoder, Pooling.Mean, "last")]
    [TestCase(ModelKind.Encoder, Pooling.First, "-2")]
    [TestCase(ModelKind.Decoder, Pooling.Max, "mean:2")]
    public void Embed_gives_one_vector_per_text_in_input_order_equal_to_each_text_embedded_alone(ModelKind kind, Pooling pooling, string layer)
    {
        using var model = PretrainedModel.Load(Save(kind));
        var options = new FeatureOptions(pooling, LayerSelection.Parse(layer), BatchSize: 3);
        var reported = new List<long>();
        var vectors = model.Embed(Texts, options, new SyncProgress(reported)).ToList();

        Assert.That(vectors, Has.Count.EqualTo(Texts.Length));
        Assert.That(vectors.All(v => v.Length == model.Config.Dim));
        Assert.That(reported, Is.EqualTo(new long[] { 3, 6, 7 }), "progress after each chunk of BatchSize texts");
        for (var i = 0; i < Texts.Length; i++)
            Assert.That(vectors[i], Is.EqualTo(Alone(model, Texts[i], options)).Within(1e-5), $"text {i}");
        Assert.That(vectors[0], Is.Not.EqualTo(vectors[1]).Within(1e-3), "different texts give different vectors");
    }

    [Test]
    public void Normalize_gives_unit_vectors_in_the_direction_of_the_raw_ones_and_leaves_empty_texts_zero()
    {
        using var model = PretrainedModel.Load(Save(ModelKind.Encoder));
        var raw = model.Embed(Texts, new FeatureOptions(BatchSize: 4)).ToList();
        var unit = model.Embed(Texts, new FeatureOptions(BatchSize: 4, Normalize: true)).ToList();
        for (var i = 0; i < Texts.Length; i++)
        {
            var norm = Math.Sqrt(raw[i].Sum(x => (double)x * x));
            Assert.That(norm, Is.GreaterThan(0.1), "an untrained model's raw vectors are not unit length already");
            Assert.That(Math.Sqrt(unit[i].Sum(x => (double)x * x)), Is.EqualTo(1.0).Within(1e-5), $"text {i}");
            Assert.That(unit[i], Is.EqualTo(raw[i].Select(x => (float)(x / norm)).ToArray()).Within(1e-5));
        }
        Assert.That(new FeatureOptions(Normalize: true).Describe(), Is.Not.EqualTo(new FeatureOptions().Describe()), "feature caches tell normalised features apart");
        Assert.That(new FeatureOptions().Describe(), Does.Not.Contain("l2"), "existing cache keys are unchanged");
    }

    [Test]
    public async Task EmbedAsync_streams_the_same_vectors_and_checks_options_before_reading_input()
    {
        using var model = PretrainedModel.Load(Save(ModelKind.Decoder));
        var options = new FeatureOptions(BatchSize: 2, Normalize: true);
        var expected = model.Embed(Texts, options).ToList();
        var got = new List<float[]>();
        await foreach (var v in model.EmbedAsync(Texts.ToAsyncEnumerable(), options)) got.Add(v);
        Assert.That(got, Has.Count.EqualTo(expected.Count));
        for (var i = 0; i < got.Count; i++) Assert.That(got[i], Is.EqualTo(expected[i]));

        var read = 0;
        IEnumerable<string> Counting() { foreach (var t in Texts) { read++; yield return t; } }
        var ex = Assert.Throws<OptionException>(() => model.Embed(Counting(), new FeatureOptions(Layer: new LayerSelection(99))));
        Assert.That(ex!.Options, Does.Contain(nameof(FeatureOptions.Layer)));
        Assert.That(read, Is.Zero);
        Assert.Throws<OptionException>(() => model.Embed(Texts, new FeatureOptions(BatchSize: 0)));
    }

    private static async Task<(int Code, string Output, string Error)> RunCli(params string[] args)
    {
        var (originalOut, originalError) = (Console.Out, Console.Error);
        var (output, error) = (new StringWriter(), new StringWriter());
        Console.SetOut(output);
        Console.SetError(error);
        try { return (await CliHost.RunAsync(CliApp.CreateRootCommand(), args), output.ToString(), error.ToString()); }
        finally
        {
            Console.SetOut(originalOut);
            Console.SetError(originalError);
        }
    }

    private string WriteLines(string name = "texts.txt")
    {
        var path = Path.Combine(_root, name);
        File.WriteAllText(path, string.Join("\n", Texts) + "\n");
        return path;
    }

    private static float[] ReadNpy(string path, out long rows, out int cols)
    {
        var bytes = File.ReadAllBytes(path);
        Assert.That(bytes[0], Is.EqualTo(0x93));
        Assert.That(Encoding.ASCII.GetString(bytes, 1, 5), Is.EqualTo("NUMPY"));
        Assert.That((bytes[6], bytes[7]), Is.EqualTo(((byte)1, (byte)0)), "format version 1.0");
        var headerLength = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(8));
        var dataStart = 10 + headerLength;
        Assert.That(dataStart % 64, Is.Zero, "data starts on a 64-byte boundary");
        var header = Encoding.ASCII.GetString(bytes, 10, headerLength);
        Assert.That(header, Does.EndWith("\n"));
        var m = Regex.Match(header, @"^\{'descr': '<f4', 'fortran_order': False, 'shape': \((\d+), (\d+)\), \} *\n$");
        Assert.That(m.Success, Is.True, header);
        rows = long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
        cols = int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture);
        Assert.That(bytes.Length - dataStart, Is.EqualTo(rows * cols * 4), "data is exactly N × dim float32");
        var data = new float[rows * cols];
        for (var i = 0; i < data.Length; i++) data[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(dataStart + i * 4));
        return data;
    }

    [Test]
    public async Task Npy_output_has_a_valid_header_and_holds_the_handles_vectors_in_order()
    {
        var dir = Save(ModelKind.Encoder);
        var input = WriteLines();
        var outPath = Path.Combine(_root, "out", "emb.npy");
        var (code, output, error) = await RunCli("embed", input, "--model", dir, "--out", outPath, "--normalize", "--batch-size", "3", "--pooling", "first", "--layer", "-2", "--device", "cpu");
        Assert.That(code, Is.Zero, error);
        Assert.That(output, Does.Contain($"embedded {Texts.Length} texts"));

        var data = ReadNpy(outPath, out var rows, out var cols);
        using var model = PretrainedModel.Load(dir);
        Assert.That((rows, cols), Is.EqualTo(((long)Texts.Length, model.Config.Dim)));
        var options = new FeatureOptions(Pooling.First, new LayerSelection(-2), Normalize: true);
        for (var i = 0; i < Texts.Length; i++)
            Assert.That(data.AsSpan(i * cols, cols).ToArray(), Is.EqualTo(Alone(model, Texts[i], options)).Within(1e-5), $"row {i}");
        Assert.That(Directory.GetFiles(Path.GetDirectoryName(outPath)!), Is.EqualTo(new[] { outPath }), "no temporary file is left behind");
    }

    [Test]
    public void Npy_header_is_128_bytes_for_any_row_count()
    {
        foreach (var rows in new[] { 0L, 7L, long.MaxValue })
        {
            var header = NpyWriter.Header(rows, int.MaxValue);
            Assert.That(header, Has.Length.EqualTo(NpyWriter.HeaderBytes));
            Assert.That(BinaryPrimitives.ReadUInt16LittleEndian(header.AsSpan(8)), Is.EqualTo(NpyWriter.HeaderBytes - 10));
            Assert.That(header[^1], Is.EqualTo((byte)'\n'));
        }
    }

    [Test]
    public async Task Csv_and_jsonl_outputs_hold_one_row_per_text_equal_to_the_npy_rows()
    {
        var dir = Save(ModelKind.Decoder);
        var input = WriteLines();
        var npy = Path.Combine(_root, "e.npy");
        var csv = Path.Combine(_root, "e.csv");
        var jsonl = Path.Combine(_root, "e.out");
        Assert.That((await RunCli("embed", input, "-m", dir, "-o", npy, "--device", "cpu")).Code, Is.Zero);
        Assert.That((await RunCli("embed", input, "-m", dir, "-o", csv, "--device", "cpu")).Code, Is.Zero);
        Assert.That((await RunCli("embed", input, "-m", dir, "-o", jsonl, "--format", "jsonl", "--device", "cpu")).Code, Is.Zero);

        var data = ReadNpy(npy, out var rows, out var cols);
        var csvRows = File.ReadAllLines(csv);
        var jsonRows = File.ReadAllLines(jsonl);
        Assert.That((csvRows.Length, jsonRows.Length), Is.EqualTo(((int)rows, (int)rows)));
        for (var i = 0; i < rows; i++)
        {
            var expected = data.AsSpan(i * cols, cols).ToArray();
            Assert.That(csvRows[i].Split(',').Select(s => float.Parse(s, CultureInfo.InvariantCulture)).ToArray(), Is.EqualTo(expected), "CSV floats round-trip exactly");
            using var doc = JsonDocument.Parse(jsonRows[i]);
            Assert.That(doc.RootElement.GetProperty("index").GetInt32(), Is.EqualTo(i));
            Assert.That(doc.RootElement.GetProperty("embedding").EnumerateArray().Select(e => e.GetSingle()).ToArray(), Is.EqualTo(expected));
        }
    }

    [Test]
    public async Task Stdin_and_table_columns_give_the_same_vectors_as_a_text_file()
    {
        var dir = Save(ModelKind.Decoder);
        var fromFile = Path.Combine(_root, "file.csv");
        Assert.That((await RunCli("embed", WriteLines(), "-m", dir, "-o", fromFile, "--device", "cpu")).Code, Is.Zero);
        var expected = File.ReadAllLines(fromFile);

        var fromStdin = Path.Combine(_root, "stdin.csv");
        var request = new EmbedCommand.EmbedRequest(dir, "-", fromStdin, null, EmbedInputFormat.Auto, null, new FeatureOptions(), "cpu");
        Assert.That(EmbedCommand.Run(request, new StringReader(string.Join("\n", Texts) + "\n"), TextWriter.Null, TextWriter.Null, CancellationToken.None), Is.Zero);
        Assert.That(File.ReadAllLines(fromStdin), Is.EqualTo(expected));

        var table = Path.Combine(_root, "table.csv");
        File.WriteAllText(table, "id,body\n" + string.Concat(Texts.Select((t, i) => $"{i},\"{t}\"\n")));
        var fromTable = Path.Combine(_root, "table-out.csv");
        Assert.That((await RunCli("embed", table, "-m", dir, "-o", fromTable, "--text-column", "body", "--device", "cpu")).Code, Is.Zero);
        Assert.That(File.ReadAllLines(fromTable), Is.EqualTo(expected));

        var jsonl = Path.Combine(_root, "table.jsonl");
        File.WriteAllLines(jsonl, Texts.Select(t => JsonSerializer.Serialize(new { text = t, n = 1 })));
        var fromJsonl = Path.Combine(_root, "jsonl-out.csv");
        Assert.That((await RunCli("embed", jsonl, "-m", dir, "-o", fromJsonl, "--device", "cpu")).Code, Is.Zero);
        Assert.That(File.ReadAllLines(fromJsonl), Is.EqualTo(expected));
    }

    [Test]
    public async Task A_bad_column_a_missing_format_or_the_input_as_output_is_one_clear_line_and_writes_nothing()
    {
        var dir = Save(ModelKind.Decoder);
        var table = Path.Combine(_root, "table.csv");
        File.WriteAllText(table, "id,body\n1,the cat\n");
        var outPath = Path.Combine(_root, "e.npy");

        var (code, _, error) = await RunCli("embed", table, "-m", dir, "-o", outPath, "--text-column", "txt", "--device", "cpu");
        Assert.That(code, Is.EqualTo(1));
        Assert.That(error.TrimEnd(), Does.Not.Contain("\n"));
        Assert.That(error, Does.Contain("no column 'txt'").And.Contain("'body'").And.Contain("--text-column").And.Not.Contain("TextColumn"));

        (code, _, error) = await RunCli("embed", WriteLines(), "-m", dir, "-o", outPath, "--text-column", "body", "--device", "cpu");
        Assert.That(code, Is.EqualTo(1));
        Assert.That(error, Does.Contain("--text-column").And.Contain("--input-format"));

        (code, _, error) = await RunCli("embed", table, "-m", dir, "-o", Path.Combine(_root, "e.bin"), "--text-column", "body", "--device", "cpu");
        Assert.That(code, Is.EqualTo(1));
        Assert.That(error, Does.Contain("--format"));

        var before = File.ReadAllText(table);
        (code, _, error) = await RunCli("embed", table, "-m", dir, "-o", table, "--text-column", "body", "--device", "cpu");
        Assert.That(code, Is.EqualTo(1));
        Assert.That(error, Does.Contain("is the input file"));
        Assert.That(File.ReadAllText(table), Is.EqualTo(before));

        (code, _, error) = await RunCli("embed", table, "-m", dir, "-o", outPath, "--text-column", "body", "--batch-size", "0", "--device", "cpu");
        Assert.That(code, Is.EqualTo(1));
        Assert.That(error, Does.Contain("--batch-size"));

        Assert.That(Directory.GetFiles(_root), Is.EquivalentTo(new[] { table, Path.Combine(_root, "texts.txt") }), "no output or temporary file was written");
    }

    private sealed class SyncProgress(List<long> values) : IProgress<long>
    {
        public void Report(long value) => values.Add(value);
    }
}
