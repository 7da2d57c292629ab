using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using TextSSL.Generation;
using TextSSL.Modeling;
using TextSSL.Runtime;

namespace TextSSL.Cli.Commands;

/// <summary><c>textssl generate</c>: sample text from a trained decoder checkpoint.</summary>
internal static class GenerateCommand
{
    /// <summary>What the command line asked for.</summary>
    internal sealed record Settings(
        string Model,
        IReadOnlyList<string> Prompts,
        string? PromptFile,
        GenerationOptions Options,
        string Device,
        bool Stream,
        bool Json,
        bool Interactive);

    public static Command Create()
    {
        // GenerationOptions properties whose flags are not their kebab-case names.
        OptionFlags.Register(nameof(GenerationOptions.StopSequences), "--stop");
        OptionFlags.Register(nameof(GenerationOptions.SlidingWindowKeep), "--window-keep");
        OptionFlags.Register(nameof(GenerationOptions.ReplaceUnknownWith), "--replace-unknown");
        var model = new Option<string>("--model", "-m") { Description = "Checkpoint directory, or a training run's output directory (its best/ or last/ is used).", Required = true };
        var prompt = new Option<string[]>("--prompt", "-p") { Description = "Prompt text; repeat for several prompts (generated as a batch). An empty prompt starts from the end-of-text token." };
        var promptFile = new Option<string?>("--prompt-file") { Description = "Read the prompt from this UTF-8 file (used as it is, trailing newline included)." };
        var maxNew = new Option<int>("--max-new-tokens", "-n") { Description = "Most tokens to generate per completion.", DefaultValueFactory = _ => 256 };
        var temperature = new Option<double>("--temperature", "-t") { Description = "Sampling temperature: 0 is greedy, below 1 more conservative, above 1 more random.", DefaultValueFactory = _ => 0.8 };
        var topK = new Option<int?>("--top-k") { Description = "Sample only among the k most likely tokens (at least 1)." };
        var topP = new Option<double?>("--top-p") { Description = "Nucleus sampling: only the most likely tokens whose probabilities reach p, in (0, 1]." };
        var penalty = new Option<double>("--repetition-penalty") { Description = "Penalise tokens already in the context (1 = off; 1.1–1.3 discourages loops).", DefaultValueFactory = _ => 1.0 };
        var stop = new Option<string[]>("--stop") { Description = @"Stop a completion before this string (repeatable; may span tokens). Escapes \n, \t and \\ are understood." };
        var seed = new Option<long?>("--seed") { Description = "Random seed; the same seed gives the same text on the same device. Default: random (printed)." };
        var samples = new Option<int>("--num-samples") { Description = "Completions per prompt (generated together as one batch).", DefaultValueFactory = _ => 1 };
        var device = CommonOptions.Device();
        var threads = CommonOptions.Threads();
        var stream = new Option<bool>("--stream") { Description = "Write text as it is produced (completions one after another)." };
        var json = new Option<bool>("--json") { Description = "Print one JSON object: prompts, completions, token counts, time to first token, tokens/s." };
        var interactive = new Option<bool>("--interactive", "-i") { Description = "A prompt loop that keeps the model loaded: type a prompt, get a streamed completion; :quit or end of input leaves." };
        var noCache = new Option<bool>("--no-cache") { Description = "Recompute the whole context each step instead of using the key/value cache (same tokens, much slower; for comparison)." };
        var window = new Option<int?>("--window-keep") { Description = "Tokens kept when the context window is full and slides (default: half the block size)." };
        var noEot = new Option<bool>("--ignore-end-of-text") { Description = "Keep going past the end-of-text token (it appears in the text) instead of stopping there." };
        var replace = new Option<string?>("--replace-unknown") { Description = "Replace prompt characters the tokenizer never saw with this text (\"\" drops them) instead of failing." };

        var command = new Command("generate", "Generate text with a trained decoder (next-token) checkpoint: greedy or sampled (temperature, top-k, top-p, " +
                                              "repetition penalty), stop sequences, seeds, several prompts or samples as one batch, a key/value cache with a " +
                                              "sliding window when the context fills. Prints the prompt and its completion, then timings on stderr.");
        foreach (var o in new Option[] { model, prompt, promptFile, maxNew, temperature, topK, topP, penalty, stop, seed, samples, device, threads, stream, json, interactive, noCache, window, noEot, replace })
            command.Options.Add(o);
        command.SetAction((pr, ct) =>
        {
            CommonOptions.ApplyThreads(pr.GetValue(threads));
            var options = new GenerationOptions
            {
                MaxNewTokens = pr.GetValue(maxNew),
                Temperature = pr.GetValue(temperature),
                TopK = pr.GetValue(topK),
                TopP = pr.GetValue(topP),
                RepetitionPenalty = pr.GetValue(penalty),
                StopSequences = (pr.GetValue(stop) ?? []).Select(Unescape).ToArray(),
                StopAtEndOfText = !pr.GetValue(noEot),
                Seed = pr.GetValue(seed),
                NumSamples = pr.GetValue(samples),
                UseKvCache = !pr.GetValue(noCache),
                SlidingWindowKeep = pr.GetValue(window),
                ReplaceUnknownWith = pr.GetValue(replace),
            };
            var settings = new Settings(pr.GetValue(model)!, pr.GetValue(prompt) ?? [], pr.GetValue(promptFile), options,
                pr.GetValue(device)!, pr.GetValue(stream), pr.GetValue(json), pr.GetValue(interactive));
            var config = pr.InvocationConfiguration;
            return RunAsync(settings, config.Output, config.Error, Console.In, ct);
        });
        return command;
    }

    /// <summary>Runs the command; separate from parsing so tests can drive it with their own writers and input.</summary>
    internal static async Task<int> RunAsync(Settings s, TextWriter output, TextWriter error, TextReader input, CancellationToken ct)
    {
        var prompts = ReadPrompts(s);
        if (s.Json && (s.Stream || s.Interactive)) throw new TextSslException("--json prints one object at the end; it cannot be combined with --stream or --interactive.");
        s.Options.Validate();
        var device = DeviceSelector.Resolve(s.Device);
        using var loaded = PretrainedModel.Load(s.Model, device);
        var generator = loaded.CreateGenerator();

        if (s.Interactive)
        {
            if (prompts.Count > 0) await StreamAsync(generator, prompts, s.Options, output, error, device, ct);
            await ReplAsync(generator, s.Options, output, error, input, device, ct);
            return 0;
        }
        if (prompts.Count == 0)
            throw new TextSslException("no prompt: give --prompt TEXT, --prompt-file FILE, or --interactive for a prompt loop.");
        if (s.Stream)
        {
            await StreamAsync(generator, prompts, s.Options, output, error, device, ct);
            return 0;
        }
        var result = await generator.GenerateAsync(prompts, s.Options, cancellationToken: ct);
        if (s.Json) await output.WriteLineAsync(ToJson(loaded.Directory, device.ToString(), prompts, result));
        else
        {
            for (var i = 0; i < result.Completions.Count; i++)
            {
                if (i > 0) await output.WriteLineAsync(Separator);
                var c = result.Completions[i];
                await output.WriteLineAsync(c.Prompt + c.Text);
            }
            await error.WriteLineAsync(Summary(result, device.ToString()));
        }
        return 0;
    }

    private const string Separator = "---------------";

    private static IReadOnlyList<string> ReadPrompts(Settings s)
    {
        if (s.PromptFile is null) return s.Prompts;
        if (s.Prompts.Count > 0) throw new TextSslException("give either --prompt or --prompt-file, not both.");
        if (!File.Exists(s.PromptFile)) throw new TextSslException($"prompt file '{s.PromptFile}' does not exist.");
        return [File.ReadAllText(s.PromptFile, Encoding.UTF8)];
    }

    /// <summary>Streams each completion in turn; sample k is generated alone with its own sample index, so it equals the batched one.</summary>
    private static async Task StreamAsync(TextGenerator generator, IReadOnlyList<string> prompts, GenerationOptions options,
        TextWriter output, TextWriter error, TorchSharp.torch.Device device, CancellationToken ct)
    {
        var seed = options.Seed ?? Random.Shared.NextInt64();
        // Encode every prompt before printing any, so a bad one fails without leaving half a line behind.
        foreach (var prompt in prompts) PromptEncoder.Encode(generator.Tokenizer, prompt, options.ReplaceUnknownWith);
        var first = true;
        for (var p = 0; p < prompts.Count; p++)
            for (var k = 0; k < options.NumSamples; k++)
            {
                if (!first) await output.WriteLineAsync(Separator);
                first = false;
                await output.WriteAsync(prompts[p]);
                await output.FlushAsync(ct);
                var one = options with { Seed = seed, NumSamples = 1, SampleOffset = options.SampleOffset + k };
                await foreach (var e in generator.StreamAsync([prompts[p]], one, ct))
                {
                    if (e is TokenGenerated t && t.Text.Length > 0)
                    {
                        await output.WriteAsync(t.Text);
                        await output.FlushAsync(ct);
                    }
                    else if (e is GenerationCompleted done)
                    {
                        await output.WriteLineAsync();
                        await error.WriteLineAsync(Summary(done.Result, device.ToString()));
                    }
                }
            }
    }

    private static async Task ReplAsync(TextGenerator generator, GenerationOptions options, TextWriter output, TextWriter error,
        TextReader input, TorchSharp.torch.Device device, CancellationToken ct)
    {
        await error.WriteLineAsync("interactive: type a prompt and press Enter; an empty line repeats the last prompt; :quit or end of input leaves.");
        string? last = null;
        while (!ct.IsCancellationRequested)
        {
            await error.WriteAsync("> ");
            await error.FlushAsync(ct);
            var line = await input.ReadLineAsync(ct);
            if (line is null || line.Trim() is ":quit" or ":q" or ":exit") break;
            if (line.Length == 0)
            {
                if (last is null) continue;
                line = last;
            }
            last = line;
            try
            {
                await StreamAsync(generator, [line], options, output, error, device, ct);
            }
            catch (TextSslException ex)
            {
                // A bad prompt (an unknown character, say) should not end the session.
                await error.WriteLineAsync($"error: {ex.Message}");
            }
        }
    }

    private static string Summary(GenerationResult r, string device) =>
        string.Create(CultureInfo.InvariantCulture,
            $"[{r.GeneratedTokens} tokens in {r.Elapsed.TotalSeconds:F2} s · first token after {r.TimeToFirstToken.TotalMilliseconds:F0} ms · " +
            $"{r.DecodeTokensPerSecond:F1} tokens/s after it · seed {r.Seed} · kv-cache {(r.UsedKvCache ? "on" : "off")} · {device}]");

    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    internal static string ToJson(string model, string device, IReadOnlyList<string> prompts, GenerationResult r) => JsonSerializer.Serialize(new
    {
        model,
        device,
        seed = r.Seed,
        kv_cache = r.UsedKvCache,
        prompt_tokens = r.PromptTokens,
        generated_tokens = r.GeneratedTokens,
        time_to_first_token_ms = Math.Round(r.TimeToFirstToken.TotalMilliseconds, 2),
        elapsed_ms = Math.Round(r.Elapsed.TotalMilliseconds, 2),
        tokens_per_second = Math.Round(r.TokensPerSecond, 2),
        decode_tokens_per_second = Math.Round(r.DecodeTokensPerSecond, 2),
        prompts,
        completions = r.Completions.Select(c => new
        {
            prompt_index = c.PromptIndex,
            sample_index = c.SampleIndex,
            prompt = c.Prompt,
            text = c.Text,
            prompt_tokens = c.PromptTokens,
            generated_tokens = c.TokenIds.Count,
            finish_reason = c.FinishReason.ToString().ToLowerInvariant(),
            stop_sequence = c.StopSequence,
        }).ToArray(),
    }, JsonOptions);

    /// <summary>Turns the escapes \n, \t, \r and \\ into their characters, so stop strings can hold newlines.</summary>
    internal static string Unescape(string s)
    {
        if (!s.Contains('\\')) return s;
        var sb = new StringBuilder(s.Length);
        for (var i = 0; i < s.Length; i++)
        {
            if (s[i] != '\\' || i + 1 == s.Length) { sb.Append(s[i]); continue; }
            var next = s[++i];
            sb.Append(next switch { 'n' => '\n', 't' => '\t', 'r' => '\r', '\\' => '\\', _ => '\0' });
            if (next is not ('n' or 't' or 'r' or '\\')) { sb.Length--; sb.Append('\\').Append(next); }
        }
        return sb.ToString();
    }
}
