namespace TextSSL.Corpora;

/// <summary>One file to read, with the source it was listed from and the format it will be read as.</summary>
/// <param name="Path">The file (or <c>-</c> for stdin).</param>
/// <param name="Spec">The source options that apply to it.</param>
/// <param name="Format">The resolved format (never <see cref="SourceFormat.Auto"/>).</param>
/// <param name="Bytes">Its size on disk; 0 for stdin.</param>
internal sealed record SourceFile(string Path, SourceSpec Spec, SourceFormat Format, long Bytes);
