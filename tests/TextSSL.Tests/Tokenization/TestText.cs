using System.Text;

namespace TextSSL.Tests.Tokenization;

/// <summary>Shared inputs for tokenizer tests.</summary>
internal static class TestText
{
    public static string RepoRoot { get; } = FindRoot();

    public static string MobyDickPath => Path.Combine(RepoRoot, "corpora", "moby-dick", "moby-dick.txt");

    private static string? _moby;

    public static string MobyDick => _moby ??= File.ReadAllText(MobyDickPath);

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "TextSSL.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("TextSSL.sln not found above the test directory");
    }

    /// <summary>Hand-picked strings every tokenizer must round-trip.</summary>
    public static readonly string[] Edge =
    [
        "", "a", " ", "\n", "\r\n", "\t\t", "\0", "hello world", "   leading and trailing   ", "a\r\nb\rc\nd",
        "naïve café", "e\u0301\u0301", "日本語のテキスト", "한국어", "שלום עולם", "مرحبا بالعالم", "👍🏽", "👨‍👩‍👧‍👦 family", "🏳️‍🌈",
        "12345678901234567890", "it's they'll I'M", "<|endoftext|>", "[MASK] [CLS]", new string(' ', 300) + "x", "x" + new string('\n', 50),
        "tab\tsep\tvalues\n", "\uFEFFbom", "\uFFFD", "a\u200Bb", "\U0001F600\U0001F601",
    ];

    private static readonly string[] Pieces =
    [
        "the", " whale", "Ahab", " ", "  ", "    ", "\t", "\n", "\r\n", "\0", ",", ".", "!?", "'s", "'LL", "123", "4567",
        "日本", "語", "한", "שלום", "مرحبا", "é", "e\u0301", "\u0301", "👍", "👍🏽", "👨‍👩‍👧", "\u200D", "🏳️‍🌈", "Ω", "ß", "\uFEFF", "\u202E",
    ];

    /// <summary>A random string of mixed scripts, whitespace, controls and emoji; with <paramref name="loneSurrogates"/> also unpaired surrogates.</summary>
    public static string Random(Random rng, bool loneSurrogates)
    {
        var sb = new StringBuilder();
        var n = rng.Next(0, 40);
        for (var i = 0; i < n; i++)
        {
            var k = rng.Next(10);
            if (k < 6) sb.Append(Pieces[rng.Next(Pieces.Length)]);
            else if (k < 8) sb.Append((char)rng.Next(0x20, 0x7F));
            else if (k < 9)
            {
                // any scalar value outside the surrogate range
                int cp;
                do cp = rng.Next(0, 0x110000); while (cp is >= 0xD800 and <= 0xDFFF);
                sb.Append(char.ConvertFromUtf32(cp));
            }
            else if (loneSurrogates) sb.Append((char)rng.Next(0xD800, 0xE000));
            else sb.Append(' ', rng.Next(1, 20));
        }
        return sb.ToString();
    }
}
