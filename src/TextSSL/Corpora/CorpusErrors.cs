namespace TextSSL.Corpora;

/// <summary>
/// Applies an <see cref="ErrorPolicy"/> to unreadable records: throws a <see cref="TextSslException"/> naming the
/// file and record, or counts the record and keeps the first few for the report. Thread-safe.
/// </summary>
internal sealed class CorpusErrors(ErrorPolicy policy, int keep = 20)
{
    private readonly List<SkippedRecord> _first = [];
    private long _count;

    /// <summary>The policy applied.</summary>
    public ErrorPolicy Policy => policy;

    /// <summary>How many records were skipped.</summary>
    public long Count => Interlocked.Read(ref _count);

    /// <summary>The first skipped records, in the order they were met.</summary>
    public IReadOnlyList<SkippedRecord> First { get { lock (_first) return _first.ToArray(); } }

    /// <summary>Restores the state saved by a checkpoint (a resumed run that does not meet these records again).</summary>
    public void Restore(long count, IEnumerable<SkippedRecord> first)
    {
        Interlocked.Exchange(ref _count, count);
        lock (_first)
        {
            _first.Clear();
            _first.AddRange(first.Take(keep));
        }
    }

    /// <summary>Reports an unreadable record: throws under <see cref="ErrorPolicy.Fail"/>, records it under <see cref="ErrorPolicy.Skip"/>.</summary>
    /// <exception cref="TextSslException">The policy is <see cref="ErrorPolicy.Fail"/>.</exception>
    public void Report(string source, long record, string reason, Exception? cause = null, IReadOnlyList<string>? options = null)
    {
        if (policy == ErrorPolicy.Fail)
        {
            var message = $"{source}:{record}: {reason}. Fix the input, or set OnError to skip such records (they are counted and listed in the report).";
            IReadOnlyList<string> names = [nameof(BuildOptions.OnError), .. options ?? []];
            throw cause is null ? new OptionException(names, message) : new OptionException(names, message, cause);
        }
        Interlocked.Increment(ref _count);
        lock (_first) if (_first.Count < keep) _first.Add(new SkippedRecord(source, record, reason));
    }
}
