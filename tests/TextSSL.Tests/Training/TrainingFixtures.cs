using TextSSL.Pretext;
using TextSSL.Runtime;
using TextSSL.Tokenization;
using TextSSL.Training;

namespace TextSSL.Tests.Training;

/// <summary>Small corpora and run options shared by the trainer and pretext tests.</summary>
internal static class TrainingFixtures
{
    private static readonly string[] Words =
    [
        "the", "whale", "sea", "ship", "captain", "harpoon", "white", "deep", "sail", "wind", "boat", "crew", "ocean",
        "storm", "night", "morning", "and", "of", "a", "to", "in", "was", "his", "he", "with", "upon", "all", "old",
    ];

    /// <summary>Deterministic pseudo-English: sentences of words from a small vocabulary.</summary>
    public static string Text(int sentences, long seed = 7)
    {
        var random = new SeededRandom(seed);
        var sb = new System.Text.StringBuilder();
        for (var s = 0; s < sentences; s++)
        {
            var n = 4 + random.NextInt(8);
            for (var w = 0; w < n; w++)
            {
                var word = Words[random.NextInt(Words.Length)];
                sb.Append(w == 0 ? char.ToUpperInvariant(word[0]) + word[1..] : word);
                sb.Append(w == n - 1 ? ". " : " ");
            }
            if (s % 7 == 6) sb.Append('\n');
        }
        return sb.ToString();
    }

    /// <summary>Documents of pseudo-English, tokenized by characters with the specials <paramref name="task"/> needs.</summary>
    public static TrainingData Dataset(string task, int documents = 6, int sentencesPerDocument = 120)
    {
        var docs = Enumerable.Range(0, documents).Select(i => Text(sentencesPerDocument, 100 + i)).ToList();
        var tokenizer = CharTokenizer.Train(string.Concat(docs), PretextTasks.CharTokenizerRoles(task));
        return TrainingData.FromDocuments(docs, tokenizer, 0.1, "fixture");
    }

    /// <summary>Options of a quick run with the tiny preset.</summary>
    public static PretrainingOptions Options(string task, TrainingData data, string outDir, int steps) => new()
    {
        Task = Enum.Parse<TrainingTask>(task, ignoreCase: true), Dataset = data, OutputDirectory = outDir,
        Model = new ModelShapeOptions { Preset = "tiny" },
        Optimization = new OptimizationOptions { Steps = steps, BatchSize = 8, BlockSize = 32, LearningRate = 3e-3, MinLearningRate = 3e-4, Warmup = 5 },
        Evaluation = new EvaluationOptions { EvalEvery = steps, EvalBatches = 4, LogEvery = 1 },
        Runtime = new RuntimeOptions { Device = "cpu", Dtype = ComputeDtype.Fp32, Threads = 1, Seed = 11 },
    };

    /// <summary>Whether two tensors have the same shape and bit-identical values.</summary>
    public static bool Same(TorchSharp.torch.Tensor a, TorchSharp.torch.Tensor b) =>
        a.shape.SequenceEqual(b.shape) && a.eq(b).all().item<bool>();

    /// <summary>A fresh temporary directory, deleted by the caller's TearDown.</summary>
    public static string TempDirectory() => Directory.CreateTempSubdirectory("textssl-train-test-").FullName;

    /// <summary>The repository root (where TextSSL.sln is).</summary>
    public static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "TextSSL.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("repository root not found above the test directory");
    }
}
