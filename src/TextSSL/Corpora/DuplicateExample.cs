namespace TextSSL.Corpora;

/// <summary>A dropped duplicate and the earlier document it duplicates, for the report.</summary>
/// <param name="Kind"><c>exact</c> or <c>near</c>.</param>
/// <param name="Source">The dropped document's file.</param>
/// <param name="Record">The dropped document's line or record.</param>
/// <param name="OriginalSource">The kept document's file.</param>
/// <param name="OriginalRecord">The kept document's line or record.</param>
/// <param name="Similarity">Estimated Jaccard similarity (1 for exact duplicates).</param>
/// <param name="Snippet">The first characters of the dropped document.</param>
public sealed record DuplicateExample(string Kind, string Source, long Record, string OriginalSource, long OriginalRecord, double Similarity, string Snippet);
