using System.CommandLine;
using System.CommandLine.Parsing;
using System.Text.Json;
using System.Text.Json.Nodes;
using TextSSL.Training;

namespace TextSSL.Cli.Commands;

/// <summary>
/// <c>textssl train --config FILE</c>: a run's <c>config.json</c> is the base; only the flags typed on the command line
/// (not their defaults) replace its values.
/// </summary>
internal static class TrainConfigFile
{
    // Each train flag → its place in the options' JSON (snake_case of the property names).
    private static readonly Dictionary<string, string[]> Places = new()
    {
        ["--task"] = [P(nameof(PretrainingOptions.Task))],
        ["--data"] = [P(nameof(PretrainingOptions.Data))],
        ["--tokenizer"] = [P(nameof(PretrainingOptions.Tokenizer))],
        ["--val-fraction"] = [P(nameof(PretrainingOptions.ValidationFraction))],
        ["--sampling"] = [P(nameof(PretrainingOptions.Sampling))],
        ["--out"] = [P(nameof(PretrainingOptions.OutputDirectory))],
        ["--resume"] = [P(nameof(PretrainingOptions.Resume))],
        ["--stop-after"] = [P(nameof(PretrainingOptions.StopAfter))],
        ["--masking"] = [P(nameof(PretrainingOptions.Masking)), P(nameof(Pretext.MaskingOptions.Unit))],
        ["--mask-prob"] = [P(nameof(PretrainingOptions.Masking)), P(nameof(Pretext.MaskingOptions.Probability))],
        ["--preset"] = Model(nameof(ModelShapeOptions.Preset)),
        ["--context"] = Model(nameof(ModelShapeOptions.Context)),
        ["--positions"] = Model(nameof(ModelShapeOptions.Positions)),
        ["--dropout"] = Model(nameof(ModelShapeOptions.Dropout)),
        ["--pad-vocab"] = Model(nameof(ModelShapeOptions.PadVocabTo)),
        ["--untied-head"] = Model(nameof(ModelShapeOptions.UntiedHead)),
        ["--steps"] = Opt(nameof(OptimizationOptions.Steps)),
        ["--batch-size"] = Opt(nameof(OptimizationOptions.BatchSize)),
        ["--block-size"] = Opt(nameof(OptimizationOptions.BlockSize)),
        ["--grad-accum"] = Opt(nameof(OptimizationOptions.GradAccum)),
        ["--lr"] = Opt(nameof(OptimizationOptions.LearningRate)),
        ["--min-lr"] = Opt(nameof(OptimizationOptions.MinLearningRate)),
        ["--warmup"] = Opt(nameof(OptimizationOptions.Warmup)),
        ["--weight-decay"] = Opt(nameof(OptimizationOptions.WeightDecay)),
        ["--beta1"] = Opt(nameof(OptimizationOptions.Beta1)),
        ["--beta2"] = Opt(nameof(OptimizationOptions.Beta2)),
        ["--clip"] = Opt(nameof(OptimizationOptions.Clip)),
        ["--optimizer"] = Opt(nameof(OptimizationOptions.Optimizer)),
        ["--eval-every"] = Eval(nameof(EvaluationOptions.EvalEvery)),
        ["--eval-batches"] = Eval(nameof(EvaluationOptions.EvalBatches)),
        ["--log-every"] = Eval(nameof(EvaluationOptions.LogEvery)),
        ["--peak-tflops"] = Eval(nameof(EvaluationOptions.PeakTflops)),
        ["--device"] = Rt(nameof(RuntimeOptions.Device)),
        ["--dtype"] = Rt(nameof(RuntimeOptions.Dtype)),
        ["--threads"] = Rt(nameof(RuntimeOptions.Threads)),
        ["--cpu-matmul"] = Rt(nameof(RuntimeOptions.CpuMatmul)),
        ["--seed"] = Rt(nameof(RuntimeOptions.Seed)),
    };

    private static string P(string name) => JsonNamingPolicy.SnakeCaseLower.ConvertName(name);
    private static string[] Model(string name) => [P(nameof(PretrainingOptions.Model)), P(name)];
    private static string[] Opt(string name) => [P(nameof(PretrainingOptions.Optimization)), P(name)];
    private static string[] Eval(string name) => [P(nameof(PretrainingOptions.Evaluation)), P(name)];
    private static string[] Rt(string name) => [P(nameof(PretrainingOptions.Runtime)), P(name)];

    /// <summary>Adds <c>--config</c> to <paramref name="command"/>; <paramref name="data"/> is then required only without it.</summary>
    public static Option<string?> AddOption(Command command, Option<string> data)
    {
        var config = new Option<string?>("--config")
        {
            Description = $"A run's {RunConfig.FileName} (every run writes one into its --out): train with its settings; flags typed here override it.",
        };
        command.Options.Add(config);
        data.Required = false;
        command.Validators.Add(r =>
        {
            if (r.GetResult(data) is null && r.GetResult(config) is null) r.AddError("Option '--data' is required (or give --config FILE).");
        });
        return config;
    }

    /// <summary>
    /// The options of <paramref name="path"/> with the values of the flags the user typed (taken from
    /// <paramref name="fromFlags"/>, the options the command line alone gives) put over them.
    /// </summary>
    public static PretrainingOptions Apply(string path, PretrainingOptions fromFlags, ParseResult parse)
    {
        var baseJson = RunConfig.LoadJson(path);
        var flagsJson = RunConfig.ToJson(fromFlags);
        foreach (var option in parse.CommandResult.Command.Options)
        {
            if (parse.GetResult(option) is not { Implicit: false } || !Places.TryGetValue(option.Name, out var place)) continue;
            JsonNode? from = flagsJson;
            foreach (var name in place) from = from?[name];
            var to = baseJson;
            foreach (var name in place[..^1]) to = to[name] as JsonObject ?? (JsonObject)(to[name] = new JsonObject());
            to[place[^1]] = from?.DeepClone();
        }
        return RunConfig.FromJson(baseJson, path);
    }
}
