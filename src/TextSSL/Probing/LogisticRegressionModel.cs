using TorchSharp;
using static TorchSharp.torch;

namespace TextSSL.Probing;

/// <summary>A fitted multinomial logistic regression: standardization statistics, weights and biases.</summary>
public sealed class LogisticRegressionModel : IDisposable
{
    private readonly Tensor _mean;
    private readonly Tensor _std;

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

    /// <summary>Number of input features.</summary>
    public int Features { get; }

    /// <summary>Number of classes.</summary>
    public int Classes { get; }

    /// <summary>L-BFGS iterations the fit took.</summary>
    public int Iterations { get; }

    /// <summary>Whether the fit met its tolerance before the iteration cap.</summary>
    public bool Converged { get; }

    /// <summary>Flat parameters: the weight matrix (features × classes, row-major, on standardized features), then the biases.</summary>
    internal double[] Parameters { get; }

    /// <summary>The weight of <paramref name="feature"/> (standardized) for class <paramref name="cls"/>.</summary>
    public double Weight(int feature, int cls) => Parameters[feature * Classes + cls];

    /// <summary>The bias of class <paramref name="cls"/>.</summary>
    public double Bias(int cls) => Parameters[Features * Classes + cls];

    /// <summary>Class scores (N, classes) for raw (unstandardized) features.</summary>
    public Tensor Logits(Tensor x)
    {
        using var scope = NewDisposeScope();
        var dtype = _mean.dtype;
        using var one = 1.0.ToScalar();
        var xs = x.to(dtype).to(_mean.device).sub(_mean).div_(_std);
        var w = tensor(Parameters.AsSpan(0, Features * Classes).ToArray(), [Features, Classes]).to(dtype).to(_mean.device);
        var b = tensor(Parameters.AsSpan(Features * Classes, Classes).ToArray()).to(dtype).to(_mean.device);
        return xs.mm(w).add_(b, one).MoveToOuterDisposeScope();
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
        _mean.Dispose();
        _std.Dispose();
    }
}
