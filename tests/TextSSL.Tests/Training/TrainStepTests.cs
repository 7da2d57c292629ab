using TextSSL.Modeling;
using TextSSL.Runtime;
using TextSSL.Training;
using TextSSL.Training.Optimization;
using static TorchSharp.torch;

namespace TextSSL.Tests.Training;

public class TrainStepTests
{
    [OneTimeSetUp]
    public void LoadTorch() => TorchRuntime.EnsureLoaded();

    private static (Transformer Model, IParameterOptimizer Optimizer, TrainStep Step) Make(int accum, double clip = 1.0)
    {
        manual_seed(3);
        var model = new Transformer(TransformerConfig.Preset("tiny", vocabSize: 20));
        model.train();
        var optimizer = OptimizerFactory.Create(OptimizerKind.Fused, model, new AdamWSettings(), 1e-2);
        return (model, optimizer, new TrainStep(model, model.Precision, optimizer, new TrainStepOptions(accum, clip), CPU));
    }

    private static Tensor Loss(Transformer model, Tensor x)
    {
        var logits = model.forward(x[.., ..8]);
        return nn.functional.cross_entropy(logits.reshape(-1, 20), x[.., 1..].reshape(-1));
    }

    [Test]
    public void Two_micro_batches_of_the_same_batch_update_exactly_like_one()
    {
        using var x = randint(0, 20, [2, 9], dtype: ScalarType.Int64);
        var (one, optOne, stepOne) = Make(accum: 1);
        var (two, optTwo, stepTwo) = Make(accum: 2);
        using (one) using (optOne) using (stepOne) using (two) using (optTwo) using (stepTwo)
        {
            stepOne.Run(0, 1e-2, _ => Loss(one, x));
            stepTwo.Run(0, 1e-2, _ => Loss(two, x));
            foreach (var (a, b) in one.parameters().Zip(two.parameters()))
                Assert.That(TrainingFixtures.Same(a, b), Is.True);
            Assert.That(stepTwo.ReadMeanLoss(), Is.EqualTo(stepOne.ReadMeanLoss()));
            // Adam hides a gradient scale; the norm before clipping does not: accumulation must divide by GradAccum.
            Assert.That(stepOne.ReadGradNorm(), Is.GreaterThan(0));
            Assert.That(stepTwo.ReadGradNorm(), Is.EqualTo(stepOne.ReadGradNorm()));
        }
    }

    [Test]
    public void Mean_loss_covers_the_interval_and_the_first_non_finite_step_is_kept()
    {
        var (model, optimizer, step) = Make(accum: 1, clip: 0);
        using (model) using (optimizer) using (step)
        {
            step.Run(0, 1e-3, _ => tensor(2.0f, requires_grad: true) * 1);
            step.Run(1, 1e-3, _ => tensor(4.0f, requires_grad: true) * 1);
            Assert.That(step.ReadMeanLoss(), Is.EqualTo(3.0f));
            Assert.That(step.ReadGradNorm(), Is.Null, "clipping is off");
            Assert.That(step.FirstNonFiniteStep(), Is.Null);
            step.Run(5, 1e-3, _ => tensor(float.NaN, requires_grad: true) * 1);
            step.Run(6, 1e-3, _ => tensor(float.PositiveInfinity, requires_grad: true) * 1);
            Assert.That(step.FirstNonFiniteStep(), Is.EqualTo(5));
        }
    }

    [Test]
    public void Runtime_configuration_is_restored_when_its_scope_ends()
    {
        var before = get_num_threads();
        var other = before == 1 ? 2 : 1;
        using (TorchRuntime.Configure(other, tf32: null))
            Assert.That(get_num_threads(), Is.EqualTo(other));
        Assert.That(get_num_threads(), Is.EqualTo(before));
        Assert.That(() => TorchRuntime.Configure(0, null), Throws.TypeOf<OptionException>().With.Property(nameof(OptionException.Option)).EqualTo("Threads"));
    }
}
