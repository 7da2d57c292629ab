using System.Runtime.CompilerServices;
using MimeKit;

namespace TextSSL.Corpora.Internal;

/// <summary>Reads one RFC-822 email per file: headers dropped, the body decoded (quoted-printable, base64, charsets), HTML turned into text.</summary>
internal static class EmailReader
{
    public static async IAsyncEnumerable<RawDocument> ReadAsync(SourceFile file, string? label, CorpusErrors errors, ByteCounter? counter,
                                                                  [EnumeratorCancellation] CancellationToken ct)
    {
        await using var stream = InputStreams.Open(file.Path, counter);
        string? body = null;
        try
        {
            var message = await MimeMessage.LoadAsync(stream, ct).ConfigureAwait(false);
            body = BodyOf(message);
        }
        catch (FormatException ex)
        {
            errors.Report(file.Path, 1, $"not a readable email ({ex.Message})");
        }
        if (body is not null) yield return new RawDocument(body, file.Path, 1, label);
    }

    /// <summary>The plain-text body, else the HTML body as text, else the text of the first textual part; empty when none.</summary>
    public static string BodyOf(MimeMessage message)
    {
        if (message.TextBody is { } plain) return plain;
        if (message.HtmlBody is { } html) return HtmlText.Convert(html);
        foreach (var part in message.BodyParts.OfType<TextPart>())
            return part.IsHtml ? HtmlText.Convert(part.Text) : part.Text;
        return "";
    }
}
