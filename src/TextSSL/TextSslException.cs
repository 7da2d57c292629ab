namespace TextSSL;

/// <summary>
/// An error caused by the user's input or environment, with a message that says what is wrong,
/// where, and what to do. The CLI prints these without a stack trace.
/// </summary>
public class TextSslException : Exception
{
    /// <summary>Creates the exception with a complete, user-facing message.</summary>
    public TextSslException(string message) : base(message) { }

    /// <summary>Creates the exception with a complete, user-facing message and its cause.</summary>
    public TextSslException(string message, Exception inner) : base(message, inner) { }
}
