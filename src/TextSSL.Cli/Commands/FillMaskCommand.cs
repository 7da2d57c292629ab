using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Spectre.Console;
using TextSSL.Modeling;
using TextSSL.Runtime;

namespace TextSSL.Cli.Commands;

/// <summary><c>textssl fill-mask</c>: the most probable tokens for each mask of a text, from an encoder checkpoint.</summary>
internal static class FillMaskCommand
{
    public static Command Create()
    {
        OptionFlags.Register("ReplaceUnknownWith", "--replace-unknown");
        var text = new Argument<string>("text") { Description = "Text with one or more mask tokens, e.g. \"The [MASK] rose over the sea.\" (the tokenizer's mask string)." };
        var model = new Option<string>("--model", "-m") { Description = "Encoder (masked-LM) checkpoint directory, or a training run's output directory.", Required = true };
        var topK = new Option<int>("--top-k", "-k") { Description = "Candidates per mask.", DefaultValueFactory = _ => 5 };
        var device = CommonOptions.Device();
        var json = new Option<bool>("--json") { Description = "Print the candidates as JSON instead of a table." };
        var replace = new Option<string?>("--replace-unknown") { Description = "Replace characters the tokenizer never saw with this text (\"\" drops them) instead of failing." };
        var command = new Command("fill-mask", "Predict masked tokens with an encoder (masked-LM) checkpoint: for each mask, the top-k tokens with their " +
                                               "probabilities and the text with the mask filled in. Special tokens are never offered.");
        command.Arguments.Add(text);
        foreach (var o in new Option[] { model, topK, device, json, replace }) command.Options.Add(o);
        command.SetAction(pr => Run(pr.GetValue(model)!, pr.GetValue(text)!, pr.GetValue(topK), pr.GetValue(device)!, pr.GetValue(json),
            pr.GetValue(replace), pr.InvocationConfiguration.Output));
        return command;
    }

    internal static int Run(string modelPath, string text, int topK, string deviceSpec, bool json, string? replaceUnknown, TextWriter output)
    {
        if (topK < 1) throw new TextSslException($"--top-k must be at least 1 (got {topK}).");
        var device = DeviceSelector.Resolve(deviceSpec);
        using var loaded = PretrainedModel.Load(modelPath, device);
        var predictions = loaded.FillMask(text, topK, replaceUnknown);
        if (json)
        {
            output.WriteLine(JsonSerializer.Serialize(predictions.Select(p => new
            {
                mask_index = p.MaskIndex,
                position = p.Position,
                candidates = p.Candidates.Select(c => new { token = c.Token, token_id = c.TokenId, probability = Math.Round(c.Probability, 6), sequence = c.Sequence }),
            }), TextSSL.ReadableJson.Plain));
            return 0;
        }
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output) });
        foreach (var p in predictions)
        {
            var table = new Table().Border(TableBorder.Rounded)
                .Title(Markup.Escape(predictions.Count > 1 ? $"mask {p.MaskIndex + 1} of {predictions.Count}" : "mask"))
                .AddColumn("#").AddColumn("token").AddColumn(new TableColumn("probability").RightAligned()).AddColumn("sequence");
            for (var i = 0; i < p.Candidates.Count; i++)
            {
                var c = p.Candidates[i];
                table.AddRow((i + 1).ToString(CultureInfo.InvariantCulture), Markup.Escape(Visible(c.Token)),
                    c.Probability.ToString("F4", CultureInfo.InvariantCulture), Markup.Escape(c.Sequence.ReplaceLineEndings(" ")));
            }
            console.Write(table);
        }
        return 0;
    }

    /// <summary>Shows whitespace tokens so a space or newline candidate is not an empty cell.</summary>
    private static string Visible(string token) => token switch
    {
        " " => "␠ (space)",
        "\n" => "⏎ (newline)",
        "\t" => "⇥ (tab)",
        _ => token,
    };
}
