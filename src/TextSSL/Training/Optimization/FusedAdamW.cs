using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TextSSL.Training.Optimization;

/// <summary>
/// AdamW through libtorch's fused multi-tensor kernel (<c>torch._fused_adamw_</c>, reached through TorchScript):
/// a handful of launches per step instead of several per parameter, on CPU and CUDA alike.
/// </summary>
/// <remarks>
/// <para>Two groups as <see cref="ParameterGroups.Split"/> makes them: weight decay for tensors with two or more
/// dimensions, none for biases and LayerNorm gains. The math is PyTorch's AdamW (decoupled decay, bias-corrected
/// moments) with a step count per parameter, like <c>optim.AdamW</c>.</para>
/// <para>All state (first and second moments, step counts) is allocated once, on each parameter's device, when the
/// optimizer is created; <see cref="Step"/> allocates no device memory and never waits for the device.</para>
/// <para>Create the optimizer after moving the model to its device. If the model moves later, call
/// <see cref="Rebind"/>: TorchSharp replaces parameters that change device, and the state follows them.</para>
/// <para>Parameters must be fp32 (the master weights) or another floating dtype the fused kernel supports, and a
/// gradient must have its parameter's dtype.</para>
/// </remarks>
internal sealed class FusedAdamW : IParameterOptimizer
{
    private const string Magic = "TEXTSSL-FUSED-ADAMW";
    private const int FormatVersion = 1;

    private readonly nn.Module _model;
    private readonly Scalar _beta1;
    private readonly Scalar _beta2;
    private readonly Scalar _weightDecay;
    private readonly Scalar _epsilon;
    private Group _decayed;
    private Group _notDecayed;
    private bool _disposed;

    /// <summary>Creates the optimizer over <paramref name="model"/>'s trainable parameters, with zeroed moments and step counts.</summary>
    /// <exception cref="TextSslException">The model has no trainable parameters.</exception>
    public FusedAdamW(nn.Module model, AdamWSettings settings)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(settings);
        TorchScriptKernels.EnsureCompiled();
        _model = model;
        Settings = settings;
        var (decayed, notDecayed) = ParameterGroups.Split(model);
        if (decayed.Count + notDecayed.Count == 0)
            throw new TextSslException("the model has no trainable parameters, so there is nothing for AdamW to update.");
        _decayed = new Group(decayed);
        _notDecayed = new Group(notDecayed);
        _beta1 = settings.Beta1.ToScalar();
        _beta2 = settings.Beta2.ToScalar();
        _weightDecay = settings.WeightDecay.ToScalar();
        _epsilon = settings.Epsilon.ToScalar();
    }

    /// <summary>The hyper-parameters.</summary>
    public AdamWSettings Settings { get; }

    /// <summary>Number of parameter tensors updated (both groups).</summary>
    public int ParameterCount => _decayed.Params.Length + _notDecayed.Params.Length;

    /// <inheritdoc/>
    /// <remarks>Parameters without a gradient are skipped and keep their step count, as in <c>optim.AdamW</c>.</remarks>
    public void Step(double learningRate)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var allD = _decayed.FetchGrads();
        var allN = _notDecayed.FetchGrads();
        try
        {
            using var lr = learningRate.ToScalar();
            using var _ = no_grad();
            if (allD && allN)
            {
                TorchScriptKernels.AdamWStep(_decayed.Params, _decayed.Grads, _decayed.ExpAvgs, _decayed.ExpAvgSqs, _decayed.Steps,
                    _notDecayed.Params, _notDecayed.Grads, _notDecayed.ExpAvgs, _notDecayed.ExpAvgSqs, _notDecayed.Steps,
                    lr, _beta1, _beta2, _weightDecay, _epsilon);
                return;
            }
            // Rare path (a parameter got no gradient this step): pass only the parameters that have one.
            var d = _decayed.WithGrads();
            var n = _notDecayed.WithGrads();
            TorchScriptKernels.AdamWStep(d.Params, d.Grads, d.ExpAvgs, d.ExpAvgSqs, d.Steps,
                n.Params, n.Grads, n.ExpAvgs, n.ExpAvgSqs, n.Steps, lr, _beta1, _beta2, _weightDecay, _epsilon);
        }
        finally
        {
            _decayed.ReleaseGrads();
            _notDecayed.ReleaseGrads();
        }
    }

    /// <inheritdoc/>
    /// <remarks>Gradients are set to none rather than zeroed: backward then writes fresh ones without an extra add.</remarks>
    public void ZeroGrad()
    {
        foreach (var p in _decayed.Params) p.grad = null;
        foreach (var p in _notDecayed.Params) p.grad = null;
    }

    /// <summary>
    /// Re-reads the model's parameters after the model moved (<c>model.to(device)</c>) and moves the state to
    /// their devices. The parameters must be the same, in the same order and shapes.
    /// </summary>
    /// <exception cref="TextSslException">The model's parameters no longer match the optimizer's.</exception>
    public void Rebind()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var (decayed, notDecayed) = ParameterGroups.Split(_model);
        _decayed = _decayed.Rebind(decayed, "decayed");
        _notDecayed = _notDecayed.Rebind(notDecayed, "not decayed");
    }

    /// <inheritdoc/>
    /// <remarks>
    /// Format: a header (<c>TEXTSSL-FUSED-ADAMW</c>, version, parameter count), then for every parameter in
    /// optimizer order its shape followed by step count, first moment and second moment as TorchSharp tensors.
    /// Written to a temporary file and renamed, so a crash leaves the previous state intact.
    /// </remarks>
    public void SaveState(string path)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        AtomicFile.Write(path, stream =>
        {
            using var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true);
            writer.Write(Magic);
            writer.Write(FormatVersion);
            writer.Write(ParameterCount);
            foreach (var group in new[] { _decayed, _notDecayed })
                for (var i = 0; i < group.Params.Length; i++)
                {
                    var shape = group.Params[i].shape;
                    writer.Write(shape.Length);
                    foreach (var s in shape) writer.Write(s);
                    foreach (var t in new[] { group.Steps[i], group.ExpAvgs[i], group.ExpAvgSqs[i] })
                    {
                        using var cpu = t.detach().cpu();
                        cpu.Save(writer);
                    }
                }
        });
    }

    /// <inheritdoc/>
    /// <exception cref="TextSslException">The file is missing, not optimizer state, or written for other parameters.</exception>
    public void LoadState(string path)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!File.Exists(path))
            throw new TextSslException($"optimizer state '{path}' does not exist. Resume from a checkpoint directory that holds one, or start fresh.");
        using var stream = File.OpenRead(path);
        using var reader = new BinaryReader(stream, System.Text.Encoding.UTF8);
        string magic;
        try { magic = reader.ReadString(); }
        catch (EndOfStreamException) { magic = ""; }
        if (magic != Magic)
            throw new TextSslException($"'{path}' is not fused AdamW state (no '{Magic}' header). Was it written by another optimizer?");
        var version = reader.ReadInt32();
        if (version != FormatVersion)
            throw new TextSslException($"'{path}' has fused AdamW state format {version}; this build reads format {FormatVersion}.");
        var count = reader.ReadInt32();
        if (count != ParameterCount)
            throw new TextSslException($"'{path}' holds state for {count} parameter tensors, the model has {ParameterCount}. Load it into the model it was saved with.");
        // Read everything first, so a bad file leaves the current state untouched.
        var loaded = new List<Tensor>(3 * count);
        try
        {
            foreach (var (group, name) in new[] { (_decayed, "decayed"), (_notDecayed, "not decayed") })
                for (var i = 0; i < group.Params.Length; i++)
                {
                    var rank = reader.ReadInt32();
                    var shape = new long[rank];
                    for (var k = 0; k < rank; k++) shape[k] = reader.ReadInt64();
                    if (!shape.SequenceEqual(group.Params[i].shape))
                        throw new TextSslException($"'{path}': {name} parameter {i} has shape [{string.Join(", ", shape)}] in the file and [{string.Join(", ", group.Params[i].shape)}] in the model.");
                    for (var k = 0; k < 3; k++) loaded.Add(Tensor.Load(reader));
                }
            using var _ = no_grad();
            var j = 0;
            foreach (var group in new[] { _decayed, _notDecayed })
                for (var i = 0; i < group.Params.Length; i++)
                {
                    group.Steps[i].copy_(loaded[j++]);
                    group.ExpAvgs[i].copy_(loaded[j++]);
                    group.ExpAvgSqs[i].copy_(loaded[j++]);
                }
        }
        finally
        {
            foreach (var t in loaded) t.Dispose();
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _decayed.Dispose();
        _notDecayed.Dispose();
        _beta1.Dispose();
        _beta2.Dispose();
        _weightDecay.Dispose();
        _epsilon.Dispose();
    }

    /// <summary>One weight-decay group: parameters and their state, index-aligned; the gradient array is refilled each step.</summary>
    private sealed class Group : IDisposable
    {
        public Group(IReadOnlyList<Parameter> parameters)
        {
            Params = [.. parameters];
            Grads = new Tensor[Params.Length];
            using var _ = no_grad();
            ExpAvgs = Params.Select(p => zeros_like(p).DetachFromDisposeScope()).ToArray();
            ExpAvgSqs = Params.Select(p => zeros_like(p).DetachFromDisposeScope()).ToArray();
            // The fused CUDA kernel reads step counts from device memory: fp32 0-d tensors beside each parameter.
            Steps = Params.Select(p => zeros([], ScalarType.Float32, p.device).DetachFromDisposeScope()).ToArray();
        }

        private Group(Parameter[] parameters, Tensor[] expAvgs, Tensor[] expAvgSqs, Tensor[] steps)
        {
            Params = parameters;
            Grads = new Tensor[parameters.Length];
            ExpAvgs = expAvgs;
            ExpAvgSqs = expAvgSqs;
            Steps = steps;
        }

        public Parameter[] Params { get; }
        public Tensor[] Grads { get; }
        public Tensor[] ExpAvgs { get; }
        public Tensor[] ExpAvgSqs { get; }
        public Tensor[] Steps { get; }

        /// <summary>Fills <see cref="Grads"/>; false when some parameter has no gradient (its slot is null).</summary>
        public bool FetchGrads()
        {
            var all = true;
            for (var i = 0; i < Params.Length; i++)
            {
                Grads[i] = Params[i].grad!;
                all &= Grads[i] is not null;
            }
            return all;
        }

        public void ReleaseGrads()
        {
            for (var i = 0; i < Grads.Length; i++)
            {
                Grads[i]?.Dispose();
                Grads[i] = null!;
            }
        }

        public (Tensor[] Params, Tensor[] Grads, Tensor[] ExpAvgs, Tensor[] ExpAvgSqs, Tensor[] Steps) WithGrads()
        {
            var idx = Enumerable.Range(0, Params.Length).Where(i => Grads[i] is not null).ToArray();
            return (idx.Select(i => (Tensor)Params[i]).ToArray(), idx.Select(i => Grads[i]).ToArray(),
                idx.Select(i => ExpAvgs[i]).ToArray(), idx.Select(i => ExpAvgSqs[i]).ToArray(), idx.Select(i => Steps[i]).ToArray());
        }

        public Group Rebind(IReadOnlyList<Parameter> parameters, string name)
        {
            if (parameters.Count != Params.Length)
                throw new TextSslException($"the model now has {parameters.Count} {name} parameter tensors, the optimizer {Params.Length}; Rebind only follows a model that moved device.");
            for (var i = 0; i < Params.Length; i++)
                if (!parameters[i].shape.SequenceEqual(Params[i].shape))
                    throw new TextSslException($"{name} parameter {i} changed shape; Rebind only follows a model that moved device.");
            return new Group([.. parameters], Follow(parameters, ExpAvgs), Follow(parameters, ExpAvgSqs), Follow(parameters, Steps));
        }

        private static Tensor[] Follow(IReadOnlyList<Parameter> parameters, Tensor[] state)
        {
            var moved = new Tensor[state.Length];
            for (var i = 0; i < state.Length; i++)
            {
                var p = parameters[i];
                if (state[i].device_type == p.device_type && state[i].device_index == p.device_index) { moved[i] = state[i]; continue; }
                moved[i] = state[i].to(p.device_type, p.device_index).DetachFromDisposeScope();
                state[i].Dispose();
            }
            return moved;
        }

        public void Dispose()
        {
            foreach (var t in ExpAvgs) t.Dispose();
            foreach (var t in ExpAvgSqs) t.Dispose();
            foreach (var t in Steps) t.Dispose();
        }
    }
}
