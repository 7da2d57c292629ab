using TextSSL.Training;

namespace TextSSL.Tests.Training;

/// <summary>Every number of a run is checked finite and in range before any work, and the error names the property.</summary>
public class OptionValidationTests
{
    private static PretrainingOptions Valid() => new() { Data = "unused.txt", OutputDirectory = "unused" };

    private static IEnumerable<TestCaseData> Bad()
    {
        var o = Valid();
        yield return new TestCaseData(o with { Optimization = o.Optimization with { LearningRate = double.NaN } }, "LearningRate").SetName("lr NaN");
        yield return new TestCaseData(o with { Optimization = o.Optimization with { LearningRate = 0 } }, "LearningRate").SetName("lr zero");
        yield return new TestCaseData(o with { Optimization = o.Optimization with { MinLearningRate = 1 } }, "MinLearningRate").SetName("min lr above lr");
        yield return new TestCaseData(o with { Optimization = o.Optimization with { WeightDecay = double.PositiveInfinity } }, "WeightDecay").SetName("weight decay infinite");
        yield return new TestCaseData(o with { Optimization = o.Optimization with { Clip = -1 } }, "Clip").SetName("clip negative");
        yield return new TestCaseData(o with { Optimization = o.Optimization with { Beta1 = 1.0 } }, "Beta1").SetName("beta1 one");
        yield return new TestCaseData(o with { Optimization = o.Optimization with { Beta2 = double.NaN } }, "Beta2").SetName("beta2 NaN");
        yield return new TestCaseData(o with { Optimization = o.Optimization with { BatchSize = 1_000_000_000 } }, "BatchSize").SetName("batch size huge");
        yield return new TestCaseData(o with { Optimization = o.Optimization with { BatchSize = 65_536, BlockSize = 1 << 20 } }, "BatchSize").SetName("batch times block overflows");
        yield return new TestCaseData(o with { Optimization = o.Optimization with { Steps = 0 } }, "Steps").SetName("steps zero");
        yield return new TestCaseData(o with { Model = o.Model with { Dropout = 1.0 } }, "Dropout").SetName("dropout one");
        yield return new TestCaseData(o with { Model = o.Model with { Dropout = double.NaN } }, "Dropout").SetName("dropout NaN");
        yield return new TestCaseData(o with { Masking = o.Masking with { Probability = double.NaN } }, PretrainingOptions.MaskProbability).SetName("mask probability NaN");
        yield return new TestCaseData(o with { Masking = o.Masking with { Probability = 1.0 } }, PretrainingOptions.MaskProbability).SetName("mask probability one");
        yield return new TestCaseData(o with { ValidationFraction = double.NaN }, "ValidationFraction").SetName("validation fraction NaN");
        yield return new TestCaseData(o with { Evaluation = o.Evaluation with { PeakTflops = -1 } }, "PeakTflops").SetName("peak negative");
        yield return new TestCaseData(o with { Runtime = o.Runtime with { Threads = 0 } }, "Threads").SetName("threads zero");
        yield return new TestCaseData(o with { Runtime = o.Runtime with { Device = "gpu" } }, "Device").SetName("device unknown");
    }

    [TestCaseSource(nameof(Bad))]
    public void A_bad_number_is_an_option_exception_naming_the_property(PretrainingOptions options, string property)
    {
        var ex = Assert.Throws<OptionException>(() => options.Validate());
        Assert.That(ex!.Option, Is.EqualTo(property));
        Assert.That(ex.Message, Does.Contain(property).IgnoreCase.And.Not.Contain("--"));
    }

    [Test]
    public void The_defaults_are_valid() => Assert.That(Valid().Validate(), Is.Not.Null);

    [Test]
    public void The_cli_spells_the_renamed_options_as_its_flags()
    {
        TextSSL.Cli.CliApp.CreateRootCommand();
        Assert.That(TextSSL.Cli.OptionFlags.For("LearningRate"), Is.EqualTo("--lr"));
        Assert.That(TextSSL.Cli.OptionFlags.For("MinLearningRate"), Is.EqualTo("--min-lr"));
        Assert.That(TextSSL.Cli.OptionFlags.For(PretrainingOptions.MaskProbability), Is.EqualTo("--mask-prob"));
        Assert.That(TextSSL.Cli.OptionFlags.For("ValidationFraction"), Is.EqualTo("--val-fraction"));
    }
}
