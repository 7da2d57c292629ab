using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using TextSSL.Cli;
using TextSSL.Modeling;
using TextSSL.Runtime;

namespace TextSSL.Tests.Generation;

/// <summary>
/// <c>generate --stream</c> and <c>--interactive</c> run through <see cref="CliHost"/> exactly as the executable does
/// (program name <c>textssl</c>), with the console redirected to a recorder standing in for a file or pipe: text must
/// arrive as it is produced, not when the command ends.
/// </summary>
public class StreamedOutputTests
{
    private string _root = null!;
    private string _decoder = null!;

    [OneTimeSetUp]
    public void SetUp()
    {
        TorchRuntime.EnsureLoaded();
        _root = Directory.CreateTempSubdirectory("textssl-stream-").FullName;
        var tokenizer = TinyModels.Tokenizer();
        _decoder = Path.Combine(_root, "decoder");
        using var model = TinyModels.Untrained(tokenizer, ModelKind.Decoder);
        ModelCheckpoint.Save(_decoder, model, tokenizer, new CheckpointInfo(ModelCheckpoint.FormatVersion, model.Config, "clm", tokenizer.Fingerprint, 0, null));
    }

    [OneTimeTearDown]
    public void TearDown() => Directory.Delete(_root, recursive: true);

    [Test]
    public async Task Streamed_tokens_reach_a_redirected_output_one_write_at_a_time()
    {
        var recorder = new Recorder();
        var (code, _) = await Run(recorder, new StringReader(""), "generate", "--model", _decoder, "--prompt", "the cat", "--stream",
            "--max-new-tokens", "40", "--ignore-end-of-text", "--seed", "5", "--device", "cpu");
        Assert.That(code, Is.Zero);
        var writes = recorder.Writes.Select(w => w.Text).Where(t => t.Length > 0).ToList();
        var all = string.Concat(writes);
        Assert.That(all, Does.StartWith("the cat"));
        // 40 tokens of a character model: one write per token (a buffered console gives the whole text in one write at exit)
        Assert.That(writes, Has.Count.GreaterThanOrEqualTo(40), "the completion should reach the output token by token");
        Assert.That(writes.Max(w => w.Length), Is.LessThan(all.Length / 4), "no write should hold most of the output");
    }

    [Test]
    public async Task An_interactive_answer_arrives_while_the_command_still_waits_for_input()
    {
        var recorder = new Recorder();
        var input = new BlockingLineReader();
        var run = Run(recorder, input, "generate", "--model", _decoder, "--interactive", "--max-new-tokens", "8", "--ignore-end-of-text",
            "--seed", "5", "--device", "cpu");
        input.Send("the cat");
        // the answer must be in the output while the command is blocked reading the next line
        var clock = Stopwatch.StartNew();
        while (!recorder.Text.EndsWith('\n') && clock.Elapsed < TimeSpan.FromSeconds(60) && !run.IsCompleted)
            await Task.Delay(20);
        var seenWhileWaiting = recorder.Text;
        var stillRunning = !run.IsCompleted;
        input.Send(":quit");
        var (code, _) = await run;
        Assert.That(code, Is.Zero);
        Assert.That(stillRunning, Is.True);
        Assert.That(seenWhileWaiting, Does.StartWith("the cat"), "the completion must reach the output before the command ends");
        Assert.That(seenWhileWaiting.Length, Is.GreaterThan("the cat\n".Length), "some generated text");
        Assert.That(seenWhileWaiting, Does.EndWith("\n"), "the whole completion, while the loop waits for the next prompt");
    }

    private static async Task<(int Code, string Error)> Run(TextWriter output, TextReader input, params string[] args)
    {
        var (originalOut, originalError, originalIn) = (Console.Out, Console.Error, Console.In);
        var error = new StringWriter();
        Console.SetOut(output);
        Console.SetError(error);
        Console.SetIn(input);
        try { return (await Task.Run(() => CliHost.RunAsync(CliApp.CreateRootCommand(), args, programName: "textssl")), error.ToString()); }
        finally
        {
            Console.SetOut(originalOut);
            Console.SetError(originalError);
            Console.SetIn(originalIn);
        }
    }

    /// <summary>A writer that keeps each write (with the time it arrived) separately, like a pipe reader would see them.</summary>
    private sealed class Recorder : TextWriter
    {
        private readonly Lock _gate = new();
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private readonly List<(TimeSpan At, string Text)> _writes = [];

        public override Encoding Encoding => Encoding.UTF8;

        public IReadOnlyList<(TimeSpan At, string Text)> Writes { get { lock (_gate) return [.. _writes]; } }

        public string Text { get { lock (_gate) return string.Concat(_writes.Select(w => w.Text)); } }

        public override void Write(char value) => Write(value.ToString());

        public override void Write(string? value)
        {
            lock (_gate) _writes.Add((_clock.Elapsed, value ?? ""));
        }

        public override void Write(char[] buffer, int index, int count) => Write(new string(buffer, index, count));
    }

    /// <summary>Standard input whose lines arrive when the test sends them; reading blocks until then.</summary>
    private sealed class BlockingLineReader : TextReader
    {
        private readonly BlockingCollection<string> _lines = [];

        public void Send(string line) => _lines.Add(line);

        public override string? ReadLine() => _lines.TryTake(out var line, TimeSpan.FromSeconds(120)) ? line : null;
    }
}
