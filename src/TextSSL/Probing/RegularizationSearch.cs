using static TorchSharp.torch;

namespace TextSSL.Probing;

/// <summary>The λ a search picked, with the held-out score of each candidate.</summary>
/// <param name="L2">The chosen λ.</param>
/// <param name="Scores">Mean held-out accuracy per candidate λ (empty when no search was possible).</param>
/// <param name="Method">How it was chosen, in words (for the report).</param>
internal sealed record RegularizationChoice(double L2, IReadOnlyList<(double L2, double Accuracy)> Scores, string Method);

/// <summary>Chooses the L2 strength of a probe by stratified k-fold cross-validation on the training examples only.</summary>
internal static class RegularizationSearch
{
    /// <summary>The default grid of λ values (SentEval-style decades).</summary>
    public static IReadOnlyList<double> DefaultGrid { get; } = [1e-4, 1e-3, 1e-2, 1e-1, 1.0];

    /// <summary>Above this many examples a single 80/20 validation split replaces k-fold (same decision, a fifth of the fits).</summary>
    public const int HoldoutAbove = 2000;

    /// <summary>
    /// Picks λ from <paramref name="grid"/>: k-fold with k = min(5, smallest class size), or one stratified
    /// validation split above <see cref="HoldoutAbove"/> examples. Ties go to the larger λ (the simpler model).
    /// With a class of one example no fold can test it, so the grid's middle value is used and said so.
    /// </summary>
    public static RegularizationChoice Choose(Tensor x, int[] y, int numClasses, IReadOnlyList<double> grid, int seed, LogisticRegressionOptions solver, CancellationToken ct = default) =>
        Choose(y, numClasses, grid, seed, ct, (trainIdx, testIdx, descending) =>
        {
            using var scope = NewDisposeScope();
            var xTrain = x.index_select(0, tensor(trainIdx.Select(i => (long)i).ToArray(), device: x.device));
            var xTest = x.index_select(0, tensor(testIdx.Select(i => (long)i).ToArray(), device: x.device));
            var yTrain = trainIdx.Select(i => y[i]).ToArray();
            return Path(descending, (l2, previous) => LogisticRegression.Fit(xTrain, yTrain, numClasses, solver with { L2 = l2 }, previous), model => model.Predict(xTest));
        });

    /// <summary>
    /// The same search on sparse features (<see cref="Choose(Tensor, int[], int, IReadOnlyList{double}, int, LogisticRegressionOptions, CancellationToken)"/>
    /// describes it): the same folds and the same choice rule, fitted by the sparse solver.
    /// </summary>
    public static RegularizationChoice Choose(SparseMatrix x, int[] y, int numClasses, IReadOnlyList<double> grid, int seed, LogisticRegressionOptions solver, CancellationToken ct = default) =>
        Choose(y, numClasses, grid, seed, ct, (trainIdx, testIdx, descending) =>
        {
            var xTrain = x.SelectRows(trainIdx);
            var xTest = x.SelectRows(testIdx);
            var yTrain = trainIdx.Select(i => y[i]).ToArray();
            return Path(descending, (l2, previous) => LogisticRegression.Fit(xTrain, yTrain, numClasses, solver with { L2 = l2 }, previous), model => model.Predict(xTest));
        });

    // Strong to weak λ with warm starts: each solution is a good start for the next. Returns the held-out predictions per λ.
    private static int[][] Path(double[] descending, Func<double, LogisticRegressionModel?, LogisticRegressionModel> fit, Func<LogisticRegressionModel, int[]> predict)
    {
        var predictions = new int[descending.Length][];
        LogisticRegressionModel? previous = null;
        try
        {
            for (var g = 0; g < descending.Length; g++)
            {
                var model = fit(descending[g], previous);
                predictions[g] = predict(model);
                previous?.Dispose();
                previous = model;
            }
        }
        finally
        {
            previous?.Dispose();
        }
        return predictions;
    }

    // fitPath(train rows, held-out rows, λ strong to weak) → held-out predictions per λ.
    private static RegularizationChoice Choose(int[] y, int numClasses, IReadOnlyList<double> grid, int seed, CancellationToken ct, Func<int[], int[], double[], int[][]> fitPath)
    {
        if (grid.Count == 0) throw new TextSslException("the L2 grid is empty.");
        var descending = grid.Distinct().OrderDescending().ToArray();
        if (descending.Length == 1) return new RegularizationChoice(descending[0], [], "fixed");
        var smallest = Enumerable.Range(0, numClasses).Select(c => y.Count(v => v == c)).Where(n => n > 0).Min();
        if (smallest < 2)
        {
            var middle = descending[descending.Length / 2];
            return new RegularizationChoice(middle, [], "no cross-validation (a class has a single example); grid middle");
        }
        var holdout = y.Length > HoldoutAbove;
        var folds = holdout ? 5 : Math.Min(5, smallest);
        var assignment = StratifiedFolds(y, folds, seed);
        var rounds = holdout ? 1 : folds;
        var correct = new double[descending.Length];
        var total = 0;
        for (var fold = 0; fold < rounds; fold++)
        {
            ct.ThrowIfCancellationRequested();
            var trainIdx = Enumerable.Range(0, y.Length).Where(i => assignment[i] != fold).ToArray();
            var testIdx = Enumerable.Range(0, y.Length).Where(i => assignment[i] == fold).ToArray();
            var predictions = fitPath(trainIdx, testIdx, descending);
            for (var g = 0; g < descending.Length; g++)
                correct[g] += testIdx.Where((idx, j) => predictions[g][j] == y[idx]).Count();
            total += testIdx.Length;
        }
        var scores = descending.Select((l2, g) => (l2, correct[g] / total)).ToList();
        var best = 0;
        for (var g = 1; g < scores.Count; g++)
            if (scores[g].Item2 > scores[best].Item2 + 1e-12) best = g;
        var method = holdout ? "80/20 validation split" : $"{folds}-fold cross-validation";
        return new RegularizationChoice(scores[best].l2, scores, method);
    }

    /// <summary>Assigns each example a fold in [0, <paramref name="folds"/>) so that every class is spread evenly.</summary>
    public static int[] StratifiedFolds(int[] y, int folds, int seed)
    {
        var rng = new Random(seed);
        var assignment = new int[y.Length];
        foreach (var group in Enumerable.Range(0, y.Length).GroupBy(i => y[i]).OrderBy(g => g.Key))
        {
            var members = group.ToArray();
            rng.Shuffle(members);
            // Continue the round-robin across classes so small classes do not all land in fold 0.
            for (var j = 0; j < members.Length; j++) assignment[members[j]] = (j + group.Key) % folds;
        }
        return assignment;
    }
}
