namespace TextSSL.Corpora;

/// <summary>How a source's bytes are read into documents.</summary>
public enum SourceFormat
{
    /// <summary>Chosen per file from its extension (<c>.txt/.md</c>, <c>.jsonl[.gz|.zst]</c>, <c>.csv</c>, <c>.tsv</c>, <c>.parquet</c>, <c>.eml</c>); unknown extensions read as text.</summary>
    Auto,
    /// <summary>Plain UTF-8 text split into documents by a <see cref="DocumentBoundary"/>.</summary>
    Text,
    /// <summary>One JSON object per line; the document is one string field.</summary>
    JsonLines,
    /// <summary>Comma-separated values; the document is one column.</summary>
    Csv,
    /// <summary>Tab-separated values; the document is one column.</summary>
    Tsv,
    /// <summary>Apache Parquet; the document is one string column.</summary>
    Parquet,
    /// <summary>One RFC-822 email per file: headers stripped, body decoded, HTML turned into text.</summary>
    Email,
}

/// <summary>Where one document of a text source ends.</summary>
public enum DocumentBoundary
{
    /// <summary>The whole file is one document.</summary>
    File,
    /// <summary>Every line is a document.</summary>
    Line,
    /// <summary>Blank lines separate documents.</summary>
    Paragraph,
    /// <summary>A line holding only <see cref="SourceSpec.Separator"/> separates documents (e.g. <c>%</c> in fortune files).</summary>
    Separator,
}

/// <summary>Where a document's label comes from.</summary>
public enum LabelSource
{
    /// <summary>No label.</summary>
    None,
    /// <summary>The name of the folder holding the file.</summary>
    Folder,
    /// <summary>The file name without its extension.</summary>
    File,
    /// <summary>A JSON field or CSV/TSV/Parquet column named by <see cref="SourceSpec.LabelField"/>.</summary>
    Field,
}

/// <summary>What to do with a record that cannot be read (malformed JSON, invalid UTF-8, missing column value...).</summary>
public enum ErrorPolicy
{
    /// <summary>Stop with an error naming the file and the line or record.</summary>
    Fail,
    /// <summary>Skip the record, count it and list the first ones in the report.</summary>
    Skip,
}
