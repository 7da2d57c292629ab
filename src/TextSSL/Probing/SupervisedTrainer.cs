using TextSSL.Modeling;
using TextSSL.Training;
using TextSSL.Training.Optimization;
using TorchSharp;
using static TorchSharp.torch;

namespace TextSSL.Probing;

/// <summary>Settings of end-to-end training of the architecture on the labelled examples (baselines c and d).</summary>
/// <param name="Epochs">Passes over the training sample, subject to the step bounds.</param>
/// <param name="MinSteps">At least this many optimizer steps (tiny samples need more than a few epochs' worth).</param>
/// <param name="MaxSteps">At most this many optimizer steps, which bounds the time of every run.</param>
/// <param name="BatchSize">Examples per step.</param>
/// <param name="LearningRate">Peak AdamW learning rate (after a 10% linear warm-up; the trainer's fused AdamW and schedule).</param>
/// <param name="WeightDecay">AdamW weight decay on matrices.</param>
public sealed record SupervisedOptions(int Epochs = 10, int MinSteps = 50, int MaxSteps = 300, int BatchSize = 16, double LearningRate = 5e-4, double WeightDecay = 0.01);

/// <summary>
/// Trains a <see cref="SequenceClassifier"/> end to end on a labelled sample — from random weights (the
/// supervised-from-scratch baseline) or from pretrained weights (fine-tuning) — and predicts the test set.
/// </summary>
internal static class SupervisedTrainer
{
    /// <summary>Trains and predicts.</summary>
    /// <param name="config">The architecture.</param>
    /// <param name="pretrained">A loaded model whose weights (verified on load) are the starting point, or null for a fresh random initialisation.</param>
    /// <param name="train">Encoded training texts.</param>
    /// <param name="trainLabels">Their class indices.</param>
    /// <param name="test">Encoded test texts.</param>
    /// <param name="numClasses">Number of classes.</param>
    /// <param name="options">Step bounds and optimizer settings.</param>
    /// <param name="seed">Seeds initialisation and batch order.</param>
    /// <param name="device">Where to train.</param>
    /// <param name="ct">Cancels between steps.</param>
    /// <returns>The predicted class of every test text.</returns>
    public static int[] TrainAndPredict(TransformerConfig config, PretrainedModel? pretrained, EncodedTexts train, int[] trainLabels, EncodedTexts test,
        int numClasses, SupervisedOptions options, int seed, Device device, CancellationToken ct = default)
    {
        if (train.Ids.Length != trainLabels.Length) throw new ArgumentException("one label per training text is needed.", nameof(trainLabels));
        OptionException.CheckRange("Supervised.BatchSize", options.BatchSize, 1, 65_536);
        OptionException.CheckRange("Supervised.MaxSteps", options.MaxSteps, 1, 1_000_000);
        OptionException.CheckRange("Supervised.LearningRate", options.LearningRate, 1e-12, 10);
        OptionException.CheckRange("Supervised.WeightDecay", options.WeightDecay, 0, 10);
        manual_seed(seed);
        var trunk = pretrained?.CopyTransformer() ?? new Transformer(config);
        using var model = new SequenceClassifier(trunk, numClasses);
        model.to(device);
        // The project's optimizer, schedule and step: fused AdamW, a 10% linear warm-up then the peak rate (the cosine's
        // minimum equals its peak), clipping at 1.
        using var optimizer = OptimizerFactory.Create(OptimizerKind.Fused, model, new AdamWSettings(WeightDecay: options.WeightDecay, Beta2: 0.999), options.LearningRate);
        using var trainStep = new TrainStep(model, trunk.Precision, optimizer, new TrainStepOptions(GradAccum: 1, Clip: 1.0), device);
        var n = train.Ids.Length;
        var stepsPerEpoch = (n + options.BatchSize - 1) / options.BatchSize;
        var steps = Math.Clamp(options.Epochs * stepsPerEpoch, Math.Min(options.MinSteps, options.MaxSteps), options.MaxSteps);
        var schedule = new LearningRateSchedule(options.LearningRate, options.LearningRate, Math.Max(1, steps / 10), steps);
        var rng = new Random(seed);
        var order = Enumerable.Range(0, n).ToArray();
        var position = n;
        model.train();
        for (var step = 0; step < steps; step++)
        {
            ct.ThrowIfCancellationRequested();
            var batch = new int[Math.Min(options.BatchSize, n)];
            for (var b = 0; b < batch.Length; b++)
            {
                if (position == n) { rng.Shuffle(order); position = 0; }
                batch[b] = order[position++];
            }
            trainStep.Run(step, schedule.At(step), _ =>
            {
                var (ids, lengths) = FeatureExtractor.PadBatch(train, batch, padId: 0);
                var targets = tensor(batch.Select(i => (long)trainLabels[i]).ToArray(), device: device);
                return nn.functional.cross_entropy(model.forward(ids.to(device), lengths.to(device)), targets);
            });
        }
        model.eval();
        var predictions = new int[test.Ids.Length];
        using (no_grad())
        {
            var byLength = Enumerable.Range(0, test.Ids.Length).OrderBy(i => test.Ids[i].Length).ToArray();
            for (var start = 0; start < byLength.Length; start += 64)
            {
                ct.ThrowIfCancellationRequested();
                using var scope = NewDisposeScope();
                var batch = byLength[start..Math.Min(byLength.Length, start + 64)];
                var (ids, lengths) = FeatureExtractor.PadBatch(test, batch, padId: 0);
                var predicted = model.forward(ids.to(device), lengths.to(device)).argmax(1).cpu().data<long>().ToArray();
                for (var b = 0; b < batch.Length; b++) predictions[batch[b]] = (int)predicted[b];
            }
        }
        return predictions;
    }
}
