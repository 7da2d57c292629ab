using System.Text;
using TextSSL.Tokenization.Bpe;

namespace TextSSL.Tokenization;

/// <summary>Reads text files for tokenization with the same UTF-8 rules as training.</summary>
internal static class TextFiles
{
    /// <summary>Reads a whole UTF-8 file (a leading byte-order mark dropped).</summary>
    /// <param name="path">The file.</param>
    /// <param name="replaceInvalid">Replace invalid bytes with U+FFFD instead of failing.</param>
    /// <exception cref="TextSslException">The file is missing or not valid UTF-8 (names the byte offset).</exception>
    public static string ReadAllText(string path, bool replaceInvalid = false)
    {
        if (Directory.Exists(path)) throw new TextSslException($"'{path}' is a directory, not a file. Give a text file.");
        if (!File.Exists(path)) throw new TextSslException($"file '{path}' does not exist.");
        var sb = new StringBuilder();
        foreach (var chunk in TrainingInput.ReadChunks(path, replaceInvalid, allowReplaceAdvice: false)) sb.Append(chunk);
        return sb.ToString();
    }
}
