using System.CommandLine;
using System.Globalization;
using Spectre.Console;
using TextSSL.Generation;
using TextSSL.Modeling;
using TextSSL.Runtime;
using TextSSL.Tokenization;
using TorchSharp;

namespace TextSSL.Cli.Commands;

/// <summary><c>textssl bench generate</c>: decoding speed with the key/value cache against recomputing the whole context.</summary>
internal static class BenchGenerateCommand
{
    public static Command Create()
    {
        var preset = new Option<string>("--preset") { Description = $"Model shape to time, untrained ({string.Join(", ", TransformerConfig.PresetNames)}); weights do not change the speed.", DefaultValueFactory = _ => "char-medium" };
        var model = new Option<string?>("--model", "-m") { Description = "Time this decoder checkpoint instead of an untrained preset." };
        var tokens = new Option<int>("--new-tokens", "-n") { Description = "Tokens to generate per run.", DefaultValueFactory = _ => 256 };
        var prompt = new Option<string>("--prompt") { Description = "The prompt (short, so decoding dominates).", DefaultValueFactory = _ => "Call me Ishmael. " };
        var devices = new Option<string>("--devices") { Description = "Where to time: 'auto' (CPU, and CUDA when available), 'cpu', 'cuda' or 'cuda:N'.", DefaultValueFactory = _ => "auto" };
        var repeats = new Option<int>("--repeats") { Description = "Timed runs with the cache (median reported); the slow recompute mode runs --recompute-repeats times.", DefaultValueFactory = _ => 3 };
        var recomputeRepeats = new Option<int>("--recompute-repeats") { Description = "Timed runs without the cache.", DefaultValueFactory = _ => 1 };
        var threads = CommonOptions.Threads();
        var command = new Command("generate", "Time text generation: tokens/s and time to first token with the key/value cache and with the whole context " +
                                              "recomputed every step, and the speed-up (after one untimed warm-up run each). Default: char-medium, 256 tokens.");
        foreach (var o in new Option[] { preset, model, tokens, prompt, devices, repeats, recomputeRepeats, threads }) command.Options.Add(o);
        command.SetAction((pr, ct) =>
        {
            CommonOptions.ApplyThreads(pr.GetValue(threads));
            return Task.FromResult(Run(pr.GetValue(preset)!, pr.GetValue(model), pr.GetValue(tokens), pr.GetValue(prompt)!, pr.GetValue(devices)!,
                pr.GetValue(repeats), pr.GetValue(recomputeRepeats), pr.InvocationConfiguration.Output, ct));
        });
        return command;
    }

    private sealed record Timing(string Device, string Mode, double FirstTokenMs, double DecodeTokensPerSecond, double TotalSeconds, int Tokens);

    internal static int Run(string preset, string? modelPath, int newTokens, string prompt, string devices, int repeats, int recomputeRepeats,
        TextWriter output, CancellationToken ct)
    {
        if (newTokens is < 1 or > GenerationOptions.MaxNewTokensLimit)
            throw new TextSslException($"--new-tokens must be between 1 and {GenerationOptions.MaxNewTokensLimit} (got {newTokens}).");
        if (repeats < 1 || recomputeRepeats < 1) throw new TextSslException("--repeats and --recompute-repeats must be at least 1.");
        TorchRuntime.EnsureLoaded();
        var targets = devices.Trim().ToLowerInvariant() == "auto"
            ? (TorchSharp.torch.cuda.is_available() ? new[] { "cpu", "cuda" } : ["cpu"])
            : [devices];
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output) });
        var timings = new List<Timing>();
        foreach (var spec in targets)
        {
            var device = DeviceSelector.Resolve(spec);
            var (model, tokenizer, name) = Load(preset, modelPath, device);
            using var _ = model;
            var generator = new TextGenerator(model, tokenizer);
            console.MarkupLine($"[grey]{Markup.Escape(name)} ({model.ParameterCount / 1e6:F2} M parameters, block {model.Config.BlockSize}) on {Markup.Escape(device.ToString())}, " +
                               $"{TorchSharp.torch.get_num_threads()} CPU threads, {newTokens} new tokens after a {PromptEncoder.Encode(tokenizer, prompt).Length}-token prompt[/]");
            foreach (var (cache, runs) in new[] { (true, repeats), (false, recomputeRepeats) })
            {
                var options = new GenerationOptions { MaxNewTokens = newTokens, Seed = 1, StopAtEndOfText = false, UseKvCache = cache };
                generator.Generate(prompt, options with { MaxNewTokens = Math.Min(8, newTokens) }, ct);   // warm-up: allocations, kernels
                var results = new List<GenerationResult>();
                for (var i = 0; i < runs; i++)
                {
                    results.Add(generator.Generate(prompt, options, ct));
                    console.MarkupLine($"[grey]  {(cache ? "kv-cache" : "recompute")} run {i + 1}/{runs}: {results[^1].Elapsed.TotalSeconds:F2} s[/]");
                }
                timings.Add(new Timing(device.ToString(), cache ? "kv-cache" : "recompute",
                    Stats.Median(results.Select(r => r.TimeToFirstToken.TotalMilliseconds)),
                    Stats.Median(results.Select(r => r.DecodeTokensPerSecond)),
                    Stats.Median(results.Select(r => r.Elapsed.TotalSeconds)),
                    results[0].GeneratedTokens));
            }
        }

        var table = new Table().Border(TableBorder.Rounded).AddColumn("device").AddColumn("mode")
            .AddColumn(new TableColumn("first token (ms)").RightAligned()).AddColumn(new TableColumn("tokens/s").RightAligned())
            .AddColumn(new TableColumn("total (s)").RightAligned()).AddColumn(new TableColumn("speed-up").RightAligned());
        foreach (var t in timings)
        {
            var baseline = timings.First(b => b.Device == t.Device && b.Mode == "recompute");
            var speedUp = t.Mode == "kv-cache" ? $"{baseline.TotalSeconds / t.TotalSeconds:F1}×" : "1.0×";
            table.AddRow(t.Device, t.Mode, F(t.FirstTokenMs, 1), F(t.DecodeTokensPerSecond, 1), F(t.TotalSeconds, 2), speedUp);
        }
        console.Write(table);
        console.MarkupLine("[grey]tokens/s counts the tokens after the first per second after it; speed-up is the ratio of total times for the same tokens.[/]");
        return 0;
    }

    private static (Transformer Model, TextTokenizer Tokenizer, string Name) Load(string preset, string? modelPath, TorchSharp.torch.Device device)
    {
        if (modelPath is not null)
        {
            var loaded = PretrainedModel.Load(modelPath, device); // the caller disposes the model, which is all the handle holds
            return (loaded.Model, loaded.Tokenizer, loaded.Directory);
        }
        // Printable ASCII and newline: a character vocabulary like a real char model's; untrained weights time the same.
        var alphabet = "\n" + new string(Enumerable.Range(32, 95).Select(c => (char)c).ToArray());
        var tokenizer = CharTokenizer.Train(alphabet);
        TorchSharp.torch.manual_seed(0);
        var model = new Transformer(TransformerConfig.Preset(preset, ModelKind.Decoder, tokenizer.VocabSize));
        model.to(device);
        model.eval();
        return (model, tokenizer, $"{preset} (untrained)");
    }

    private static string F(double v, int digits) => v.ToString("F" + digits.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
}
