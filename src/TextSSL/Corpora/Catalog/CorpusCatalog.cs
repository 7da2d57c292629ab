namespace TextSSL.Corpora.Catalog;

/// <summary>The corpora of a catalog folder (<c>corpora/</c>), one <c>NAME/corpus.json</c> each.</summary>
public sealed class CorpusCatalog
{
    /// <summary>Environment variable naming the catalog folder.</summary>
    public const string EnvironmentVariable = "TEXTSSL_CORPORA";

    private CorpusCatalog(string root, IReadOnlyList<CatalogEntry> entries)
    {
        Root = root;
        Entries = entries;
    }

    /// <summary>The catalog folder.</summary>
    public string Root { get; }

    /// <summary>Its entries, by name.</summary>
    public IReadOnlyList<CatalogEntry> Entries { get; }

    /// <summary>
    /// Opens the catalog in <paramref name="root"/>, or else the one named by <c>TEXTSSL_CORPORA</c>, or else the first
    /// <c>corpora/</c> folder found walking up from the current directory or from the program's directory.
    /// </summary>
    /// <exception cref="TextSslException">No catalog folder found.</exception>
    public static CorpusCatalog Open(string? root = null)
    {
        root ??= Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } env ? env : Find();
        if (root is null || !Directory.Exists(root))
            throw new OptionException("Catalog", $"no corpus catalog found{(root is null ? "" : $" at '{root}'")}. Run from the TextSSL repository, name the Catalog folder, or set {EnvironmentVariable}.");
        var entries = Directory.EnumerateDirectories(root).Order(StringComparer.Ordinal)
            .Select(d => Path.Combine(d, CatalogEntry.FileName)).Where(File.Exists).Select(CatalogEntry.Load).ToList();
        return new CorpusCatalog(Path.GetFullPath(root), entries);
    }

    /// <summary>The entry called <paramref name="name"/>.</summary>
    /// <exception cref="TextSslException">No such entry.</exception>
    public CatalogEntry Get(string name) =>
        Entries.FirstOrDefault(e => e.Name == name)
        ?? throw new TextSslException($"no corpus '{name}' in the catalog at '{Root}' (it has: {string.Join(", ", Entries.Select(e => e.Name))}).");

    private static string? Find()
    {
        foreach (var start in (string[])[Directory.GetCurrentDirectory(), AppContext.BaseDirectory])
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "corpora");
                if (Directory.Exists(candidate) && Directory.EnumerateDirectories(candidate).Any(d => File.Exists(Path.Combine(d, CatalogEntry.FileName)))) return candidate;
            }
        return null;
    }
}
