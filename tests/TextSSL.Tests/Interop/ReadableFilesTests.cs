using System.Text.Json;
using TextSSL.Interop;
using TextSSL.Modeling;
using TextSSL.Reports;
using TextSSL.Runtime;

namespace TextSSL.Tests.Interop;

/// <summary>Files meant for people: no <c>\u0027</c>-style escapes, no absolute paths of the machine that wrote them.</summary>
public class ReadableFilesTests
{
    private string _dir = null!;

    [OneTimeSetUp]
    public void SetUp() => TorchRuntime.EnsureLoaded();

    [SetUp]
    public void MakeDirectory() => _dir = Directory.CreateTempSubdirectory("textssl-readable-").FullName;

    [TearDown]
    public void RemoveDirectory() => Directory.Delete(_dir, recursive: true);

    [Test]
    public void Readable_json_writes_quotes_angle_brackets_and_letters_as_themselves()
    {
        var json = JsonSerializer.Serialize(new { Text = "it's <b> & café + 1" }, ReadableJson.SnakeCase);
        Assert.That(json, Does.Contain("\"text\": \"it's <b> & café + 1\""));
        Assert.That(json, Does.Not.Contain("\\u"));
        // The escaping settings are the only difference: what the old settings read, the new ones read back the same.
        Assert.That(JsonSerializer.Deserialize<JsonElement>(json, TextSSL.Tokenization.TokenizerSidecar.Json).GetProperty("text").GetString(),
            Is.EqualTo("it's <b> & café + 1"));
    }

    [Test]
    public void The_export_marker_names_its_source_checkpoint_relative_to_the_export()
    {
        var tokenizer = InteropFixtures.Tokenizer();
        var checkpoint = InteropFixtures.Checkpoint(Path.Combine(_dir, "run", "ckpt"), tokenizer,
            new TransformerConfig(ModelKind.Decoder, 320, 16, 2, 2, 32, 0.0, false, PositionKind.Learned, true));
        var hf = HuggingFaceExport.Export(checkpoint, Path.Combine(_dir, "exports", "hf")).Directory;
        var marker = JsonDocument.Parse(File.ReadAllText(Path.Combine(hf, "textssl-export.json"))).RootElement;
        var source = marker.GetProperty("source_checkpoint").GetString()!;
        Assert.That(Path.IsPathRooted(source), Is.False, source);
        Assert.That(Path.GetFullPath(Path.Combine(hf, source)), Is.EqualTo(ModelCheckpoint.Resolve(checkpoint)));
        var modelJson = File.ReadAllText(Path.Combine(ModelCheckpoint.Resolve(checkpoint), "model.json"));
        Assert.That(modelJson, Does.Not.Contain("\\u"));
    }

    [Test]
    public void The_probe_report_names_the_model_from_the_repository_root_or_the_directory_the_probe_ran_in()
    {
        // a report copied elsewhere in the repository (docs/results) still names the model rightly
        Directory.CreateDirectory(Path.Combine(_dir, "repo", ".git"));
        var inRepo = Path.Combine(_dir, "repo", "runs", "m", "best");
        Assert.That(LabelEfficiencyReport.ModelForReport(inRepo + " (decoder, 4 layers × 128 dims, task clm)", Path.Combine(_dir, "repo", "docs")),
                    Is.EqualTo("runs/m/best (from the repository root; decoder, 4 layers × 128 dims, task clm)"));
        var outside = Path.Combine(_dir, "work", "runs", "m", "best");
        Assert.That(LabelEfficiencyReport.ModelForReport(outside + " (x)", Path.Combine(_dir, "work")), Is.EqualTo("runs/m/best (from the directory the probe ran in; x)"));
        Assert.That(LabelEfficiencyReport.ModelForReport(outside, Path.Combine(_dir, "elsewhere")), Is.EqualTo("…/m/best"), "no absolute path of this machine");
        Assert.That(LabelEfficiencyReport.ModelForReport("already/relative (x)", _dir), Is.EqualTo("already/relative (x)"));
    }
}
