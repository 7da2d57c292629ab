namespace TextSSL.Corpora.Catalog;

/// <summary>Downloads one package archive into a folder with a registry client; replaceable in tests.</summary>
public interface IPackageClient
{
    /// <summary>Downloads <paramref name="package"/> into <paramref name="directory"/> and returns the archive's path.</summary>
    /// <exception cref="TextSslException">The client is missing or failed.</exception>
    Task<string> DownloadAsync(string manager, PackageRef package, string directory, CancellationToken ct);

    /// <summary>Unpacks a Debian package into <paramref name="directory"/> (<c>dpkg -x</c>).</summary>
    Task UnpackDebAsync(string deb, string directory, CancellationToken ct);
}
