using TorchSharp;
using static TorchSharp.torch;

namespace TextSSL.Probing;

/// <summary>Settings of one logistic-regression fit.</summary>
/// <param name="L2">λ in mean cross-entropy + λ/2·‖W‖² (the bias is not penalised).</param>
/// <param name="MaxIterations">L-BFGS iteration cap.</param>
/// <param name="GradientTolerance">Stop when every gradient entry is below this in magnitude.</param>
/// <param name="History">L-BFGS memory (correction pairs kept).</param>
public sealed record LogisticRegressionOptions(double L2 = 1e-2, int MaxIterations = 200, double GradientTolerance = 1e-5, int History = 10);

/// <summary>
/// Multinomial logistic regression with L2 on standardized features, solved to convergence by L-BFGS with
/// a backtracking (Armijo) line search. The objective is convex, so the solution does not depend on the start.
/// </summary>
/// <remarks>
/// Loss and gradient are computed with torch on the features' device (CUDA when they live there); the
/// L-BFGS bookkeeping runs on the host over the flat parameter vector (features × classes + classes values),
/// which is small even for 20,000 TF-IDF features. Small problems are solved in fp64 for exact optima.
/// </remarks>
public static class LogisticRegression
{
    private const long Fp64Limit = 4_000_000;

    /// <summary>Fits on (N, D) features <paramref name="x"/> and class indices <paramref name="y"/>.</summary>
    /// <param name="x">Features, any float dtype and device.</param>
    /// <param name="y">Class index of each row, in [0, <paramref name="numClasses"/>).</param>
    /// <param name="numClasses">Number of classes (classes absent from <paramref name="y"/> are allowed).</param>
    /// <param name="options">λ and solver limits.</param>
    /// <param name="warmStart">Parameters of an earlier fit on the same features (speeds up a λ path).</param>
    public static LogisticRegressionModel Fit(Tensor x, int[] y, int numClasses, LogisticRegressionOptions options, LogisticRegressionModel? warmStart = null)
    {
        if (x.dim() != 2 || x.shape[0] != y.Length) throw new ArgumentException($"features are {string.Join("x", x.shape)} for {y.Length} labels.", nameof(x));
        if (y.Length == 0) throw new ArgumentException("no training examples.", nameof(y));
        if (y.Any(c => c < 0 || c >= numClasses)) throw new ArgumentOutOfRangeException(nameof(y), "a label is outside [0, numClasses).");
        var n = x.shape[0];
        var d = x.shape[1];
        var dtype = n * d <= Fp64Limit ? ScalarType.Float64 : ScalarType.Float32;
        using var scope = NewDisposeScope();
        var xw = x.to(dtype);
        var mean = xw.mean([0], keepdim: true);
        var std = xw.std(0, unbiased: false, keepdim: true);
        // Constant columns carry no information; dividing by ~0 would only amplify noise.
        std = where(std.lt(1e-8), ones_like(std), std);
        var xs = xw.sub(mean).div_(std);
        var onehot = nn.functional.one_hot(tensor(y.Select(v => (long)v).ToArray(), device: x.device), numClasses).to(dtype);
        var warm = warmStart is not null && warmStart.Features == d && warmStart.Classes == numClasses ? warmStart.Parameters : null;
        double[] parameters;
        int iterations;
        bool converged;
        Tensor? keep = null, eigenvalues = null, eigenvectors = null;
        if (d > n)
        {
            (eigenvalues, eigenvectors) = linalg.eigh(xs.mm(xs.t()));
            // Directions below rounding noise of the Gram matrix carry nothing but noise.
            var floor = eigenvalues.max().to(ScalarType.Float64).item<double>() * (dtype == ScalarType.Float32 ? 1e-6 : 1e-12);
            keep = eigenvalues.gt(Math.Max(floor, 1e-30)).nonzero().squeeze(1);
        }
        if (keep is null || keep.shape[0] == 0)
        {
            var objective = new Objective(xs, onehot, (int)d, numClasses, options.L2, dtype);
            (parameters, iterations, converged) = Lbfgs.Minimize(objective.Evaluate, warm ?? new double[d * numClasses + numClasses], options);
        }
        else
        {
            // More features than examples (TF-IDF, few labels): with xs = U·S·Vᵀ, the optimal W = V·Z lies in the
            // row space and ‖W‖ = ‖Z‖, so the same problem is solved exactly on the n×r features U·S at a
            // fraction of the cost per iteration. U, S come from the eigendecomposition of the Gram matrix.
            var u = eigenvectors!.index_select(1, keep);
            var sv = eigenvalues!.index_select(0, keep).sqrt();
            var r = (int)sv.shape[0];
            var reduced = u * sv;                      // (n, r) = U·S
            var toFeatures = xs.t().mm(u / sv);        // (d, r) = V
            double[]? start = null;
            if (warm is not null)
            {
                // Z = Vᵀ·W for the earlier solution; the biases carry over.
                var w0 = tensor(warm.AsSpan(0, (int)d * numClasses).ToArray(), [d, numClasses]).to(dtype).to(x.device);
                var z0 = toFeatures.t().mm(w0).flatten().to(ScalarType.Float64).cpu().data<double>().ToArray();
                start = [.. z0, .. warm.AsSpan((int)d * numClasses, numClasses)];
            }
            var objective = new Objective(reduced, onehot, r, numClasses, options.L2, dtype);
            (var z, iterations, converged) = Lbfgs.Minimize(objective.Evaluate, start ?? new double[r * numClasses + numClasses], options);
            var zt = tensor(z.AsSpan(0, r * numClasses).ToArray(), [r, numClasses]).to(dtype).to(x.device);
            var w = toFeatures.mm(zt).flatten().to(ScalarType.Float64).cpu().data<double>().ToArray();
            parameters = [.. w, .. z.AsSpan(r * numClasses, numClasses)];
        }
        return new LogisticRegressionModel(mean.MoveToOuterDisposeScope(), std.MoveToOuterDisposeScope(), parameters, (int)d, numClasses, iterations, converged);
    }

    private sealed class Objective(Tensor xs, Tensor onehot, int d, int c, double l2, ScalarType dtype)
    {
        public (double Value, double[] Gradient) Evaluate(double[] theta)
        {
            using var scope = NewDisposeScope();
            // TorchSharp's arithmetic operators create Scalars (alpha = 1, divisors) that only the garbage collector
            // frees, and a finalizer can free one while libtorch still reads it; this loop runs thousands of times
            // and allocates enough to make that race real. Explicit Scalars, alive until the end, avoid it.
            using var one = 1.0.ToScalar();
            using var invN = (1.0 / xs.shape[0]).ToScalar();
            var w = tensor(theta.AsSpan(0, d * c).ToArray(), [d, c]).to(dtype).to(xs.device);
            var b = tensor(theta.AsSpan(d * c, c).ToArray()).to(dtype).to(xs.device);
            var logp = nn.functional.log_softmax(xs.mm(w).add_(b, one), 1);
            var nll = logp.mul(onehot).sum().mul_(invN).neg_();
            var g = logp.exp().sub_(onehot).mul_(invN);
            var grad = cat([xs.t().mm(g).flatten(), g.sum([0])]).to(ScalarType.Float64).cpu().data<double>().ToArray();
            var penalty = 0.0;
            for (var i = 0; i < d * c; i++)
            {
                penalty += theta[i] * theta[i];
                grad[i] += l2 * theta[i];
            }
            return (nll.to(ScalarType.Float64).item<double>() + 0.5 * l2 * penalty, grad);
        }
    }
}
