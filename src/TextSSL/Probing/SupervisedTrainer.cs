using TextSSL.Modeling;
using TextSSL.Training.Optimization;
using TorchSharp;
using static TorchSharp.torch;

namespace TextSSL.Probing;

/// <summary>Settings of end-to-end training of the architecture on the labelled examples (baselines c and d).</summary>
/// <param name="Epochs">Passes over the training sample, subject to the step bounds.</param>
/// <param name="MinSteps">At least this many optimizer steps (tiny samples need more than a few epochs' worth).</param>
/// <param name="MaxSteps">At most this many optimizer steps, which bounds the time of every run.</param>
/// <param name="BatchSize">Examples per step.</param>
/// <param name="LearningRate">Peak AdamW learning rate (after a 10% linear warm-up).</param>
/// <param name="WeightDecay">AdamW weight decay on matrices.</param>
public sealed record SupervisedOptions(int Epochs = 10, int MinSteps = 50, int MaxSteps = 300, int BatchSize = 16, double LearningRate = 5e-4, double WeightDecay = 0.01);

/// <summary>
/// Trains a <see cref="SequenceClassifier"/> end to end on a labelled sample — from random weights (the
/// supervised-from-scratch baseline) or from pretrained weights (fine-tuning) — and predicts the test set.
/// </summary>
public static class SupervisedTrainer
{
    /// <summary>Trains and predicts.</summary>
    /// <param name="config">The architecture.</param>
    /// <param name="pretrainedWeights">A checkpoint's weights file to start from, or null for a fresh random initialisation.</param>
    /// <param name="train">Encoded training texts.</param>
    /// <param name="trainLabels">Their class indices.</param>
    /// <param name="test">Encoded test texts.</param>
    /// <param name="numClasses">Number of classes.</param>
    /// <param name="options">Step bounds and optimizer settings.</param>
    /// <param name="seed">Seeds initialisation and batch order.</param>
    /// <param name="device">Where to train.</param>
    /// <param name="ct">Cancels between steps.</param>
    /// <returns>The predicted class of every test text.</returns>
    public static int[] TrainAndPredict(TransformerConfig config, string? pretrainedWeights, EncodedTexts train, int[] trainLabels, EncodedTexts test,
        int numClasses, SupervisedOptions options, int seed, Device device, CancellationToken ct = default)
    {
        if (train.Ids.Length != trainLabels.Length) throw new ArgumentException("one label per training text is needed.", nameof(trainLabels));
        if (options.BatchSize < 1 || options.MaxSteps < 1) throw new TextSslException("supervised batch size and step limit must be positive.");
        manual_seed(seed);
        var trunk = new Transformer(config);
        if (pretrainedWeights is not null) trunk.load(pretrainedWeights, strict: true);
        using var model = new SequenceClassifier(trunk, numClasses);
        model.to(device);
        using var optimizer = new TorchAdamW(model, new AdamWSettings(WeightDecay: options.WeightDecay, Beta2: 0.999), options.LearningRate);
        var n = train.Ids.Length;
        var stepsPerEpoch = (n + options.BatchSize - 1) / options.BatchSize;
        var steps = Math.Clamp(options.Epochs * stepsPerEpoch, Math.Min(options.MinSteps, options.MaxSteps), options.MaxSteps);
        var warmup = Math.Max(1, steps / 10);
        var rng = new Random(seed);
        var order = Enumerable.Range(0, n).ToArray();
        var position = n;
        model.train();
        for (var step = 0; step < steps; step++)
        {
            ct.ThrowIfCancellationRequested();
            using var scope = NewDisposeScope();
            var batch = new int[Math.Min(options.BatchSize, n)];
            for (var b = 0; b < batch.Length; b++)
            {
                if (position == n) { rng.Shuffle(order); position = 0; }
                batch[b] = order[position++];
            }
            var (ids, lengths) = FeatureExtractor.PadBatch(train, batch, padId: 0);
            var targets = tensor(batch.Select(i => (long)trainLabels[i]).ToArray(), device: device);
            var logits = model.forward(ids.to(device), lengths.to(device));
            var loss = nn.functional.cross_entropy(logits, targets);
            optimizer.ZeroGrad();
            loss.backward();
            GradientClipping.ClipGradNorm(model.parameters().ToList(), 1.0);
            optimizer.Step(options.LearningRate * Math.Min(1.0, (step + 1.0) / warmup));
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
