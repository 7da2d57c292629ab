using System.CommandLine;
using Spectre.Console;
using TextSSL.Interop;

namespace TextSSL.Cli.Commands;

/// <summary><c>textssl export</c>: a checkpoint as a Hugging Face model directory.</summary>
internal static class ExportCommand
{
    public static Command Create()
    {
        var command = new Command("export",
            "Write a checkpoint in another toolkit's format. --format hf writes a Hugging Face directory that transformers loads with " +
            "AutoModelForCausalLM / AutoModelForMaskedLM.from_pretrained: a decoder becomes GPT2LMHeadModel (config.json, model.safetensors, " +
            "generation_config.json), an encoder XLMRobertaXLForMaskedLM, and the checkpoint's tokenizer is copied into textssl-tokenizer/. " +
            "Rotary positions are refused. " +
            "The output directory must be new, empty, or an earlier export (then it is replaced).");
        var model = new Option<string>("--model") { Description = "A checkpoint directory, or a run directory (its best/, else last/).", Required = true };
        var format = new Option<string>("--format") { Description = "Output format: hf (Hugging Face transformers).", DefaultValueFactory = _ => "hf" };
        format.AcceptOnlyFromAmong("hf");
        var output = new Option<string>("--out") { Description = "The directory to write.", Required = true };
        foreach (var o in new Option[] { model, format, output }) command.Options.Add(o);
        command.SetAction((pr, ct) =>
        {
            var r = HuggingFaceExport.Export(pr.GetValue(model)!, pr.GetValue(output)!, ct);
            AnsiConsole.MarkupLine($"exported {Markup.Escape(r.Architecture)} to [bold]{Markup.Escape(r.Directory)}[/]: {Markup.Escape(string.Join(", ", r.Files))}");
            foreach (var note in r.Notes) AnsiConsole.MarkupLine($"[yellow]note:[/] {Markup.Escape(note)}");
            return Task.FromResult(0);
        });
        return command;
    }
}
