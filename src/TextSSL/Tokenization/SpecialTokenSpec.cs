namespace TextSSL.Tokenization;

/// <summary>A special token to add to a tokenizer being built: its text and role; the id is assigned by the builder.</summary>
/// <param name="Text">The token's text, e.g. <c>[MASK]</c>.</param>
/// <param name="Role">What it is for.</param>
public sealed record SpecialTokenSpec(string Text, SpecialTokenRole Role)
{
    /// <summary>The standard roles (<see cref="SpecialTokens.StandardRoles"/>) with their default texts.</summary>
    public static IReadOnlyList<SpecialTokenSpec> Standard { get; } =
        SpecialTokens.StandardRoles.Select(r => new SpecialTokenSpec(SpecialTokens.DefaultText(r), r)).ToList();

    /// <summary>
    /// Parses <c>TEXT</c> or <c>ROLE=TEXT</c> (roles: endoftext, mask, cls, sep, pad, unk, bos, other). A bare text takes the
    /// role whose default text it is (<c>[MASK]</c> → mask), else <see cref="SpecialTokenRole.Other"/>.
    /// </summary>
    /// <exception cref="TextSslException">An unknown role or an empty text.</exception>
    public static SpecialTokenSpec Parse(string value)
    {
        var eq = value.IndexOf('=');
        if (eq > 0 && TryRole(value[..eq], out var role))
        {
            var text = value[(eq + 1)..];
            if (text.Length == 0) throw new TextSslException($"special token '{value}' has an empty text. Write ROLE=TEXT, e.g. mask=[MASK].");
            return new SpecialTokenSpec(text, role);
        }
        if (value.Length == 0) throw new TextSslException("a special token's text is empty.");
        var byDefault = Enum.GetValues<SpecialTokenRole>().Where(r => r != SpecialTokenRole.Other)
            .FirstOrDefault(r => SpecialTokens.DefaultText(r) == value, SpecialTokenRole.Other);
        return new SpecialTokenSpec(value, byDefault);
    }

    private static bool TryRole(string name, out SpecialTokenRole role)
    {
        role = name.ToLowerInvariant() switch
        {
            "endoftext" or "eot" or "eos" => SpecialTokenRole.EndOfText,
            "mask" => SpecialTokenRole.Mask,
            "cls" => SpecialTokenRole.Cls,
            "sep" => SpecialTokenRole.Sep,
            "pad" => SpecialTokenRole.Pad,
            "unk" or "unknown" => SpecialTokenRole.Unknown,
            "bos" or "startoftext" => SpecialTokenRole.BeginOfText,
            "other" => SpecialTokenRole.Other,
            _ => (SpecialTokenRole)(-1),
        };
        return (int)role >= 0;
    }
}
