// Chat data for fine-tuning the tiny model-folder fixtures: random user words, always the same assistant reply, prepared
// with `maskedsft prepare --tokenizer` on the fixture folder.
using System.Text.Json;
using MaskedSft.MLNet.Tests.Data;

namespace MaskedSft.MLNet.Tests.Training;

/// <summary>Writes and prepares the fixed-reply chat data of the fine-tuning tests.</summary>
internal static class FineTuneFixture
{
    /// <summary>The assistant's reply in every conversation (the masked pattern to learn).</summary>
    public const string Reply = "Sure: done.";

    private static readonly string[] Words = ["red", "blue", "green", "apple", "river", "stone", "cloud", "quick", "slow", "bright", "dark", "north", "tree", "bird", "fish"];

    /// <summary>Writes <paramref name="count"/> chat lines and prepares them with the tokenizer of <paramref name="modelDir"/>.</summary>
    /// <param name="temp">Where the files go.</param>
    /// <param name="modelDir">The model folder whose tokenizer and template prepare the data.</param>
    /// <param name="count">Conversations.</param>
    /// <param name="name">The dataset folder's name.</param>
    /// <returns>The dataset directory.</returns>
    public static string Prepare(TempDirectory temp, string modelDir, int count = 48, string name = "data")
    {
        var random = new Random(7);
        var lines = Enumerable.Range(0, count).Select(_ =>
        {
            var question = string.Join(' ', Enumerable.Range(0, random.Next(3, 6)).Select(_ => Words[random.Next(Words.Length)]));
            return JsonSerializer.Serialize(new { messages = new object[] { new { role = "system", content = "Be brief." }, new { role = "user", content = question }, new { role = "assistant", content = Reply } } });
        });
        var input = temp.Combine(name + ".jsonl");
        File.WriteAllLines(input, lines);
        var output = temp.Combine(name);
        var (exit, _, stderr) = CliRunner.Run("prepare", "--input", input, "--tokenizer", modelDir, "--val-fraction", "0", "--out", output);
        Assert.AreEqual(0, exit, stderr);
        return output;
    }
}
