using System.Text;

namespace TextSSL.Tests.Tokenization;

/// <summary>A temporary directory deleted on dispose.</summary>
internal sealed class TempDir : IDisposable
{
    public TempDir() => Root = Directory.CreateTempSubdirectory("textssl-test-").FullName;

    public string Root { get; }

    public string Path(params string[] parts) => System.IO.Path.Combine([Root, .. parts]);

    public string File(string relative, string text) => Bytes(relative, new UTF8Encoding(false).GetBytes(text));

    public string Bytes(string relative, byte[] bytes)
    {
        var p = Path(relative);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(p)!);
        System.IO.File.WriteAllBytes(p, bytes);
        return p;
    }

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { }
    }
}
