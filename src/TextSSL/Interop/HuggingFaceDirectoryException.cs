namespace TextSSL.Interop;

/// <summary>
/// A model path is a Hugging Face model directory (<c>config.json</c> with safetensors weights), which TextSSL reads only
/// through <see cref="HuggingFaceImport"/> (or <c>PretrainingOptions.InitFrom</c>, which imports it itself).
/// </summary>
/// <param name="directory">The directory that was given.</param>
public sealed class HuggingFaceDirectoryException(string directory)
    : TextSslException($"'{directory}' is a Hugging Face model directory (config.json with safetensors weights), not a TextSSL checkpoint: " +
                       "import it into a checkpoint first (HuggingFaceImport.Import) and give that checkpoint.")
{
    /// <summary>The Hugging Face directory.</summary>
    public string Directory { get; } = directory;
}
