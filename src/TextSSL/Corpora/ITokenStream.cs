namespace TextSSL.Corpora;

/// <summary>
/// A split of a corpus as one long sequence of token ids (documents separated by the end-of-text token),
/// readable at any offset without holding the whole split in memory. The trainer's data source.
/// </summary>
public interface ITokenStream
{
    /// <summary>Number of tokens in the stream.</summary>
    long Count { get; }

    /// <summary>Copies <c>destination.Length</c> tokens starting at <paramref name="start"/> into <paramref name="destination"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The range runs past <see cref="Count"/>.</exception>
    void CopyTo(long start, Span<int> destination);
}

/// <summary>A token stream held in an array (small experiments, text tokenized in memory).</summary>
/// <param name="tokens">The ids.</param>
public sealed class InMemoryTokenStream(int[] tokens) : ITokenStream
{
    /// <inheritdoc/>
    public long Count => tokens.Length;

    /// <inheritdoc/>
    public void CopyTo(long start, Span<int> destination)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(start);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(start + destination.Length, Count);
        tokens.AsSpan((int)start, destination.Length).CopyTo(destination);
    }
}
