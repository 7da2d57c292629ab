using TextSSL.Modeling;
using TextSSL.Tokenization;

namespace TextSSL.Pretext;

/// <summary>The built-in tasks by name, as <c>--task</c> spells them.</summary>
public static class PretextTasks
{
    /// <summary>Names of the built-in tasks.</summary>
    public static IReadOnlyList<string> Names { get; } = ["clm", "mlm", "contrastive"];

    /// <summary>Creates a built-in task.</summary>
    /// <param name="name"><c>clm</c> (next-token, decoder), <c>mlm</c> (masked-LM, encoder) or <c>contrastive</c> (SimCSE).</param>
    /// <param name="tokenizer">The tokenizer the data was encoded with.</param>
    /// <param name="seed">Seed of the task's sampling.</param>
    /// <param name="order">Window order for <c>clm</c>.</param>
    /// <param name="masking">Masking settings for <c>mlm</c>.</param>
    /// <param name="contrastive">Temperature and pooling for <c>contrastive</c>.</param>
    /// <param name="kind">The model <c>contrastive</c> trains (encoder unless continuing a decoder); the other tasks fix their own.</param>
    /// <param name="packing">How training sequences are laid out; null for the task's default (<see cref="DefaultPacking"/>).</param>
    /// <exception cref="TextSslException">Unknown name, or the tokenizer lacks what the task needs.</exception>
    public static IPretextTask Create(string name, TextTokenizer tokenizer, long seed, WindowOrder order = WindowOrder.Random, MaskingOptions? masking = null,
                                      ContrastiveOptions? contrastive = null, ModelKind? kind = null, SequencePacking? packing = null)
    {
        var layout = packing ?? DefaultPacking(name, tokenizer);
        return name switch
        {
            "clm" => new NextTokenTask(seed, order, layout, tokenizer.Specials.IdOf(SpecialTokenRole.EndOfText)),
            "mlm" => new MaskedLanguageModelTask(tokenizer, seed, masking, layout),
            "contrastive" => new ContrastiveTask(tokenizer, seed, contrastive, kind ?? ModelKind.Encoder),
            _ => throw new TextSslException($"unknown task '{name}'. Choose one of: {string.Join(", ", Names)}."),
        };
    }

    /// <summary>
    /// The layout a task uses unless told otherwise: masked-LM packs documents when the tokenizer marks their ends
    /// (short texts then fill sequences instead of padding, and never attend to each other); next-token reads windows
    /// of the stream, nanoGPT's recipe, which the project's reference losses were measured with.
    /// </summary>
    public static SequencePacking DefaultPacking(string name, TextTokenizer tokenizer) =>
        name == "mlm" && tokenizer.Specials.IdOf(SpecialTokenRole.EndOfText) is not null ? SequencePacking.Documents : SequencePacking.Stream;

    /// <summary>The special tokens a character tokenizer built for <paramref name="task"/> gets.</summary>
    public static IReadOnlyList<SpecialTokenRole> CharTokenizerRoles(string task) =>
        task is "mlm" or "contrastive" ? SpecialTokens.StandardRoles : [SpecialTokenRole.EndOfText];
}
