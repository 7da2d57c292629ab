namespace TextSSL.Corpora;

/// <summary>One document as a reader produced it, before cleaning.</summary>
/// <param name="Text">The document's text.</param>
/// <param name="Source">The file it came from (or <c>stdin</c>).</param>
/// <param name="Record">Where in the source: the 1-based line a text record starts on, the JSONL line, the CSV row, or the Parquet row.</param>
/// <param name="Label">Its label when the source provides one (folder, file name, field or column); otherwise null.</param>
internal sealed record RawDocument(string Text, string Source, long Record, string? Label = null);
