using System.CommandLine;
using System.Text.Json.Nodes;
using TextSSL.Cli;
using TextSSL.Corpora;
using TextSSL.Prep;
using TextSSL.Probing;
using TextSSL.Runtime;
using TextSSL.Tests.Probing;

namespace TextSSL.Tests.Cli;

/// <summary>
/// Probe and prep build record their resolved configuration as config.json; <c>--config</c> repeats the run and typed
/// options override it; a wrong, malformed or foreign file is one line and exit 1.
/// </summary>
public class ConfigFileTests
{
    private string _dir = "";

    [OneTimeSetUp]
    public void LoadTorch() => TorchRuntime.EnsureLoaded();

    [SetUp]
    public void MakeDir() => _dir = ProbeFixtures.TempDir();

    [TearDown]
    public void RemoveDir() => Directory.Delete(_dir, true);

    private string At(string name) => Path.Combine(_dir, name);

    private static async Task<(int Code, string Error)> Run(bool prep, params string[] args)
    {
        var (originalError, originalOut) = (Console.Error, Console.Out);
        var error = new StringWriter();
        Console.SetError(error);
        Console.SetOut(new StringWriter());
        try
        {
            RootCommand root = prep ? PrepApp.CreateRootCommand() : CliApp.CreateRootCommand();
            return (await CliHost.RunAsync(root, args), error.ToString());
        }
        finally
        {
            Console.SetError(originalError);
            Console.SetOut(originalOut);
        }
    }

    private static void AssertOneLineError((int Code, string Error) result, string expected)
    {
        Assert.That(result.Code, Is.EqualTo(1), result.Error);
        Assert.That(result.Error, Does.Contain(expected));
        Assert.That(result.Error, Does.Not.Contain("   at "), "a stack trace was printed");
        Assert.That(result.Error.TrimEnd('\n').Split('\n'), Has.Length.EqualTo(1), "not one line: " + result.Error);
    }

    // the config with its own output directory taken out, to compare two runs' configurations
    private static string Without(string configPath, string outDir) => File.ReadAllText(configPath).Replace(outDir, "OUT");

    private string[] ProbeArgs(string outDir)
    {
        var rows = ProbeFixtures.TwoTopics(12, seed: 4).Select((e, i) => (e.Text, e.Label, (string?)(i < 16 ? "train" : "test")));
        var csv = ProbeFixtures.WriteCsv(At("it's topics.csv"), rows, withSplit: true);
        var model = File.Exists(Path.Combine(At("ckpt"), "model.json")) ? At("ckpt") : ProbeFixtures.SaveTinyCheckpoint(At("ckpt"));
        return ["probe", "--model", model, "--data", csv, "--samples-per-label", "2,all", "--experiments", "2", "--baselines", "tfidf",
                "--features", "pretrained+tfidf", "--layer", "mean:2", "--seed", "5", "--cache", "none", "--device", "cpu", "--out", outDir];
    }

    [Test]
    public async Task A_probe_repeated_from_its_config_gives_the_same_results_and_typed_options_override_it()
    {
        var first = At("first");
        var result = await Run(false, ProbeArgs(first));
        Assert.That(result.Code, Is.Zero, result.Error);
        var config = Path.Combine(first, ConfigFile.FileName);
        var text = File.ReadAllText(config);
        Assert.That(text, Does.Contain("\"kind\": \"probe\"").And.Contain("it's topics.csv"), "readable: no \\u0027 escapes");
        var saved = ProbeRunOptions.Load(config);
        Assert.That((saved.Probe.Experiments, saved.Probe.Seed, saved.Split.Seed, saved.Cache, saved.Device), Is.EqualTo((2, 5, 5, "none", "cpu")));
        Assert.That(saved.Probe.SamplesPerLabel, Is.EqualTo(new int?[] { 2, null }));
        Assert.That(saved.Probe.Baselines, Is.EqualTo(new[] { ProbeMethod.Tfidf }));
        Assert.That(saved.Probe.FeatureSets, Does.Contain(ProbeMethod.PretrainedTfidf));
        Assert.That(saved.Probe.Features.EffectiveLayer.ToString(), Is.EqualTo("mean:2"));
        Assert.That(saved.Columns, Is.EqualTo(new LabelledColumns()), "defaults are recorded too");

        var again = At("again");
        result = await Run(false, "probe", "--config", config, "--out", again);
        Assert.That(result.Code, Is.Zero, result.Error);
        Assert.That(Without(Path.Combine(again, ConfigFile.FileName), again), Is.EqualTo(Without(config, first)), "the same resolved configuration");
        Assert.That(File.ReadAllText(Path.Combine(again, "summary.csv")), Is.EqualTo(File.ReadAllText(Path.Combine(first, "summary.csv"))), "the same results");

        var fewer = At("fewer");
        result = await Run(false, "probe", "--config", first, "--experiments", "1", "--out", fewer);
        Assert.That(result.Code, Is.Zero, result.Error);
        var overridden = ProbeRunOptions.Load(fewer);
        Assert.That(overridden.Probe.Experiments, Is.EqualTo(1), "a typed option wins");
        Assert.That((overridden.Probe.Seed, overridden.Probe.Baselines.Single(), overridden.OutputDirectory), Is.EqualTo((5, ProbeMethod.Tfidf, fewer)),
                    "untyped options keep the file's values, not the defaults");
    }

    [Test]
    public async Task A_build_repeated_from_its_config_writes_the_same_corpus_and_typed_options_override_it()
    {
        var input = At("in.txt");
        File.WriteAllLines(input, Enumerable.Range(0, 60).Select(i => $"Line {i}: the cat sat on mat number {i * 7 % 13}, and it's fine."));
        var first = At("first");
        var result = await Run(true, "build", input, "--boundary", "line", "--tokenizer", "char", "--lowercase", "--validation", "0.2", "--dedup", "exact",
                               "--shard-tokens", "500", "--threads", "1", "--out", first);
        Assert.That(result.Code, Is.Zero, result.Error);
        var config = Path.Combine(first, ConfigFile.FileName);
        Assert.That(File.ReadAllText(config), Does.Contain("\"kind\": \"corpus-build\""));
        var saved = BuildRunOptions.Load(config);
        Assert.That((saved.Inputs.Boundary, saved.Cleaning.Lowercase, saved.Split.Validation, saved.Dedup.Exact, saved.Dedup.Near, saved.ShardTokens),
                    Is.EqualTo(((DocumentBoundary?)DocumentBoundary.Line, true, 0.2, true, false, 500L)));
        Assert.That(saved.Inputs.InputPaths, Is.EqualTo(new[] { input }));

        var again = At("again");
        result = await Run(true, "build", "--config", config, "--out", again);
        Assert.That(result.Code, Is.Zero, result.Error);
        Assert.That(Without(Path.Combine(again, ConfigFile.FileName), again), Is.EqualTo(Without(config, first)));
        foreach (var file in Directory.GetFiles(first, "*.bin").Select(Path.GetFileName).Append(CorpusManifest.FileName))
            Assert.That(File.ReadAllBytes(Path.Combine(again, file!)), Is.EqualTo(File.ReadAllBytes(Path.Combine(first, file!))), file);

        var other = At("other");
        result = await Run(true, "build", "--config", first, "--validation", "0.5", "--out", other);
        Assert.That(result.Code, Is.Zero, result.Error);
        var overridden = BuildRunOptions.Load(other);
        Assert.That(overridden.Split.Validation, Is.EqualTo(0.5), "a typed option wins");
        Assert.That((overridden.Cleaning.Lowercase, overridden.Inputs.Boundary, overridden.Dedup.Near), Is.EqualTo((true, (DocumentBoundary?)DocumentBoundary.Line, false)),
                    "untyped options keep the file's values, not the defaults");
    }

    private string Json(string name, string json)
    {
        var path = At(name);
        File.WriteAllText(path, json);
        return path;
    }

    [Test]
    public async Task Bad_config_files_are_one_line_errors()
    {
        var probeConfig = Json("probe.json", """{ "kind": "probe", "model": "m", "data": "d.csv", "output_directory": "o" }""");
        var buildConfig = Json("build.json", """{ "kind": "corpus-build", "tokenizer": "char", "output_directory": "o", "inputs": { "input_paths": ["x.txt"] } }""");
        var trainConfig = Json("train.json", """{ "kind": "pretraining", "output_directory": "o", "data": "x.txt" }""");
        var outDir = At("out");

        AssertOneLineError(await Run(false, "train", "--config", probeConfig, "--out", outDir), "is a probe configuration, not a pretraining one");
        AssertOneLineError(await Run(false, "probe", "--config", trainConfig, "--out", outDir), "is a pretraining configuration, not a probe one");
        AssertOneLineError(await Run(true, "build", "--config", probeConfig, "--out", outDir), "is a probe configuration, not a corpus-build one");
        AssertOneLineError(await Run(false, "probe", "--config", buildConfig, "--out", outDir), "is a corpus-build configuration, not a probe one");
        AssertOneLineError(await Run(false, "probe", "--config", At("missing.json"), "--out", outDir), "does not exist");
        AssertOneLineError(await Run(false, "probe", "--config", _dir, "--out", outDir), "a directory without a config.json");
        AssertOneLineError(await Run(false, "probe", "--config", Json("broken.json", "{ \"kind\": \"probe\", "), "--out", outDir), "cannot read the configuration file");
        AssertOneLineError(await Run(true, "build", "--config", Json("list.json", "[1, 2]"), "--out", outDir), "not a JSON object");
        AssertOneLineError(await Run(false, "probe", "--config", Json("unknown.json", """{ "kind": "probe", "model": "m", "data": "d", "output_directory": "o", "probe": { "experimentz": 3 } }"""), "--out", outDir),
                           "unknown field 'probe.experimentz'");
        AssertOneLineError(await Run(true, "build", "--config", Json("unknown2.json", """{ "kind": "corpus-build", "tokenizer": "char", "output_directory": "o", "shards": 3 }"""), "--out", outDir),
                           "unknown field 'shards'");
        AssertOneLineError(await Run(false, "probe", "--config", Json("type.json", """{ "kind": "probe", "model": "m", "data": "d", "output_directory": "o", "probe": { "experiments": "many" } }"""), "--out", outDir),
                           "at 'probe.experiments'");
        // numbers are checked as the flags' are, before any data or model is read
        AssertOneLineError(await Run(false, "probe", "--config", Json("range.json", """{ "kind": "probe", "model": "m", "data": "d", "output_directory": "o", "probe": { "experiments": 0 } }"""), "--out", outDir),
                           "--experiments must be");
        AssertOneLineError(await Run(false, "probe", "--config", probeConfig, "--experiments", "0", "--out", outDir), "--experiments must be");
        Assert.That(Directory.Exists(outDir), Is.False, "nothing was written");
    }

    [Test]
    public void Every_option_of_train_probe_and_build_declares_the_property_it_sets()
    {
        var cli = CliApp.CreateRootCommand();
        var prep = PrepApp.CreateRootCommand();
        foreach (var command in new[] { cli.Subcommands.Single(c => c.Name == "train"), cli.Subcommands.Single(c => c.Name == "probe"), prep.Subcommands.Single(c => c.Name == "build") })
        {
            Assert.That(ConfigFileOption.Undeclared(command), Is.Empty, command.Name);
            Assert.That(command.Options.Select(o => o.Name), Does.Contain("--config"), command.Name);
        }
    }

    [Test]
    public void A_config_without_a_kind_is_read_as_the_expected_kind_and_the_kind_is_written_first()
    {
        var options = ConfigFile.FromJson<ProbeRunOptions>(JsonNode.Parse("""{ "model": "m", "data": "d", "output_directory": "o" }""")!.AsObject(), ProbeRunOptions.ConfigKind, "test");
        Assert.That(options.Probe.Experiments, Is.EqualTo(new ProbeOptions().Experiments));
        var json = ConfigFile.ToJson(options, ProbeRunOptions.ConfigKind);
        Assert.That(json.First().Key, Is.EqualTo(ConfigFile.KindField));
        Assert.That(ConfigFile.FromJson<ProbeRunOptions>(json, ProbeRunOptions.ConfigKind, "test").Model, Is.EqualTo("m"));
    }
}
