// MockTokenizer: exact round trip of vocabulary text, deterministic hashing of unknown words, readable decoding.
using MaskedSft.Testing.Mock;

namespace MaskedSft.MLNet.Tests.HardExamples;

[TestClass]
public sealed class MockTokenizerTests
{
    private readonly MockTokenizer _tokenizer = new();

    [TestMethod]
    public void EncodeDecode_ActionText_RoundTrips()
    {
        const string text = "move right 10cm and move forward 5cm";
        var ids = _tokenizer.Encode(text, addBos: true, addEos: true);
        Assert.AreEqual(MockTokenizer.BosId, ids[0]);
        Assert.AreEqual(MockTokenizer.EosId, ids[^1]);
        Assert.HasCount(9, ids);
        Assert.AreEqual(text, _tokenizer.Decode(ids));
        Assert.AreEqual(_tokenizer.TokenToId("10cm"), ids[3]);
    }

    [TestMethod]
    public void Encode_UnknownWords_HashDeterministicallyIntoTheHashedRange()
    {
        var a = _tokenizer.Encode("Grasp the TEAPOT!");
        var b = new MockTokenizer().Encode("grasp the teapot");
        CollectionAssert.AreEqual(a, b);
        Assert.IsGreaterThanOrEqualTo(_tokenizer.FirstHashedId, a[0]);
        Assert.IsLessThan(MockTokenizer.VocabSize, a[0]);
        Assert.AreEqual(_tokenizer.TokenToId("the"), a[1]);
        StringAssert.StartsWith(_tokenizer.Decode(a), "<w");
    }

    [TestMethod]
    public void Decode_SkipsSpecialTokensAndRejectsOutOfRange()
    {
        Assert.AreEqual("open gripper", _tokenizer.Decode([MockTokenizer.BosId, _tokenizer.TokenToId("open"), MockTokenizer.PadId, _tokenizer.TokenToId("gripper"), MockTokenizer.EosId]));
        Assert.Throws<ArgumentOutOfRangeException>(() => _tokenizer.Decode([MockTokenizer.VocabSize]));
        Assert.Throws<ArgumentOutOfRangeException>(() => _tokenizer.Decode([-1]));
    }

    [TestMethod]
    public void Vocabulary_HasEveryActionWordAndRoomForHashedWords()
    {
        foreach (var word in MockTokenizer.Directions.Concat(MockTokenizer.Objects).Concat(MockTokenizer.Colors).Append("and").Append("50cm").Append("99"))
        {
            Assert.AreEqual(word, _tokenizer.IdToToken(_tokenizer.TokenToId(word)));
        }

        Assert.IsGreaterThan(32, MockTokenizer.VocabSize - _tokenizer.FirstHashedId);
    }
}
