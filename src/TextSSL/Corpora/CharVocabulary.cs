using System.Text;
using TextSSL.Tokenization;

namespace TextSSL.Corpora;

/// <summary>Builds a character tokenizer from the characters of a corpus's cleaned documents (one streaming pass).</summary>
internal static class CharVocabulary
{
    /// <summary>
    /// Reads and cleans every document of <paramref name="sources"/> and returns a <see cref="CharTokenizer"/> over the
    /// characters seen, with the standard special tokens. Cleaning matters: normalization can produce characters the raw text lacks.
    /// </summary>
    public static async Task<CharTokenizer> TrainAsync(IReadOnlyList<SourceSpec> sources, CleaningOptions cleaning, ErrorPolicy onError, CancellationToken ct = default)
    {
        var cleaner = new TextCleaner(cleaning);
        var chars = new HashSet<Rune>();
        await foreach (var doc in CorpusReader.ReadAsync(sources, new CorpusErrors(onError), ct).ConfigureAwait(false))
        {
            if (cleaner.Clean(doc.Text, out var text) != CleanOutcome.Kept) continue;
            foreach (var r in text!.EnumerateRunes()) chars.Add(r);
        }
        if (chars.Count == 0) throw new TextSslException("cannot build a character tokenizer: the sources hold no text after cleaning.");
        var all = new StringBuilder();
        foreach (var r in chars) all.Append(r.ToString());
        return CharTokenizer.Train(all.ToString(), SpecialTokens.StandardRoles);
    }
}
