using System.CommandLine;
using System.IO.Compression;
using System.Text;
using TextSSL.Cli;
using TextSSL.Corpora;
using TextSSL.Prep;
using TextSSL.Tests.Corpora;
using TextSSL.Tokenization;

namespace TextSSL.Tests.Cli;

/// <summary>
/// The fault matrix (issue 17): bad inputs at both front doors → one line on stderr, the expected exit code, no stack
/// trace, and nothing the user owns lost. Each row sets up its files, runs the command through <see cref="CliHost"/>
/// exactly as the executables do, and checks what must still be there.
/// </summary>
public class FaultMatrixTests
{
    /// <summary>One row: which front door, how to set up, the expected exit code and message, and what must survive.</summary>
    internal sealed record Case(string Name, bool Prep, Func<TempDir, string[]> Setup, int Code, string Message, string? MustNotContain = null, Action<TempDir>? After = null)
    {
        public override string ToString() => Name;
    }

    private const string Text = "the cat sat on the mat and the dog sat on the log; the cat and the dog are friends.\n";

    public static IEnumerable<TestCaseData> Cases() => new Case[]
    {
        new("tokenizer train --out is the input's folder: refused, input kept", false,
            d => ["tokenizer", "train", "--input", d.Write("v/small.txt", Text), "--vocab-size", "270", "--out", d["v"]],
            1, "that TextSSL did not write", After: d => Assert.That(File.ReadAllText(d["v/small.txt"]), Is.EqualTo(Text))),
        new("tokenizer train --out a folder with other files: refused", false,
            d => { d.Write("mine/notes.md", "keep"); return ["tokenizer", "train", "--input", d.Write("in.txt", Text), "--vocab-size", "270", "--out", d["mine"]]; },
            1, "notes.md", After: d => Assert.That(File.Exists(d["mine/notes.md"]))),
        new("tokenizer train --out is a file", false,
            d => { d.Write("out.txt", "keep"); return ["tokenizer", "train", "--input", d.Write("in.txt", Text), "--vocab-size", "270", "--out", d["out.txt"]]; },
            1, "is a file, not a directory", After: d => Assert.That(File.ReadAllText(d["out.txt"]), Is.EqualTo("keep"))),
        new("tokenizer train --out lies under a file", false,
            d => { d.Write("f", "keep"); return ["tokenizer", "train", "--input", d.Write("in.txt", Text), "--vocab-size", "270", "--out", d["f/sub/tok"]]; },
            1, "which is a file"),
        new("tokenizer train --vocab-size 1000000000", false,
            d => ["tokenizer", "train", "--input", d.Write("in.txt", Text), "--vocab-size", "1000000000", "--out", d["tok"]],
            1, "--vocab-size must be at most 16,777,216"),
        new("tokenizer train on a UTF-16 file", false,
            d => ["tokenizer", "train", "--input", d.WriteBytes("u16.txt", [.. Encoding.Unicode.GetPreamble(), .. Encoding.Unicode.GetBytes(Text)]), "--vocab-size", "270", "--out", d["tok"]],
            1, "is UTF-16 (little-endian) text, not UTF-8", MustNotContain: "byte offset 0"),
        new("tokenizer train on a UTF-16 file without a byte-order mark", false,
            d => ["tokenizer", "train", "--input", d.WriteBytes("u16.txt", Encoding.Unicode.GetBytes(Text)), "--vocab-size", "270", "--out", d["tok"]],
            1, "is UTF-16 (little-endian) text"),
        new("tokenizer train on invalid UTF-8 names its own option", false,
            d => ["tokenizer", "train", "--input", d.WriteBytes("bad.txt", [0x61, 0xFF, 0x62]), "--vocab-size", "270", "--out", d["tok"]],
            1, "--replace-invalid"),
        new("tokenizer encode on invalid UTF-8 does not advise an option it lacks", false,
            d => ["tokenizer", "encode", "-t", "gpt2", "--file", d.WriteBytes("bad.txt", [0x61, 0xFF, 0x62])],
            1, "is not valid UTF-8", MustNotContain: "--replace-invalid"),
        new("tokenizer stats --file is a directory", false,
            d => { Directory.CreateDirectory(d["somedir"]); return ["tokenizer", "stats", "-t", "gpt2", "--file", d["somedir"]]; },
            1, "is a directory, not a file", MustNotContain: "does not exist"),
        new("tokenizer train --input does not exist", false,
            d => ["tokenizer", "train", "--input", d["nope.txt"], "--vocab-size", "270", "--out", d["tok"]],
            1, "does not exist", MustNotContain: "--input"),
        new("tokenizer train into an output another run holds", false,
            d => { Hold(OutputLock.AcquireBeside(d["tok"], "tokenizer train")); return ["tokenizer", "train", "--input", d.Write("in.txt", Text), "--vocab-size", "270", "--out", d["tok"]]; },
            1, "is in use by another run (pid"),
        new("prep build --out is a file", true,
            d => { d.Write("out", "keep"); return ["build", d.Write("in.txt", Text), "--tokenizer", "char", "--out", d["out"]]; },
            1, "--out", After: d => Assert.That(File.ReadAllText(d["out"]), Is.EqualTo("keep"))),
        new("prep build on a truncated .jsonl.gz", true,
            d => ["build", d.WriteBytes("in.jsonl.gz", TruncatedGzip()), "--tokenizer", "gpt2", "--out", d["out"]],
            1, "is a truncated or corrupt compressed file", MustNotContain: "malformed JSON"),
        new("prep build on a truncated .jsonl.gz with --on-error skip", true,
            d => ["build", d.WriteBytes("in.jsonl.gz", TruncatedGzip()), "--tokenizer", "gpt2", "--out", d["out"], "--on-error", "skip"],
            1, "is a truncated or corrupt compressed file"),
        new("prep build on a corrupt .jsonl.gz", true,
            d => { var b = TruncatedGzip(full: true); b[3] = 0xFF; b[40] ^= 0xFF; b[41] ^= 0xFF; return ["build", d.WriteBytes("in.jsonl.gz", b), "--tokenizer", "gpt2", "--out", d["out"]]; },
            1, "truncated or corrupt compressed file"),
        new("prep build on a UTF-16 text file", true,
            d => ["build", d.WriteBytes("u16.txt", [.. Encoding.Unicode.GetPreamble(), .. Encoding.Unicode.GetBytes(Text)]), "--tokenizer", "gpt2", "--out", d["out"]],
            1, "is UTF-16 (little-endian) text, not UTF-8", MustNotContain: "byte 0"),
        new("prep build on a UTF-16 JSON Lines file", true,
            d => ["build", d.WriteBytes("u16.jsonl", Encoding.Unicode.GetBytes("{\"text\":\"hello\"}\n")), "--tokenizer", "gpt2", "--out", d["out"], "--on-error", "skip"],
            1, "is UTF-16 (little-endian) text"),
        new("prep build --checkpoint-seconds NaN", true,
            d => ["build", d.Write("in.txt", Text), "--tokenizer", "char", "--out", d["out"], "--checkpoint-seconds", "NaN"],
            1, "--checkpoint-seconds must be between 0 and 86400 seconds", After: d => Assert.That(Directory.Exists(d["out"]), Is.False)),
        new("prep build --threads 0: refused before the character tokenizer is trained, no output folder left", true,
            d => ["build", d.Write("in.txt", Text), "--tokenizer", "char", "--out", d["out"], "--threads", "0"],
            1, "--threads must be at least 1 (got 0)", After: d => Assert.That(Directory.Exists(d["out"]), Is.False)),
        new("prep build into an output another run holds", true,
            d => { Hold(OutputLock.Acquire(d["out"], "prep build")); return ["build", d.Write("in.txt", Text), "--tokenizer", "gpt2", "--out", d["out"]]; },
            1, "is in use by another run (pid"),
        new("prep labels --train-texts is a folder of the user's: refused before any work, nothing lost", true,
            d =>
            {
                d.Write("in/a/1.txt", Text); d.Write("in/b/2.txt", Text + "x");
                d.Write("keep/thesis.tex", "years of work");
                return ["labels", d["in"], "--label-from", "folder", "--out", d["l.csv"], "--train-texts", d["keep"]];
            },
            1, "that TextSSL did not write", After: d =>
            {
                Assert.That(File.ReadAllText(d["keep/thesis.tex"]), Is.EqualTo("years of work"));
                Assert.That(File.Exists(d["l.csv"]), Is.False, "the labels were written before the refusal");
            }),
        new("bench quality --out is a folder of the user's: refused, nothing deleted", false,
            d => { d.Write("run/notes.txt", "keep"); return ["bench", "quality", "--data", Tokenization.TestText.MobyDickPath, "--steps", "1", "--out", d["run"]]; },
            1, "that TextSSL did not write", After: d => Assert.That(File.Exists(d["run/notes.txt"]))),
        new("bench quality with a bad option deletes nothing", false,
            d => { d.Write("run/metrics.csv", "step\n"); return ["bench", "quality", "--data", Tokenization.TestText.MobyDickPath, "--steps", "0", "--out", d["run"]]; },
            1, "steps", After: d => Assert.That(File.Exists(d["run/metrics.csv"]), "deleted before the options were checked")),
    }.Select(c => new TestCaseData(c).SetName("Fault: " + c.Name));

    private static readonly List<IDisposable> Held = [];

    private static void Hold(IDisposable d) => Held.Add(d);

    [TearDown]
    public void Release()
    {
        foreach (var d in Held) d.Dispose();
        Held.Clear();
    }

    [TestCaseSource(nameof(Cases))]
    public async Task Bad_input_is_one_line_and_an_exit_code(object row)
    {
        var c = (Case)row;
        using var dir = new TempDir();
        var args = c.Setup(dir);
        var (code, error) = await Run(c.Prep, args);
        Assert.That(code, Is.EqualTo(c.Code), error);
        Assert.That(error, Does.Contain(c.Message));
        if (c.MustNotContain is not null) Assert.That(error, Does.Not.Contain(c.MustNotContain));
        Assert.That(error, Does.Not.Contain("   at "), "a stack trace was printed");
        Assert.That(error.TrimEnd('\n').Split('\n'), Has.Length.EqualTo(1), "the error is not one line: " + error);
        c.After?.Invoke(dir);
    }

    private static async Task<(int Code, string Error)> Run(bool prep, string[] args)
    {
        var originalError = Console.Error;
        var originalOut = Console.Out;
        var error = new StringWriter();
        Console.SetError(error);
        Console.SetOut(new StringWriter());
        try
        {
            RootCommand root = prep ? PrepApp.CreateRootCommand() : CliApp.CreateRootCommand();
            var code = await CliHost.RunAsync(root, args);
            return (code, error.ToString());
        }
        finally
        {
            Console.SetError(originalError);
            Console.SetOut(originalOut);
        }
    }

    private static byte[] TruncatedGzip(bool full = false)
    {
        var text = string.Join("\n", Enumerable.Range(0, 4000).Select(i => $"{{\"text\":\"document number {i}, {i * 7919 % 1000} words\"}}")) + "\n";
        var ms = new MemoryStream();
        using (var g = new GZipStream(ms, CompressionLevel.Optimal, leaveOpen: true)) g.Write(Encoding.UTF8.GetBytes(text));
        var bytes = ms.ToArray();
        return full ? bytes : bytes[..(bytes.Length / 2)];
    }

    [TestCase(28, "no space left on the device")]
    [TestCase(30, "read-only file system")]
    [TestCase(13, "permission denied")]
    public void Io_errors_that_escape_become_one_line(int errno, string expected)
    {
        var error = Capture(() => Assert.That(CliHost.Report(new IOException("failed writing '/x/y'", errno)), Is.EqualTo(CliHost.UserError)));
        Assert.That(error, Does.StartWith("error: ").And.Contain(expected).And.Contain("/x/y"));
        Assert.That(error.TrimEnd('\n').Split('\n'), Has.Length.EqualTo(1));
    }

    [Test]
    public void Other_escaped_exceptions_are_mapped()
    {
        Assert.That(Capture(() => Assert.That(CliHost.Report(new UnauthorizedAccessException("Access to the path '/ro/out' is denied.")), Is.EqualTo(1))), Does.Contain("permission denied").And.Contain("/ro/out"));
        Assert.That(Capture(() => Assert.That(CliHost.Report(new DirectoryNotFoundException("Could not find a part of the path '/a/b'.")), Is.EqualTo(1))), Does.Contain("/a/b"));
        Assert.That(Capture(() => Assert.That(CliHost.Report(new InvalidDataException("bad block")), Is.EqualTo(1))), Does.Contain("truncated or corrupt compressed file"));
        Assert.That(Capture(() => Assert.That(CliHost.Report(new AggregateException(new OperationCanceledException())), Is.EqualTo(CliHost.Cancelled))), Does.Contain("cancelled"));
    }

    [Test]
    public void An_unknown_exception_is_an_internal_error_with_exit_70_and_a_trace_only_on_request()
    {
        var previous = Environment.GetEnvironmentVariable("TEXTSSL_DEBUG");
        try
        {
            Environment.SetEnvironmentVariable("TEXTSSL_DEBUG", null);
            var error = Capture(() => Assert.That(CliHost.Report(Thrown()), Is.EqualTo(CliHost.InternalError)));
            Assert.That(error, Does.StartWith("internal error: InvalidOperationException: boom").And.Contain("please report"));
            Assert.That(error, Does.Not.Contain("   at "));
            Environment.SetEnvironmentVariable("TEXTSSL_DEBUG", "1");
            error = Capture(() => CliHost.Report(Thrown()));
            Assert.That(error, Does.Contain("   at "), "TEXTSSL_DEBUG=1 shows the trace");
        }
        finally { Environment.SetEnvironmentVariable("TEXTSSL_DEBUG", previous); }

        static Exception Thrown()
        {
            try { throw new InvalidOperationException("boom"); }
            catch (InvalidOperationException ex) { return ex; }
        }
    }

    [TestCase(false, "textssl")]
    [TestCase(true, "textssl-prep")]
    public async Task Help_names_the_program_as_users_type_it(bool prep, string name)
    {
        var originalOut = Console.Out;
        var output = new StringWriter();
        Console.SetOut(output);
        try
        {
            var root = prep ? PrepApp.CreateRootCommand() : CliApp.CreateRootCommand();
            Assert.That(await CliHost.RunAsync(root, ["--help"], programName: name), Is.Zero);
        }
        finally { Console.SetOut(originalOut); }
        Assert.That(output.ToString(), Does.Contain($"  {name} [command] [options]"));
        Assert.That(output.ToString(), Does.Not.Contain(System.CommandLine.RootCommand.ExecutableName + " [command]"));
    }

    private static string Capture(Action action)
    {
        var original = Console.Error;
        var error = new StringWriter();
        Console.SetError(error);
        try { action(); }
        finally { Console.SetError(original); }
        return error.ToString();
    }
}
