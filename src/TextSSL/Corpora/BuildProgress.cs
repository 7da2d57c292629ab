namespace TextSSL.Corpora;

/// <summary>A snapshot of a running build, for progress bars.</summary>
/// <param name="BytesRead">Input bytes read so far.</param>
/// <param name="TotalBytes">Input bytes in all (0 when unknown, e.g. stdin).</param>
/// <param name="DocumentsRead">Documents read.</param>
/// <param name="DocumentsKept">Documents written to shards.</param>
/// <param name="Tokens">Tokens written.</param>
/// <param name="Replaying">True while a resumed run re-reads the part already written, to rebuild dedup state.</param>
public sealed record BuildProgress(long BytesRead, long TotalBytes, long DocumentsRead, long DocumentsKept, long Tokens, bool Replaying);

/// <summary>The outcome of a build.</summary>
/// <param name="Manifest">The manifest written.</param>
/// <param name="ManifestPath">Where it was written.</param>
/// <param name="BytesRead">Input bytes read.</param>
/// <param name="Elapsed">Wall-clock time of the build.</param>
/// <param name="Resumed">Whether the run continued from a checkpoint.</param>
public sealed record BuildResult(CorpusManifest Manifest, string ManifestPath, long BytesRead, TimeSpan Elapsed, bool Resumed);
