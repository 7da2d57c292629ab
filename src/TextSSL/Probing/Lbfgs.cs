namespace TextSSL.Probing;

/// <summary>Limited-memory BFGS over a flat host vector, with a backtracking Armijo line search.</summary>
internal static class Lbfgs
{
    private const double Armijo = 1e-4;

    /// <summary>Minimises a smooth function from <paramref name="start"/>; returns the minimiser, iterations used and whether the tolerance was met.</summary>
    public static (double[] X, int Iterations, bool Converged) Minimize(Func<double[], (double Value, double[] Gradient)> f, double[] start, LogisticRegressionOptions options)
    {
        var x = (double[])start.Clone();
        var (fx, g) = f(x);
        var s = new List<double[]>();
        var y = new List<double[]>();
        var rho = new List<double>();
        for (var iter = 0; iter < options.MaxIterations; iter++)
        {
            if (MaxAbs(g) < options.GradientTolerance) return (x, iter, true);
            var d = Direction(g, s, y, rho);
            var slope = Dot(g, d);
            if (slope >= 0)
            {
                // Curvature pairs went stale (rounding): restart from steepest descent.
                s.Clear(); y.Clear(); rho.Clear();
                d = Scale(g, -1);
                slope = -Dot(g, g);
            }
            // The first step has no curvature estimate: keep it short so it cannot overshoot wildly.
            var step = s.Count == 0 ? Math.Min(1.0, 1.0 / Math.Sqrt(Dot(g, g))) : 1.0;
            double[] xNew;
            double fNew;
            double[] gNew;
            var tries = 0;
            while (true)
            {
                xNew = AddScaled(x, d, step);
                (fNew, gNew) = f(xNew);
                if (fNew <= fx + Armijo * step * slope || ++tries >= 40) break;
                step *= 0.5;
            }
            if (tries >= 40) return (x, iter, MaxAbs(g) < Math.Sqrt(options.GradientTolerance));
            var sk = Subtract(xNew, x);
            var yk = Subtract(gNew, g);
            var sy = Dot(sk, yk);
            if (sy > 1e-12)
            {
                if (s.Count == options.History) { s.RemoveAt(0); y.RemoveAt(0); rho.RemoveAt(0); }
                s.Add(sk); y.Add(yk); rho.Add(1.0 / sy);
            }
            var change = Math.Abs(fx - fNew);
            (x, fx, g) = (xNew, fNew, gNew);
            if (change <= 1e-14 * Math.Max(1.0, Math.Abs(fx))) return (x, iter + 1, true);
        }
        return (x, options.MaxIterations, MaxAbs(g) < options.GradientTolerance);
    }

    // Two-loop recursion: d = -H·g with H the L-BFGS inverse-Hessian estimate.
    private static double[] Direction(double[] g, List<double[]> s, List<double[]> y, List<double> rho)
    {
        var q = (double[])g.Clone();
        var alpha = new double[s.Count];
        for (var i = s.Count - 1; i >= 0; i--)
        {
            alpha[i] = rho[i] * Dot(s[i], q);
            AddInPlace(q, y[i], -alpha[i]);
        }
        if (s.Count > 0)
        {
            var last = s.Count - 1;
            var gamma = Dot(s[last], y[last]) / Dot(y[last], y[last]);
            for (var j = 0; j < q.Length; j++) q[j] *= gamma;
        }
        for (var i = 0; i < s.Count; i++)
        {
            var beta = rho[i] * Dot(y[i], q);
            AddInPlace(q, s[i], alpha[i] - beta);
        }
        for (var j = 0; j < q.Length; j++) q[j] = -q[j];
        return q;
    }

    private static double Dot(double[] a, double[] b)
    {
        var sum = 0.0;
        for (var i = 0; i < a.Length; i++) sum += a[i] * b[i];
        return sum;
    }

    private static double MaxAbs(double[] a)
    {
        var m = 0.0;
        foreach (var v in a) m = Math.Max(m, Math.Abs(v));
        return m;
    }

    private static double[] Scale(double[] a, double k) => a.Select(v => v * k).ToArray();

    private static double[] AddScaled(double[] a, double[] b, double k)
    {
        var r = new double[a.Length];
        for (var i = 0; i < a.Length; i++) r[i] = a[i] + k * b[i];
        return r;
    }

    private static double[] Subtract(double[] a, double[] b)
    {
        var r = new double[a.Length];
        for (var i = 0; i < a.Length; i++) r[i] = a[i] - b[i];
        return r;
    }

    private static void AddInPlace(double[] a, double[] b, double k)
    {
        for (var i = 0; i < a.Length; i++) a[i] += k * b[i];
    }
}
