using System.Text.RegularExpressions;

namespace TextSSL;

/// <summary>What kind of directory TextSSL wrote, as recorded by its owner marker or recognised by its own files.</summary>
internal enum OutputKind
{
    /// <summary>A saved tokenizer (<c>tokenizer.json</c> + <c>fingerprint.txt</c>).</summary>
    Tokenizer,

    /// <summary>A model checkpoint (<c>model.json</c> + <c>model.bin</c>).</summary>
    Checkpoint,

    /// <summary>A training run's output directory (<c>best/</c>, <c>last/</c>, <c>metrics.csv</c>).</summary>
    TrainingRun,

    /// <summary>One split of a labelled CSV written as a folder of numbered text files.</summary>
    SplitTexts,

    /// <summary>A prepared corpus's work directory (<c>.prep-work</c>).</summary>
    PrepWork,

    /// <summary>A catalog corpus's data folder, as fetched (<c>corpora/NAME/data</c>).</summary>
    CatalogData,

    /// <summary>Any other directory TextSSL wrote whole.</summary>
    Other,
}

/// <summary>
/// The rule that keeps TextSSL from deleting what it did not write: a directory may be replaced only when it is empty,
/// or TextSSL wrote it — recognisable by the owner marker <see cref="MarkerFile"/> inside it (which names the
/// <see cref="OutputKind"/>) or, for kinds with their own manifest, by that manifest and nothing foreign beside it.
/// Everything else is refused with a message saying what is there.
/// </summary>
internal static partial class OutputOwnership
{
    /// <summary>The owner marker: a small text file whose first line is the kind (<c>split-texts</c>, ...).</summary>
    public const string MarkerFile = ".textssl-owner";

    private static readonly HashSet<string> TokenizerFileNames = new(StringComparer.Ordinal)
    {
        // TextSSL's sidecar (today's name and the previous version's), its data files, and the Hugging Face files it writes beside them
        Tokenization.TokenizerFiles.Sidecar, "tokenizer.json", Tokenization.TokenizerFiles.FingerprintFile, "chars.txt", "vocab.tiktoken", "vocab.json", "merges.txt", "vocab.txt",
        "tokenizer_config.json", "special_tokens_map.json", MarkerFile,
    };

    private static readonly HashSet<string> CheckpointNames = new(StringComparer.Ordinal)
    {
        "model.json", "model.bin", "tokenizer", "trainer.json", "optimizer.bin", "torch_rng.bin", MarkerFile,
    };

    private static readonly HashSet<string> RunNames = new(StringComparer.Ordinal)
    {
        "best", "last", "metrics.csv", OutputLock.LockFile, OutputLock.HolderFile, MarkerFile,
    };

    /// <summary>The marker's spelling of a kind (<c>training-run</c>).</summary>
    public static string Spelling(OutputKind kind) => kind switch
    {
        OutputKind.Tokenizer => "tokenizer",
        OutputKind.Checkpoint => "checkpoint",
        OutputKind.TrainingRun => "training-run",
        OutputKind.SplitTexts => "split-texts",
        OutputKind.PrepWork => "prep-work",
        OutputKind.CatalogData => "catalog-data",
        _ => "other",
    };

    /// <summary>Writes the owner marker naming <paramref name="kind"/> into <paramref name="directory"/>.</summary>
    public static void Mark(string directory, OutputKind kind) =>
        AtomicFile.WriteAllText(Path.Combine(directory, MarkerFile),
            Spelling(kind) + "\nwritten by TextSSL: TextSSL may replace this directory when it writes the same kind of output here again.\n");

    /// <summary>
    /// The kind of TextSSL output <paramref name="directory"/> holds: from its owner marker, else recognised by its own
    /// files (directories written before markers existed). Null when it is not recognisably TextSSL's (or is empty).
    /// </summary>
    public static OutputKind? KindOf(string directory)
    {
        var full = Path.GetFullPath(directory);
        if (!Directory.Exists(full)) return null;
        var marker = Path.Combine(full, MarkerFile);
        if (File.Exists(marker))
        {
            var first = File.ReadLines(marker).FirstOrDefault()?.Trim();
            foreach (var kind in Enum.GetValues<OutputKind>())
                if (Spelling(kind) == first) return kind;
            return null;
        }
        var entries = new DirectoryInfo(full).GetFileSystemInfos();
        if (entries.Length == 0) return null;
        bool Has(string name) => entries.Any(e => e.Name == name);
        bool IsFile(FileSystemInfo e) => e is FileInfo && !e.Attributes.HasFlag(FileAttributes.ReparsePoint);
        bool IsDir(FileSystemInfo e) => e is DirectoryInfo && !e.Attributes.HasFlag(FileAttributes.ReparsePoint);
        if ((Has(Tokenization.TokenizerFiles.Sidecar) || Has("tokenizer.json")) && Has(Tokenization.TokenizerFiles.FingerprintFile) && entries.All(e => IsFile(e) && TokenizerFileNames.Contains(e.Name)))
            return OutputKind.Tokenizer;
        if (Has("model.json") && Has("model.bin")
            && entries.All(e => (IsFile(e) && (CheckpointNames.Contains(e.Name) || CheckpointExtra().IsMatch(e.Name)))
                                || (IsDir(e) && e.Name == "tokenizer" && KindOf(e.FullName) == OutputKind.Tokenizer)))
            return OutputKind.Checkpoint;
        if ((Has("best") || Has("last") || Has("metrics.csv"))
            && entries.All(e => RunNames.Contains(e.Name) ? (e.Name is "best" or "last" ? IsDir(e) : IsFile(e)) : SwapLeftover().IsMatch(e.Name))
            && entries.Where(e => e.Name is "best" or "last").All(e => IsEmptyOrCheckpoint(e.FullName)))
            return OutputKind.TrainingRun;
        if (entries.All(e => IsFile(e) && SplitText().IsMatch(e.Name))) return OutputKind.SplitTexts;
        return null;
    }

    private static bool IsEmptyOrCheckpoint(string dir) =>
        KindOf(dir) == OutputKind.Checkpoint || !Directory.EnumerateFileSystemEntries(dir).Any();

    /// <summary>Whether <paramref name="directory"/> exists and holds nothing.</summary>
    public static bool IsEmpty(string directory) => Directory.Exists(directory) && !Directory.EnumerateFileSystemEntries(directory).Any();

    /// <summary>
    /// Throws unless <paramref name="directory"/> may be replaced by output of <paramref name="kind"/>: it does not exist,
    /// is empty, or TextSSL wrote it as that kind (null <paramref name="kind"/>: any kind TextSSL recognises as its own).
    /// </summary>
    /// <exception cref="TextSslException">A file is there, or a directory TextSSL did not write (or wrote as another kind).</exception>
    public static void EnsureReplaceable(string directory, OutputKind? kind)
    {
        var full = Path.GetFullPath(directory);
        if (File.Exists(full))
            throw new TextSslException($"'{full}' is a file, not a directory. Choose a directory path for the output (a new or an empty one).");
        if (!Directory.Exists(full) || IsEmpty(full)) return;
        var found = KindOf(full);
        if (found is null)
            throw new TextSslException($"'{full}' already holds {Describe(full)} that TextSSL did not write; TextSSL replaces only directories it wrote itself. " +
                                       "Choose a new or an empty directory for the output, or move those files away.");
        if (kind is not null && found != kind)
            throw new TextSslException($"'{full}' holds a TextSSL {Spelling(found.Value)}, not a {Spelling(kind.Value)}; it is not replaced by another kind of output. Choose another directory.");
    }

    /// <summary>
    /// Deletes <paramref name="directory"/> and everything in it, only after checking that TextSSL wrote it as
    /// <paramref name="kind"/> (see <see cref="EnsureReplaceable"/>); an absent directory is left absent.
    /// </summary>
    /// <exception cref="TextSslException">It is not TextSSL's: nothing is deleted.</exception>
    public static void DeleteOwned(string directory, OutputKind? kind)
    {
        var full = Path.GetFullPath(directory);
        if (!Directory.Exists(full)) return;
        EnsureReplaceable(full, kind);
        Directory.Delete(full, recursive: true);
    }

    /// <summary>One phrase for a directory's content, for refusals: "3 entries (notes.txt, data/, …)".</summary>
    public static string Describe(string directory)
    {
        var entries = new DirectoryInfo(directory).GetFileSystemInfos().OrderBy(e => e.Name, StringComparer.Ordinal).ToList();
        var shown = string.Join(", ", entries.Take(3).Select(e => e is DirectoryInfo ? e.Name + "/" : e.Name));
        return $"{entries.Count} {(entries.Count == 1 ? "entry" : "entries")} ({shown}{(entries.Count > 3 ? ", …" : "")})";
    }

    [GeneratedRegex(@"^[\w.-]+\.(json|bin|txt|sha256)(\.tmp-[\w-]+)?$")]
    private static partial Regex CheckpointExtra();

    [GeneratedRegex(@"^\.(best|last)\.(tmp|old)-[\w-]+$")]
    private static partial Regex SwapLeftover();

    [GeneratedRegex(@"^\d{6}\.txt$")]
    private static partial Regex SplitText();
}
