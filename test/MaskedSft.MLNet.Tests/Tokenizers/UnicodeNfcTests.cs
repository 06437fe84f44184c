// The managed NFC equals Python's unicodedata.normalize("NFC") on every decomposable code point and random mark sequences.
using System.Text.Json;
using MaskedSft.MLNet.Tokenizers;

namespace MaskedSft.MLNet.Tests.Tokenizers;

[TestClass]
public sealed class UnicodeNfcTests
{
    [TestMethod]
    public void Normalize_ReferenceCases_EqualsPythonUnicodedata()
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(TestTokenizers.Fixture("nfc_cases.json")));
        int count = 0;
        foreach (var pair in doc.RootElement.GetProperty("cases").EnumerateArray())
        {
            string input = pair[0].GetString()!;
            string expected = pair[1].GetString()!;
            Assert.AreEqual(expected, UnicodeNfc.Normalize(input), $"NFC of {JsonSerializer.Serialize(input)}");
            if (UnicodeNfc.IsNormalized(input))
            {
                Assert.AreEqual(expected, input, "the quick check said NFC for text whose NFC differs");
            }

            count++;
        }

        Assert.IsGreaterThan(800, count);
    }

    [TestMethod]
    [DataRow("e\u0301", "\u00e9")]
    [DataRow("\u212b", "\u00c5")]
    [DataRow("\u1100\u1161\u11a8", "\uac01")]
    [DataRow("a\u0323\u0302", "\u1ead")]
    [DataRow("a\u0302\u0323", "\u1ead")]
    [DataRow("plain ASCII", "plain ASCII")]
    public void Normalize_KnownSequences_GivesComposedForm(string input, string expected)
    {
        Assert.AreEqual(expected, UnicodeNfc.Normalize(input));
    }

    [TestMethod]
    public void IsNormalized_DecomposedInput_IsFalse()
    {
        Assert.IsFalse(UnicodeNfc.IsNormalized("cafe\u0301"));
        Assert.IsTrue(UnicodeNfc.IsNormalized("caf\u00e9 \ud55c\uad6d\uc5b4 \U0001F600"));
    }
}
