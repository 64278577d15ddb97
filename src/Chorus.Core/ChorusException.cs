namespace Chorus;

/// <summary>
/// A problem with the user's input or environment (a missing file, a folder holding another run, bad options).
/// Its message is one complete sentence naming the file or argument at fault; the CLI prints it without a stack trace.
/// </summary>
public class ChorusException : Exception
{
    public ChorusException(string message)
        : base(message)
    {
    }

    public ChorusException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
