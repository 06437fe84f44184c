// CRC-32C against the published check values (RFC 3720 B.4, the catalogue's "123456789") and a bitwise reference.
using System.Text;
using MaskedSft.MLNet.TensorBoard;

namespace MaskedSft.MLNet.Tests.TensorBoard;

[TestClass]
public sealed class Crc32CTests
{
    [TestMethod]
    public void Compute_MatchesThePublishedCheckValues()
    {
        Assert.AreEqual(0xE3069283u, Crc32C.Compute(Encoding.ASCII.GetBytes("123456789")));
        Assert.AreEqual(0x00000000u, Crc32C.Compute([]));
        // RFC 3720 (iSCSI) appendix B.4.
        Assert.AreEqual(0x8A9136AAu, Crc32C.Compute(new byte[32]));
        Assert.AreEqual(0x62A8AB43u, Crc32C.Compute(Enumerable.Repeat((byte)0xFF, 32).ToArray()));
        Assert.AreEqual(0x46DD794Eu, Crc32C.Compute(Enumerable.Range(0, 32).Select(i => (byte)i).ToArray()));
        Assert.AreEqual(0x113FDB5Cu, Crc32C.Compute(Enumerable.Range(0, 32).Select(i => (byte)(31 - i)).ToArray()));
    }

    [TestMethod]
    public void Compute_EqualsABitwiseReference_OnEveryLengthUpTo40()
    {
        var random = new Random(7);
        for (var length = 0; length <= 40; length++)
        {
            var data = new byte[length];
            random.NextBytes(data);
            Assert.AreEqual(Bitwise(data), Crc32C.Compute(data), $"length {length}");
        }
    }

    [TestMethod]
    public void Mask_IsTensorFlowsRotationPlusConstant()
    {
        // masked = ((crc >> 15) | (crc << 17)) + 0xa282ead8: for 0 it is the constant, for 1 the rotation shows.
        Assert.AreEqual(0xa282ead8u, Crc32C.Mask(0));
        Assert.AreEqual(unchecked(0x00020000u + 0xa282ead8u), Crc32C.Mask(1));
        Assert.AreEqual(unchecked(0x00000001u + 0xa282ead8u), Crc32C.Mask(0x8000u));
    }

    private static uint Bitwise(byte[] data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in data)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++) crc = (crc & 1) != 0 ? (crc >> 1) ^ 0x82F63B78u : crc >> 1;
        }

        return ~crc;
    }
}
