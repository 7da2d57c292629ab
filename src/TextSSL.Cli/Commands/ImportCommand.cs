using System.CommandLine;
using Spectre.Console;
using TextSSL.Interop;

namespace TextSSL.Cli.Commands;

/// <summary><c>textssl import</c>: a Hugging Face model directory as a TextSSL checkpoint.</summary>
internal static class ImportCommand
{
    public static Command Create()
    {
        var command = new Command("import",
            "Read another toolkit's model into a TextSSL checkpoint that generate, eval, probe, embed, fill-mask and train use. --format hf reads a " +
            "Hugging Face directory: config.json (model_type gpt2 as a decoder, or xlm-roberta-xl, the pre-LayerNorm encoder TextSSL's export writes, " +
            "as an encoder), model.safetensors or shards listed in model.safetensors.index.json (fp32, fp16 or bf16, converted to fp32) and the " +
            "tokenizer: tokenizer.json (byte-level BPE or WordPiece), else vocab.json + merges.txt, else an export's textssl-tokenizer/. " +
            "train --init-from reads such a directory directly.");
        var source = new Argument<string>("directory") { Description = "The Hugging Face model directory." };
        var format = new Option<string>("--format") { Description = "Input format: hf (Hugging Face transformers).", DefaultValueFactory = _ => "hf" };
        format.AcceptOnlyFromAmong("hf");
        var output = new Option<string>("--out") { Description = "The checkpoint directory to write (new, empty, or a TextSSL checkpoint to replace).", Required = true };
        var approximate = new Option<bool>("--allow-approximate-gelu")
        {
            Description = "Import a model whose activation is GELU's tanh approximation (gelu_new, as in OpenAI's GPT-2) and run it with the exact GELU; logits then differ slightly.",
        };
        command.Arguments.Add(source);
        foreach (var o in new Option[] { format, output, approximate }) command.Options.Add(o);
        command.SetAction((pr, ct) =>
        {
            var r = HuggingFaceImport.Import(pr.GetValue(source)!, pr.GetValue(output)!,
                new HuggingFaceImportOptions { AllowApproximateGelu = pr.GetValue(approximate) }, ct);
            var m = r.Model;
            var family = m.Kind == TextSSL.Modeling.ModelKind.Encoder ? "an XLM-RoBERTa-XL encoder" : "a GPT-2 decoder";
            AnsiConsole.MarkupLine($"imported {family} ({m.Layers} layers, {m.Heads} heads, {m.Dim} dims, {m.VocabSize} ids, {m.BlockSize} positions) " +
                                   $"with a {Markup.Escape(r.Tokenizer)} tokenizer to [bold]{Markup.Escape(r.Checkpoint)}[/]");
            foreach (var note in r.Notes) AnsiConsole.MarkupLine($"[yellow]note:[/] {Markup.Escape(note)}");
            return Task.FromResult(0);
        });
        return command;
    }
}
