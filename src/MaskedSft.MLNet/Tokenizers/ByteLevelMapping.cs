// GPT-2's byte-level alphabet: the reversible map between the 256 byte values and 256 printable characters.
namespace MaskedSft.MLNet.Tokenizers;

/// <summary>
/// Byte-level BPE works on bytes, each shown as one printable character: bytes that are printable Latin-1 characters
/// ('!'..'~', '¡'..'¬', '®'..'ÿ') stand for themselves, the other 68 are mapped in order to U+0100, U+0101, ...
/// Vocabulary entries (tokenizer.json, encoder.json) are written in this alphabet.
/// </summary>
internal static class ByteLevelMapping
{
    private static readonly char[] ByteToCharTable = BuildByteToChar();
    private static readonly short[] CharToByteTable = BuildCharToByte(ByteToCharTable);

    /// <summary>The character that stands for <paramref name="value"/>.</summary>
    public static char ByteToChar(byte value) => ByteToCharTable[value];

    /// <summary>The byte that <paramref name="c"/> stands for, or -1 when <paramref name="c"/> is not in the alphabet.</summary>
    public static int CharToByte(char c) => c < CharToByteTable.Length ? CharToByteTable[c] : -1;

    /// <summary>Maps each byte to its character; <paramref name="destination"/> must be at least as long as <paramref name="bytes"/>.</summary>
    public static void BytesToChars(ReadOnlySpan<byte> bytes, Span<char> destination)
    {
        var table = ByteToCharTable;
        for (int i = 0; i < bytes.Length; i++)
        {
            destination[i] = table[bytes[i]];
        }
    }

    /// <summary>
    /// Appends the bytes that the characters of <paramref name="token"/> stand for; returns false (appending nothing)
    /// when a character is outside the alphabet.
    /// </summary>
    public static bool TryAppendBytes(string token, List<byte> destination)
    {
        foreach (char c in token)
        {
            if (CharToByte(c) < 0)
            {
                return false;
            }
        }

        foreach (char c in token)
        {
            destination.Add((byte)CharToByte(c));
        }

        return true;
    }

    private static char[] BuildByteToChar()
    {
        var table = new char[256];
        int next = 256;
        for (int b = 0; b < 256; b++)
        {
            bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            table[b] = printable ? (char)b : (char)next++;
        }

        return table;
    }

    private static short[] BuildCharToByte(char[] byteToChar)
    {
        var table = new short[0x144];
        Array.Fill(table, (short)-1);
        for (int b = 0; b < 256; b++)
        {
            table[byteToChar[b]] = (short)b;
        }

        return table;
    }
}
