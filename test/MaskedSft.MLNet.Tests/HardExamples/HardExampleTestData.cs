// Helpers of the hard-example tests: batches over the mock tokenizer that count payload fetches, fixture paths.
using MaskedSft.MLNet.HardExamples;
using MaskedSft.Testing.Mock;

namespace MaskedSft.MLNet.Tests.HardExamples;

internal static class HardExampleTestData
{
    public static readonly MockTokenizer Tokenizer = new();

    public static string FixturePath(string name)
    {
        var path = Path.Combine(AppContext.BaseDirectory, "Fixtures", "HardExamples", name);
        if (!File.Exists(path))
        {
            Assert.Fail($"Fixture '{path}' is missing; regenerate with /usr/bin/python3 scripts/reference/hard_examples_reference.py test/MaskedSft.MLNet.Tests/Fixtures/HardExamples");
        }

        return path;
    }

    /// <summary>A batch of <paramref name="count"/> samples whose text is "move right {i+1}cm" and whose thumbnail fetches are counted.</summary>
    public static TokenizedHardExampleBatch Batch(int count, long firstGlobalIndex, Action<int>? onThumbnail = null)
    {
        const int length = 4;
        var ids = new int[count * length];
        for (int i = 0; i < count; i++)
        {
            var row = Tokenizer.Encode($"move right {(i % MockTokenizer.MaxCentimeters) + 1}cm", addEos: true);
            row.CopyTo(ids, i * length);
        }

        var global = Enumerable.Range(0, count).Select(i => firstGlobalIndex + i).ToArray();
        return new TokenizedHardExampleBatch(Tokenizer, ids, null, length, global, i =>
        {
            onThumbnail?.Invoke(i);
            return [(byte)i];
        });
    }
}
