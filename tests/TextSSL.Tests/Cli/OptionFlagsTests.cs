using TextSSL.Cli;

namespace TextSSL.Tests.Cli;

/// <summary>The library names options by property; the CLI shows them as its flags.</summary>
public class OptionFlagsTests
{
    [TestCase("BatchSize", "batch-size")]
    [TestCase("Beta1", "beta1")]
    [TestCase("EvalEvery", "eval-every")]
    [TestCase("MaxNewTokens", "max-new-tokens")]
    [TestCase("TopP", "top-p")]
    public void Property_names_become_kebab_case(string name, string expected) =>
        Assert.That(OptionFlags.KebabCase(name), Is.EqualTo(expected));

    [Test]
    public void A_message_names_options_in_the_front_ends_spelling()
    {
        var ex = new OptionException(["BatchSize", "GradAccum"], "BatchSize 8 does not fit; try BatchSize 4 with GradAccum 2 (BatchSizes stay).");
        Assert.That(ex.Message, Does.StartWith("BatchSize 8"));
        Assert.That(ex.MessageWith(n => "--" + OptionFlags.KebabCase(n)),
            Is.EqualTo("--batch-size 8 does not fit; try --batch-size 4 with --grad-accum 2 (BatchSizes stay)."));
    }

    [Test]
    public void Range_checks_reject_nan_infinity_and_out_of_range_values()
    {
        Assert.That(() => OptionException.CheckRange("LearningRate", double.NaN, 0, 10),
            Throws.TypeOf<OptionException>().With.Message.Contains("finite").And.Property(nameof(OptionException.Option)).EqualTo("LearningRate"));
        Assert.That(() => OptionException.CheckRange("LearningRate", double.PositiveInfinity, 0, 10), Throws.TypeOf<OptionException>());
        Assert.That(() => OptionException.CheckRange("Dropout", 1.5, 0, 1), Throws.TypeOf<OptionException>().With.Message.Contains("between 0 and 1"));
        Assert.That(OptionException.CheckRange("Dropout", 0.5, 0, 1), Is.EqualTo(0.5));
        Assert.That(() => OptionException.CheckRange("BatchSize", 0L, 1, int.MaxValue), Throws.TypeOf<OptionException>().With.Message.EqualTo("BatchSize must be at least 1 (got 0)."));
    }
}
