using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace TextSSL.Corpora;

/// <summary>
/// One part of a build split across machines: part <see cref="Index"/> of <see cref="Count"/>. A part reads only
/// its share of the inputs and writes what a merge needs (see <see cref="CorpusBuilder.MergeAsync"/>).
/// </summary>
/// <remarks>
/// The share is decided per file: a file belongs to part <c>1 + h mod Count</c>, where <c>h</c> is the first 8 bytes
/// (little-endian) of the SHA-256 of its path relative to the source it was listed from (its file name for a source
/// that is a file), with <c>/</c> as separator. Adding files never moves existing ones to another part, and the
/// share does not depend on where the corpus is mounted. When the inputs are one single file, the share is decided
/// per record instead: the k-th document of the file (0-based) belongs to part <c>1 + k mod Count</c>, so appending
/// records never moves existing ones either.
/// </remarks>
/// <param name="Index">The part, 1-based.</param>
/// <param name="Count">How many parts the build has.</param>
public sealed record BuildPart(int Index, int Count)
{
    /// <summary>The property name errors about the part carry (see <see cref="OptionException"/>).</summary>
    public const string OptionName = "Part";

    /// <summary>The most parts one build may have.</summary>
    public const int MaxCount = 100_000;

    /// <summary>Parses <c>I/N</c> (e.g. <c>3/8</c>).</summary>
    /// <exception cref="OptionException">Not of that form, or out of range.</exception>
    public static BuildPart Parse(string text)
    {
        var slash = text.IndexOf('/');
        if (slash < 0
            || !int.TryParse(text.AsSpan(0, slash), NumberStyles.None, CultureInfo.InvariantCulture, out var index)
            || !int.TryParse(text.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var count))
            throw new OptionException(OptionName, $"Part must be I/N, e.g. 2/8 for the second of eight parts (got '{text}').");
        var part = new BuildPart(index, count);
        part.Validate();
        return part;
    }

    /// <summary>Checks 1 ≤ <see cref="Index"/> ≤ <see cref="Count"/> ≤ <see cref="MaxCount"/>.</summary>
    /// <exception cref="OptionException">Out of range.</exception>
    public void Validate()
    {
        if (Count is < 1 or > MaxCount || Index < 1 || Index > Count)
            throw new OptionException(OptionName, $"Part must be I/N with 1 <= I <= N <= {MaxCount} (got {this}).");
    }

    /// <summary>Whether the file at <paramref name="relativePath"/> (relative to its source) belongs to this part.</summary>
    public bool OwnsFile(string relativePath) => PartOfFile(relativePath, Count) == Index;

    /// <summary>Whether the <paramref name="ordinal"/>-th document (0-based) of a single-file input belongs to this part.</summary>
    public bool OwnsRecord(long ordinal) => ordinal % Count == Index - 1;

    /// <summary>The part (1-based) that a file at <paramref name="relativePath"/> belongs to among <paramref name="count"/>.</summary>
    public static int PartOfFile(string relativePath, int count)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(relativePath.Replace('\\', '/')), hash);
        return (int)(BinaryPrimitives.ReadUInt64LittleEndian(hash) % (ulong)count) + 1;
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Index}/{Count}";
}
