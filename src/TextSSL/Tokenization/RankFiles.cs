using System.Globalization;

namespace TextSSL.Tokenization;

/// <summary>Reads tiktoken rank files: one token per line, base64 of its bytes then optionally a space and its rank.</summary>
internal static class RankFiles
{
    /// <summary>An optional first line some rank files carry (Microsoft.ML.Tokenizers' gpt2 data), giving the token count.</summary>
    private const string CapacityHeader = "Capacity:";

    /// <summary>Reads the tokens of a rank file in rank order.</summary>
    /// <param name="path">The file.</param>
    /// <param name="requireDenseRanks">Require ranks 0, 1, 2, ... in file order.</param>
    /// <exception cref="TextSslException">A malformed line (names the file and line).</exception>
    public static List<byte[]> Read(string path, bool requireDenseRanks)
    {
        var tokens = new List<byte[]>();
        var lineNo = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNo++;
            if (line.Length == 0 || line.StartsWith(CapacityHeader, StringComparison.Ordinal)) continue;
            var space = line.IndexOf(' ');
            var b64 = space < 0 ? line : line[..space];
            byte[] bytes;
            try { bytes = Convert.FromBase64String(b64); }
            catch (FormatException) { throw new TextSslException($"{path}, line {lineNo}: '{b64}' is not base64. A rank file has 'base64 rank' per line."); }
            if (space >= 0)
            {
                if (!int.TryParse(line.AsSpan(space + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var rank))
                    throw new TextSslException($"{path}, line {lineNo}: the rank '{line[(space + 1)..]}' is not a non-negative integer.");
                if (requireDenseRanks && rank != tokens.Count)
                    throw new TextSslException($"{path}, line {lineNo}: rank {rank} where {tokens.Count} was expected; ranks must count up from 0.");
            }
            tokens.Add(bytes);
        }
        if (tokens.Count == 0) throw new TextSslException($"{path} holds no tokens.");
        return tokens;
    }

    /// <summary>Number of ranks in a rank file held in memory: the highest rank + 1.</summary>
    public static int RankCount(ReadOnlySpan<byte> data)
    {
        var max = -1;
        var lineIndex = 0;
        while (!data.IsEmpty)
        {
            var nl = data.IndexOf((byte)'\n');
            var line = nl < 0 ? data : data[..nl];
            if (!line.IsEmpty && !line.StartsWith("Capacity:"u8))
            {
                var space = line.IndexOf((byte)' ');
                var rank = space < 0 ? lineIndex : int.Parse(System.Text.Encoding.ASCII.GetString(line[(space + 1)..]).Trim(), CultureInfo.InvariantCulture);
                if (rank > max) max = rank;
                lineIndex++;
            }
            data = nl < 0 ? default : data[(nl + 1)..];
        }
        return max + 1;
    }
}
