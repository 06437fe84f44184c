// One validation problem of an episode dataset: what, in which file, episode and offset, and how to fix it.
using System.Globalization;
using System.Text;

namespace MaskedSft.MLNet.Data;

/// <summary>One problem found in an episode dataset.</summary>
/// <param name="Kind">The class of the problem.</param>
/// <param name="FilePath">The file (or directory) concerned.</param>
/// <param name="Episode">The episode index concerned, when one is.</param>
/// <param name="ByteOffset">The byte offset in <paramref name="FilePath"/>, when known.</param>
/// <param name="TokenOffset">The absolute token offset, when the problem is at a token.</param>
/// <param name="Message">What is wrong.</param>
/// <param name="Hint">How to fix it.</param>
public sealed record EpisodeDatasetError(
    EpisodeDatasetErrorKind Kind,
    string FilePath,
    long? Episode,
    long? ByteOffset,
    long? TokenOffset,
    string Message,
    string Hint)
{
    /// <summary>Formats the error as <c>FILE: episode E, token T, byte B: MESSAGE Hint: HINT</c>.</summary>
    /// <returns>The formatted error.</returns>
    public override string ToString()
    {
        var text = new StringBuilder(FilePath);
        var first = true;
        void Part(string name, long? value)
        {
            if (value is { } v)
            {
                text.Append(first ? ": " : ", ").Append(name).Append(' ').Append(v.ToString(CultureInfo.InvariantCulture));
                first = false;
            }
        }

        Part("episode", Episode);
        Part("token", TokenOffset);
        Part("byte", ByteOffset);
        text.Append(": ").Append(Message);
        if (Hint.Length > 0)
        {
            text.Append(" Hint: ").Append(Hint);
        }

        return text.ToString();
    }
}
