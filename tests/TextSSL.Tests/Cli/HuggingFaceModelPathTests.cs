using TextSSL.Cli;
using TextSSL.Interop;
using TextSSL.Modeling;
using TextSSL.Tests.Interop;

namespace TextSSL.Tests.Cli;

/// <summary>Every command that takes --model, handed a Hugging Face directory, says to import it (one line, exit 1).</summary>
[NonParallelizable]
public class HuggingFaceModelPathTests
{
    private string _dir = null!;

    [SetUp]
    public void MakeDirectory() => _dir = Directory.CreateTempSubdirectory("textssl-hfpath-").FullName;

    [TearDown]
    public void RemoveDirectory() => Directory.Delete(_dir, recursive: true);

    [TestCase("generate", "--prompt", "the cat")]
    [TestCase("eval", "--data", "{text}")]
    [TestCase("probe", "--data", "{csv}", "--out", "{out}")]
    [TestCase("embed", "{text}", "--out", "{out}.jsonl")]
    [TestCase("fill-mask", "the [MASK] cat")]
    [TestCase("export", "--format", "hf", "--out", "{out}")]
    public async Task A_hugging_face_directory_as_model_names_the_import_command(string command, params string[] rest)
    {
        var text = Path.Combine(_dir, "texts.txt");
        File.WriteAllText(text, "the cat sat\nthe dog ran\n");
        var csv = Path.Combine(_dir, "labels.csv");
        File.WriteAllText(csv, "text,label,split\nthe cat,a,train\nthe dog,b,train\na cat,a,test\na dog,b,test\n");
        var hf = InteropFixtures.Gpt2();
        string[] args = [.. command.Split(' '), "--model", hf, .. rest.Select(a => a.Replace("{text}", text).Replace("{csv}", csv).Replace("{out}", Path.Combine(_dir, "out")))];

        var originalError = Console.Error;
        var error = new StringWriter();
        Console.SetError(error);
        int code;
        try { code = await CliHost.RunAsync(CliApp.CreateRootCommand(), args); }
        finally { Console.SetError(originalError); }
        TestContext.Out.WriteLine(error.ToString());
        Assert.That(code, Is.EqualTo(1));
        Assert.That(error.ToString().Trim(), Does.Contain("Hugging Face model directory").And.Contain($"textssl import --format hf {hf} --out").And.Not.Contain("\n"));
    }

    [Test]
    public void The_library_throws_a_typed_exception_naming_the_directory()
    {
        var hf = InteropFixtures.Gpt2();
        var ex = Assert.Throws<HuggingFaceDirectoryException>(() => PretrainedModel.Load(hf))!;
        Assert.That(ex.Directory, Is.EqualTo(hf));
        Assert.That(ex.Message, Does.Contain("HuggingFaceImport").And.Not.Contain("--"));
    }
}
