using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.ML.Tokenizers;

namespace TextSSL.Tokenization;

/// <summary>
/// Encodes and decodes through Microsoft.ML.Tokenizers' <see cref="TiktokenTokenizer"/> for every rank-file kind
/// (trained BPE and the tiktoken encodings), adding what TextSSL's contract needs on top.
/// </summary>
/// <remarks>
/// Special tokens are not given to <see cref="TiktokenTokenizer"/>: its pre-tokenizer would then turn their text in
/// the input into special ids, while TextSSL encodes special-token text as ordinary text (stages insert special ids
/// themselves). Their ids are decoded here instead. Safe to use from several threads (the tokenizer's cache is locked). Lone UTF-16 surrogates, which UTF-8 cannot express, are replaced
/// by U+FFFD before encoding, so <c>Decode(Encode(s))</c> equals <c>s</c> for every well-formed string and equals
/// <c>s</c> with each lone surrogate replaced by U+FFFD otherwise.
/// </remarks>
internal sealed class TiktokenCodec
{
    private const int CacheSize = 1 << 16;
    private readonly TiktokenTokenizer _tiktoken;
    private readonly int _rankCount;
    private readonly Dictionary<int, string> _specialText;

    /// <summary>Builds the codec from a rank file stream (<c>base64 rank</c> per line).</summary>
    public TiktokenCodec(Stream rankFile, int rankCount, Regex split, SpecialTokens specials)
    {
        _tiktoken = TiktokenTokenizer.Create(rankFile, new RegexPreTokenizer(split, null), normalizer: null, specialTokens: null, cacheSize: CacheSize);
        _rankCount = rankCount;
        _specialText = specials.All.ToDictionary(s => s.Id, s => s.Text);
    }

    /// <summary>Microsoft.ML.Tokenizers' tokenizer doing the work.</summary>
    public TiktokenTokenizer Inner => _tiktoken;

    /// <summary>Encodes text; special-token text is ordinary text.</summary>
    public int[] Encode(string text)
    {
        text = Utf16Text.ReplaceLoneSurrogates(text);
        var ids = _tiktoken.EncodeToIds(text, considerPreTokenization: true, considerNormalization: false);
        return ids is List<int> list ? CollectionsMarshal.AsSpan(list).ToArray() : ids.ToArray();
    }

    /// <summary>Decodes ids; a run that ends inside a UTF-8 sequence decodes to U+FFFD.</summary>
    /// <exception cref="TextSslException">An id outside the vocabulary.</exception>
    public string Decode(ReadOnlySpan<int> ids)
    {
        var hasSpecial = false;
        foreach (var id in ids)
        {
            if ((uint)id < (uint)_rankCount) continue;
            if (!_specialText.ContainsKey(id)) throw new TextSslException($"token id {id} is not in this tokenizer's vocabulary.");
            hasSpecial = true;
        }
        if (!hasSpecial) return _tiktoken.Decode(ids.ToArray());
        var sb = new StringBuilder();
        var start = 0;
        for (var i = 0; i <= ids.Length; i++)
        {
            if (i < ids.Length && (uint)ids[i] < (uint)_rankCount) continue;
            if (i > start) sb.Append(_tiktoken.Decode(ids[start..i].ToArray()));
            if (i < ids.Length) sb.Append(_specialText[ids[i]]);
            start = i + 1;
        }
        return sb.ToString();
    }
}
