using TorchSharp;

namespace TextSSL.Probing;

/// <summary>
/// The probe's TF-IDF baseline: sparse TF-IDF rows of the training texts then the test texts (vocabulary and IDF
/// from the training texts only), and one sparse logistic-regression fit per training sample, λ chosen by
/// <see cref="RegularizationSearch"/> as for every other probe.
/// </summary>
internal sealed class TfidfBaseline
{
    private TfidfBaseline(TfidfVectorizer vectorizer, SparseMatrix features, int trainCount)
    {
        Vectorizer = vectorizer;
        Features = features;
        TrainCount = trainCount;
    }

    /// <summary>The fitted vectorizer.</summary>
    public TfidfVectorizer Vectorizer { get; }

    /// <summary>TF-IDF rows: the <see cref="TrainCount"/> training texts, then the test texts.</summary>
    public SparseMatrix Features { get; }

    /// <summary>Number of training rows at the top of <see cref="Features"/>.</summary>
    public int TrainCount { get; }

    /// <summary>Fits the vocabulary and IDF on <paramref name="trainTexts"/> and vectorizes both splits.</summary>
    public static TfidfBaseline Create(IReadOnlyList<string> trainTexts, IReadOnlyList<string> testTexts, TfidfOptions options, CancellationToken ct = default)
    {
        var vectorizer = TfidfVectorizer.Fit(trainTexts, options, ct);
        var features = vectorizer.Transform([.. trainTexts, .. testTexts], ct);
        return new TfidfBaseline(vectorizer, features, trainTexts.Count);
    }

    /// <summary>
    /// The same rows with dense features <paramref name="dense"/> ((training + test rows, D) on any device, rows in
    /// the order of <see cref="Features"/>) appended as D more columns: the pretrained+TF-IDF probe. The solver
    /// standardises every column on the training sample, so both blocks enter on the same scale per column.
    /// </summary>
    public TfidfBaseline WithDenseColumns(torch.Tensor dense)
    {
        if (dense.dim() != 2 || dense.shape[0] != Features.Rows)
            throw new ArgumentException($"dense features are {string.Join("x", dense.shape)} for {Features.Rows} rows.", nameof(dense));
        using var host = dense.detach().to(torch.ScalarType.Float32).cpu().contiguous();
        var values = host.data<float>().ToArray();
        return new TfidfBaseline(Vectorizer, Features.AppendDenseColumns(values, (int)dense.shape[1]), TrainCount);
    }

    /// <summary>
    /// Chooses λ on the training rows <paramref name="sample"/> (labels <paramref name="yTrain"/>), fits on all of
    /// them and predicts every test row.
    /// </summary>
    public (int[] Predicted, RegularizationChoice Choice) FitAndPredict(int[] sample, int[] yTrain, int numClasses, IReadOnlyList<double> grid, int seed, LogisticRegressionOptions solver, CancellationToken ct = default)
    {
        if (sample.Any(i => i < 0 || i >= TrainCount)) throw new ArgumentOutOfRangeException(nameof(sample), $"a sample index is outside the {TrainCount} training rows.");
        var xTrain = Features.SelectRows(sample);
        var choice = RegularizationSearch.Choose(xTrain, yTrain, numClasses, grid, seed, solver, ct);
        ct.ThrowIfCancellationRequested();
        using var model = LogisticRegression.Fit(xTrain, yTrain, numClasses, solver with { L2 = choice.L2 });
        return (model.Predict(Features.SliceRows(TrainCount, Features.Rows)), choice);
    }
}
