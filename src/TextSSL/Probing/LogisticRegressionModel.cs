using TorchSharp;
using static TorchSharp.torch;

namespace TextSSL.Probing;

/// <summary>A fitted multinomial logistic regression: standardization statistics, weights and biases.</summary>
/// <remarks>
/// A model fitted on dense features keeps per-column mean and std as tensors and scores tensors; one fitted on
/// sparse features keeps only per-column scales (no centring, see <see cref="LogisticRegression.Fit(SparseMatrix, int[], int, LogisticRegressionOptions, LogisticRegressionModel?)"/>)
/// and scores both sparse rows and tensors.
/// </remarks>
internal sealed class LogisticRegressionModel : IDisposable
{
    private readonly Tensor? _mean;
    private readonly Tensor? _std;
    private readonly double[]? _scale;

    internal LogisticRegressionModel(Tensor mean, Tensor std, double[] parameters, int features, int classes, int iterations, bool converged)
    {
        _mean = mean;
        _std = std;
        Parameters = parameters;
        Features = features;
        Classes = classes;
        Iterations = iterations;
        Converged = converged;
    }

    internal LogisticRegressionModel(double[] scale, double[] parameters, int features, int classes, int iterations, bool converged)
    {
        _scale = scale;
        Parameters = parameters;
        Features = features;
        Classes = classes;
        Iterations = iterations;
        Converged = converged;
    }

    /// <summary>Whether the model was fitted on sparse features (columns scaled, not centred).</summary>
    internal bool IsScaleOnly => _scale is not null;

    /// <summary>Number of input features.</summary>
    public int Features { get; }

    /// <summary>Number of classes.</summary>
    public int Classes { get; }

    /// <summary>L-BFGS iterations the fit took.</summary>
    public int Iterations { get; }

    /// <summary>Whether the fit met its tolerance before the iteration cap.</summary>
    public bool Converged { get; }

    /// <summary>Flat parameters: the weight matrix (features × classes, row-major, on standardized (or, for sparse fits, scaled) features), then the biases.</summary>
    internal double[] Parameters { get; }

    /// <summary>The weight of <paramref name="feature"/> (standardized) for class <paramref name="cls"/>.</summary>
    public double Weight(int feature, int cls) => Parameters[feature * Classes + cls];

    /// <summary>The bias of class <paramref name="cls"/>.</summary>
    public double Bias(int cls) => Parameters[Features * Classes + cls];

    /// <summary>Class scores (N, classes) for raw (unstandardized) features.</summary>
    public Tensor Logits(Tensor x)
    {
        using var scope = NewDisposeScope();
        var mean = _mean ?? zeros([1, Features], ScalarType.Float64);
        var std = _std ?? tensor(_scale!.Select(v => 1.0 / v).ToArray(), [1, Features]);
        var dtype = mean.dtype;
        using var one = 1.0.ToScalar();
        var xs = x.to(dtype).to(mean.device).sub(mean).div_(std);
        var w = tensor(Parameters.AsSpan(0, Features * Classes).ToArray(), [Features, Classes]).to(dtype).to(mean.device);
        var b = tensor(Parameters.AsSpan(Features * Classes, Classes).ToArray()).to(dtype).to(mean.device);
        return xs.mm(w).add_(b, one).MoveToOuterDisposeScope();
    }

    /// <summary>The most likely class of each sparse row (raw features); only for models fitted on sparse features.</summary>
    /// <exception cref="InvalidOperationException">The model was fitted on dense features.</exception>
    public int[] Predict(SparseMatrix x)
    {
        if (_scale is null) throw new InvalidOperationException("this model was fitted on dense features; score dense features with it.");
        if (x.Columns != Features) throw new ArgumentException($"features have {x.Columns} columns; the model {Features}.", nameof(x));
        var result = new int[x.Rows];
        var z = new double[Classes];
        var bias = Parameters.AsSpan(Features * Classes, Classes);
        for (var i = 0; i < x.Rows; i++)
        {
            bias.CopyTo(z);
            var cols = x.RowColumns(i);
            var vals = x.RowValues(i);
            for (var p = 0; p < cols.Length; p++)
            {
                var v = vals[p] * _scale[cols[p]];
                var row = Parameters.AsSpan(cols[p] * Classes, Classes);
                for (var m = 0; m < Classes; m++) z[m] += v * row[m];
            }
            var best = 0;
            for (var m = 1; m < Classes; m++)
                if (z[m] > z[best]) best = m;
            result[i] = best;
        }
        return result;
    }

    /// <summary>The most likely class of each row; scored in chunks so large test sets fit in memory.</summary>
    public int[] Predict(Tensor x, int chunk = 4096)
    {
        var n = (int)x.shape[0];
        var result = new int[n];
        for (var start = 0; start < n; start += chunk)
        {
            using var scope = NewDisposeScope();
            var end = Math.Min(n, start + chunk);
            var predicted = Logits(x[start..end]).argmax(1).to(ScalarType.Int64).cpu().data<long>().ToArray();
            for (var i = 0; i < predicted.Length; i++) result[start + i] = (int)predicted[i];
        }
        return result;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _mean?.Dispose();
        _std?.Dispose();
    }
}
