using System.CommandLine;
using System.Text.Json;
using TextSSL.Cli.Commands;
using TextSSL.Generation;
using TextSSL.Modeling;
using TextSSL.Runtime;
using TextSSL.Tokenization;

namespace TextSSL.Tests.Generation;

public class GenerateCommandTests
{
    private string _root = null!;
    private string _decoder = null!;
    private string _encoder = null!;

    [OneTimeSetUp]
    public void SetUp()
    {
        TorchRuntime.EnsureLoaded();
        _root = Directory.CreateTempSubdirectory("textssl-gen-cli-").FullName;
        var tokenizer = TinyModels.Tokenizer();
        _decoder = Path.Combine(_root, "decoder");
        _encoder = Path.Combine(_root, "encoder");
        foreach (var (dir, kind, task) in new[] { (_decoder, ModelKind.Decoder, "clm"), (_encoder, ModelKind.Encoder, "mlm") })
        {
            using var model = TinyModels.Untrained(tokenizer, kind);
            ModelCheckpoint.Save(dir, model, tokenizer, new CheckpointInfo(ModelCheckpoint.FormatVersion, model.Config, task, tokenizer.Fingerprint, 0, null));
        }
    }

    [OneTimeTearDown]
    public void TearDown() => Directory.Delete(_root, recursive: true);

    private static async Task<(int Code, string Out, string Err)> Cli(params string[] args)
    {
        var root = new RootCommand();
        root.Subcommands.Add(GenerateCommand.Create());
        root.Subcommands.Add(FillMaskCommand.Create());
        var output = new StringWriter();
        var error = new StringWriter();
        var code = await root.Parse(args).InvokeAsync(new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false });
        return (code, output.ToString(), error.ToString());
    }

    [Test]
    public async Task Json_output_lists_every_completion_with_counts_and_timings()
    {
        var (code, output, _) = await Cli("generate", "--model", _decoder, "--prompt", "the cat", "--prompt", "a", "--num-samples", "2",
            "--max-new-tokens", "12", "--seed", "3", "--device", "cpu", "--ignore-end-of-text", "--json");
        Assert.That(code, Is.Zero);
        using var json = JsonDocument.Parse(output);
        var r = json.RootElement;
        Assert.That(r.GetProperty("completions").GetArrayLength(), Is.EqualTo(4));
        Assert.That(r.GetProperty("generated_tokens").GetInt32(), Is.EqualTo(48));
        Assert.That(r.GetProperty("prompt_tokens").GetInt32(), Is.EqualTo(2 * 7 + 2 * 1));
        Assert.That(r.GetProperty("time_to_first_token_ms").GetDouble(), Is.GreaterThan(0));
        Assert.That(r.GetProperty("tokens_per_second").GetDouble(), Is.GreaterThan(0));
        Assert.That(r.GetProperty("seed").GetInt64(), Is.EqualTo(3));
        Assert.That(r.GetProperty("completions")[2].GetProperty("prompt").GetString(), Is.EqualTo("a"));
    }

    [Test]
    public async Task Streamed_text_equals_the_batched_text_for_the_same_seed()
    {
        string[] common = ["generate", "--model", _decoder, "--prompt", "the d", "--num-samples", "2", "--max-new-tokens", "20", "--seed", "9",
            "--device", "cpu", "--ignore-end-of-text", "--stop", "at"];
        var batched = await Cli(common);
        var streamed = await Cli([.. common, "--stream"]);
        Assert.That(streamed.Out, Is.EqualTo(batched.Out));
        Assert.That(batched.Out, Does.StartWith("the d"));
        Assert.That(batched.Err, Does.Contain("tokens/s"));
    }

    [Test]
    public async Task The_interactive_loop_answers_each_prompt_until_quit()
    {
        var settings = new GenerateCommand.Settings(_decoder, [], null, new GenerationOptions { MaxNewTokens = 5, Seed = 1, StopAtEndOfText = false }, "cpu", false, false, true);
        var output = new StringWriter();
        var error = new StringWriter();
        var code = await GenerateCommand.RunAsync(settings, output, error, new StringReader("the cat\nthe Zebra\na dog\n:quit\nnever read\n"), CancellationToken.None);
        Assert.That(code, Is.Zero);
        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines, Has.Length.EqualTo(2));
        Assert.That(lines[0], Does.StartWith("the cat"));
        Assert.That(lines[1], Does.StartWith("a dog"));
        Assert.That(error.ToString(), Does.Contain("'Z'"), "an unknown character is reported and the loop goes on");
    }

    [Test]
    public void An_encoder_checkpoint_given_to_generate_is_a_clear_error() =>
        Assert.That(async () => await Cli("generate", "--model", _encoder, "--prompt", "the", "--device", "cpu"),
            Throws.TypeOf<TextSslException>().With.Message.Contains("encoder").And.Message.Contains("fill-mask"));

    [Test]
    public void A_decoder_checkpoint_given_to_fill_mask_is_a_clear_error() =>
        Assert.That(async () => await Cli("fill-mask", "--model", _decoder, "the [MASK] sat", "--device", "cpu"),
            Throws.TypeOf<TextSslException>().With.Message.Contains("decoder").And.Message.Contains("generate"));

    [Test]
    public void A_missing_checkpoint_is_a_clear_error() =>
        Assert.That(async () => await Cli("generate", "--model", Path.Combine(_root, "nowhere"), "--prompt", "the", "--device", "cpu"),
            Throws.TypeOf<TextSslException>().With.Message.Contains("does not exist"));

    [Test]
    public void A_corrupt_checkpoint_is_a_clear_error()
    {
        var corrupt = Path.Combine(_root, "corrupt");
        CopyDirectory(_decoder, corrupt);
        File.WriteAllBytes(Path.Combine(corrupt, ModelCheckpoint.WeightsFile), [1, 2, 3, 4, 5]);
        Assert.That(async () => await Cli("generate", "--model", corrupt, "--prompt", "the", "--device", "cpu"),
            Throws.TypeOf<TextSslException>().With.Message.Contains("corrupt"));
    }

    // The CLI prints an option error with its own flags (CliHost renders OptionException through OptionFlags).
    [TestCase("--top-p", "1.5", "top-p")]
    [TestCase("--top-k", "0", "top-k")]
    [TestCase("--temperature", "-1", "temperature")]
    [TestCase("--temperature", "NaN", "--temperature")]
    [TestCase("--window-keep", "0", "--window-keep")]
    [TestCase("--stop", "", "--stop")]
    public void Invalid_sampling_parameters_are_clear_errors(string option, string value, string named)
    {
        var ex = Assert.ThrowsAsync<OptionException>(async () => await Cli("generate", "--model", _decoder, "--prompt", "the", "--device", "cpu", option, value));
        Assert.That(ex!.MessageWith(TextSSL.Cli.OptionFlags.For), Does.Contain(named));
    }

    [Test]
    public void No_prompt_is_a_clear_error() =>
        Assert.That(async () => await Cli("generate", "--model", _decoder, "--device", "cpu"),
            Throws.TypeOf<TextSslException>().With.Message.Contains("--prompt"));

    [Test]
    public async Task Fill_mask_prints_candidates_with_probabilities()
    {
        var (code, output, _) = await Cli("fill-mask", "--model", _encoder, "the [MASK]at", "--top-k", "3", "--device", "cpu", "--json");
        Assert.That(code, Is.Zero);
        using var json = JsonDocument.Parse(output);
        var candidates = json.RootElement[0].GetProperty("candidates");
        Assert.That(candidates.GetArrayLength(), Is.EqualTo(3));
        var p = candidates.EnumerateArray().Select(c => c.GetProperty("probability").GetDouble()).ToList();
        Assert.That(p, Is.Ordered.Descending);
        Assert.That(p.Sum(), Is.GreaterThan(0).And.LessThanOrEqualTo(1));
    }

    [Test]
    public void Fill_mask_without_a_mask_is_a_clear_error() =>
        Assert.That(async () => await Cli("fill-mask", "--model", _encoder, "the cat", "--device", "cpu"),
            Throws.TypeOf<TextSslException>().With.Message.Contains("no mask"));

    [Test]
    public void Stop_strings_understand_escapes() =>
        Assert.That(GenerateCommand.Unescape(@"a\nb\tc\\d\q"), Is.EqualTo("a\nb\tc\\d\\q"));

    private static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var f in Directory.GetFiles(from)) File.Copy(f, Path.Combine(to, Path.GetFileName(f)));
        foreach (var d in Directory.GetDirectories(from)) CopyDirectory(d, Path.Combine(to, Path.GetFileName(d)));
    }
}
