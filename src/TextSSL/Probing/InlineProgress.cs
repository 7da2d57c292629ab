namespace TextSSL.Probing;

/// <summary>An <see cref="IProgress{T}"/> that reports on the calling thread, so lines stay in order (unlike <see cref="Progress{T}"/>, which posts to the thread pool).</summary>
internal sealed class InlineProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
