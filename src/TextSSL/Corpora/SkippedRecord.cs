namespace TextSSL.Corpora;

/// <summary>A record that could not be read and was skipped under <see cref="ErrorPolicy.Skip"/>.</summary>
/// <param name="Source">The file.</param>
/// <param name="Record">The line, row or record number.</param>
/// <param name="Reason">What was wrong.</param>
public sealed record SkippedRecord(string Source, long Record, string Reason)
{
    /// <inheritdoc/>
    public override string ToString() => $"{Source}:{Record}: {Reason}";
}
