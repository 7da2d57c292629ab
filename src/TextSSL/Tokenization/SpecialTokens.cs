namespace TextSSL.Tokenization;

/// <summary>What a special token is for.</summary>
public enum SpecialTokenRole
{
    /// <summary>Separates documents in a token stream; ends generation.</summary>
    EndOfText,
    /// <summary>Replaces masked positions in masked-LM.</summary>
    Mask,
    /// <summary>Starts an encoder sequence; its output summarises the sequence.</summary>
    Cls,
    /// <summary>Ends or separates encoder segments.</summary>
    Sep,
    /// <summary>Fills sequences up to a common length.</summary>
    Pad,
    /// <summary>Stands for text the vocabulary cannot express.</summary>
    Unknown,
    /// <summary>Begins a sequence.</summary>
    BeginOfText,
    /// <summary>A user-defined token with no built-in role.</summary>
    Other,
}

/// <summary>One special token.</summary>
/// <param name="Text">Its text, e.g. <c>[MASK]</c> or <c>&lt;|endoftext|&gt;</c>.</param>
/// <param name="Id">Its id.</param>
/// <param name="Role">What it is for.</param>
public sealed record SpecialToken(string Text, int Id, SpecialTokenRole Role);

/// <summary>The special tokens of a tokenizer, looked up by role.</summary>
public sealed class SpecialTokens
{
    private readonly SpecialToken[] _tokens;

    /// <summary>Creates the set; at most one token per role other than <see cref="SpecialTokenRole.Other"/>.</summary>
    public SpecialTokens(IEnumerable<SpecialToken> tokens)
    {
        _tokens = tokens.ToArray();
        var duplicate = _tokens.Where(t => t.Role != SpecialTokenRole.Other).GroupBy(t => t.Role).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new TextSslException($"two special tokens have the role {duplicate.Key}: {string.Join(", ", duplicate.Select(t => t.Text))}.");
    }

    /// <summary>No special tokens.</summary>
    public static SpecialTokens None { get; } = new([]);

    /// <summary>All special tokens.</summary>
    public IReadOnlyList<SpecialToken> All => _tokens;

    /// <summary>The token with this role, or null.</summary>
    public SpecialToken? this[SpecialTokenRole role] => _tokens.FirstOrDefault(t => t.Role == role);

    /// <summary>The id of the token with this role, or null.</summary>
    public int? IdOf(SpecialTokenRole role) => this[role]?.Id;

    /// <summary>Whether <paramref name="id"/> is a special token.</summary>
    public bool IsSpecial(int id) => _tokens.Any(t => t.Id == id);

    /// <summary>The default text of each role, as BERT and GPT spell them.</summary>
    public static string DefaultText(SpecialTokenRole role) => role switch
    {
        SpecialTokenRole.EndOfText => "<|endoftext|>",
        SpecialTokenRole.Mask => "[MASK]",
        SpecialTokenRole.Cls => "[CLS]",
        SpecialTokenRole.Sep => "[SEP]",
        SpecialTokenRole.Pad => "[PAD]",
        SpecialTokenRole.Unknown => "[UNK]",
        SpecialTokenRole.BeginOfText => "<|startoftext|>",
        _ => throw new ArgumentOutOfRangeException(nameof(role)),
    };

    /// <summary>The roles every TextSSL-trained tokenizer gets unless told otherwise.</summary>
    public static IReadOnlyList<SpecialTokenRole> StandardRoles { get; } =
        [SpecialTokenRole.EndOfText, SpecialTokenRole.Mask, SpecialTokenRole.Cls, SpecialTokenRole.Sep, SpecialTokenRole.Pad];
}
