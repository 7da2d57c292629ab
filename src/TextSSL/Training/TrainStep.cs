using TextSSL.Distributed;
using TextSSL.Modeling;
using TextSSL.Training.Optimization;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TextSSL.Training;

/// <summary>How one optimizer step is taken.</summary>
/// <param name="GradAccum">Micro-batches whose gradients are summed (each loss scaled by 1/GradAccum) before the update.</param>
/// <param name="Clip">Maximum global gradient norm; 0 disables clipping.</param>
/// <param name="ComputeDtype">Dtype of matrix products (bf16 keeps fp32 master weights); applied to the model's precision.</param>
internal sealed record TrainStepOptions(int GradAccum = 1, double Clip = 1.0, ScalarType ComputeDtype = ScalarType.Float32);

/// <summary>
/// One training step, the same for the pretraining loop, the supervised and fine-tuning probe baselines and the
/// benchmarks: micro-batches (forward, loss, backward, gradients accumulated) → clip → optimizer update → zero
/// gradients. The mean loss, the gradient norm and the first step whose loss was NaN or infinite are tracked on the
/// device; the host reads them only when asked (at a log interval), so a step never waits for the device.
/// </summary>
internal sealed class TrainStep : IDisposable
{
    /// <summary>
    /// Phase names passed to the phase callback: forward+loss+backward of every micro-batch, the gradient all-reduce
    /// (data-parallel ranks only), clipping, update.
    /// </summary>
    public const string ForwardBackward = "fwd+bwd", AllReduce = "all-reduce", Clipping = "clip", Update = "optimizer";

    private readonly IParameterOptimizer _optimizer;
    private readonly TrainStepOptions _options;
    private readonly List<Parameter> _parameters;
    private readonly Func<IReadOnlyList<Parameter>, double, Tensor> _clip;
    private readonly Action<string>? _phase;
    private readonly Tensor _lossSum, _gradNorm, _firstBadStep;
    private int _microBatchesSinceRead;

    /// <summary>Prepares a step over <paramref name="model"/>'s parameters (already on <paramref name="device"/>).</summary>
    /// <param name="model">The module being trained.</param>
    /// <param name="precision">The model's compute precision, set to <see cref="TrainStepOptions.ComputeDtype"/>; null for a model without one (fp32).</param>
    /// <param name="optimizer">The optimizer (from <see cref="OptimizerFactory"/>); disposed by the caller.</param>
    /// <param name="options">Accumulation, clipping and dtype.</param>
    /// <param name="device">Where the device-side accumulators live.</param>
    public TrainStep(nn.Module model, ComputePrecision? precision, IParameterOptimizer optimizer, TrainStepOptions options, Device device)
        : this(model, precision, optimizer, options, device, OptimizerFactory.ClipGradNorm, null) { }

    /// <summary>The benchmarks' constructor: another clipping implementation (the reference) and a callback at the end of each phase.</summary>
    internal TrainStep(nn.Module model, ComputePrecision? precision, IParameterOptimizer optimizer, TrainStepOptions options, Device device,
                       Func<IReadOnlyList<Parameter>, double, Tensor> clip, Action<string>? phase)
    {
        OptionException.CheckRange(nameof(TrainStepOptions.GradAccum), options.GradAccum, 1, 65_536);
        OptionException.CheckRange(nameof(TrainStepOptions.Clip), options.Clip, 0, 1e6);
        if (precision is not null) precision.Dtype = options.ComputeDtype;
        (_optimizer, _options, _clip, _phase) = (optimizer, options, clip, phase);
        _parameters = model.parameters().ToList();
        _lossSum = tensor(0.0f, device: device);
        _gradNorm = tensor(0.0f, device: device);
        _firstBadStep = tensor(-1L, device: device);
    }

    /// <summary>
    /// The ranks this step trains with (data-parallel): gradients are averaged across them after backward and before
    /// clipping, so the clip sees the global norm; the read loss is their mean. <see cref="Communicator.SingleProcess"/> by default.
    /// </summary>
    internal Communicator Communicator { get; init; } = Communicator.SingleProcess;

    /// <summary>The parameters the step updates.</summary>
    public IReadOnlyList<Parameter> Parameters => _parameters;

    /// <summary>
    /// Takes optimizer step number <paramref name="step"/> at <paramref name="learningRate"/>.
    /// <paramref name="microBatchLoss"/> is called once per micro-batch (with its index) and returns the mean loss of
    /// that micro-batch as a 0-d fp32 tensor; everything it allocates is freed when the step ends.
    /// </summary>
    public void Run(long step, double learningRate, Func<int, Tensor> microBatchLoss)
    {
        using var scope = NewDisposeScope();
        var accum = _options.GradAccum;
        for (var micro = 0; micro < accum; micro++)
        {
            var loss = microBatchLoss(micro);                                    // 0-d fp32
            (accum == 1 ? loss : loss / accum).backward();
            var detached = loss.detach();
            _lossSum.add_(detached);
            _firstBadStep.masked_fill_(isfinite(detached).logical_not() & _firstBadStep.lt(0), step);
        }
        _microBatchesSinceRead += accum;
        _phase?.Invoke(ForwardBackward);
        if (Communicator.Size > 1)
        {
            AverageGradientsAcrossRanks();
            _phase?.Invoke(AllReduce);
        }
        if (_options.Clip > 0) _gradNorm.copy_(_clip(_parameters, _options.Clip));
        _phase?.Invoke(Clipping);
        _optimizer.Step(learningRate);
        _optimizer.ZeroGrad();
        _phase?.Invoke(Update);
    }

    private void AverageGradientsAcrossRanks()
    {
        if (Communicator.Size == 1) return;
        GradientAveraging.Average(_parameters.Select(p => p.grad).OfType<Tensor>().ToList(), Communicator);
    }

    /// <summary>The mean micro-batch loss since the last call (a host read: waits for the device), then starts a new interval. Averaged across ranks.</summary>
    public float ReadMeanLoss()
    {
        var local = _lossSum.item<float>();
        var sum = Communicator.Size == 1 ? local : (float)(Communicator.AllReduce((double)local, ReduceOp.Sum) / Communicator.Size);
        var mean = _microBatchesSinceRead == 0 ? float.NaN : sum / _microBatchesSinceRead;
        _lossSum.zero_();
        _microBatchesSinceRead = 0;
        return mean;
    }

    /// <summary>The global gradient norm before clipping at the last step; null when clipping is off (a host read).</summary>
    public float? ReadGradNorm() => _options.Clip > 0 ? _gradNorm.item<float>() : null;

    /// <summary>The first step whose training loss was NaN or infinite on any rank, or null (a host read).</summary>
    public long? FirstNonFiniteStep()
    {
        var bad = _firstBadStep.item<long>();
        if (Communicator.Size > 1)
        {
            var first = Communicator.AllReduce(bad >= 0 ? bad : long.MaxValue, ReduceOp.Min);
            bad = first == long.MaxValue ? -1 : first;
        }
        return bad >= 0 ? bad : null;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _lossSum.Dispose();
        _gradNorm.Dispose();
        _firstBadStep.Dispose();
    }
}
