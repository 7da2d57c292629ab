using System.Text;
using HtmlAgilityPack;

namespace TextSSL.Corpora.Internal;

/// <summary>Turns HTML into readable text: scripts and styles dropped, entities decoded, block elements on their own lines.</summary>
internal static class HtmlText
{
    private static readonly HashSet<string> Blocks = new(StringComparer.OrdinalIgnoreCase)
    {
        "p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol", "blockquote", "pre", "hr", "title", "section", "article",
    };

    public static string Convert(string html)
    {
        var doc = new HtmlDocument();
        doc.LoadHtml(html);
        var sb = new StringBuilder(html.Length / 2);
        Walk(doc.DocumentNode, sb);
        return sb.ToString();
    }

    private static void Walk(HtmlNode node, StringBuilder sb)
    {
        switch (node.NodeType)
        {
            case HtmlNodeType.Comment:
                return;
            case HtmlNodeType.Text:
                sb.Append(HtmlEntity.DeEntitize(((HtmlTextNode)node).Text));
                return;
        }
        var name = node.Name;
        if (name is "script" or "style" or "head" && node.NodeType == HtmlNodeType.Element) return;
        var block = Blocks.Contains(name);
        if (block) sb.Append('\n');
        foreach (var child in node.ChildNodes) Walk(child, sb);
        if (block) sb.Append('\n');
    }
}
