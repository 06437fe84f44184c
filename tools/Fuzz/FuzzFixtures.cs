// Where the harness finds the repository's small Hugging Face fixtures (tokenizer, config, model, peft adapter) it seeds from.
namespace MaskedSft.Tools.Fuzz;

/// <summary>Paths of the repository's test fixtures.</summary>
public static class FuzzFixtures
{
    /// <summary>The repository root: the first folder upward from the binaries (or the working directory) that holds MaskedSft.MLNet.slnx.</summary>
    public static string RepoRoot
    {
        get
        {
            foreach (var start in new[] { AppContext.BaseDirectory, Environment.CurrentDirectory })
            {
                for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
                {
                    if (File.Exists(Path.Combine(dir.FullName, "MaskedSft.MLNet.slnx"))) return dir.FullName;
                }
            }

            throw new InvalidOperationException($"No MaskedSft.MLNet.slnx above {AppContext.BaseDirectory} or {Environment.CurrentDirectory}: run the harness from the repository.");
        }
    }

    /// <summary>test/MaskedSft.MLNet.Tests/Fixtures/HfModels/<paramref name="name"/>.</summary>
    /// <param name="name">The fixture folder, e.g. qwen2.</param>
    /// <returns>The folder.</returns>
    public static string HfModel(string name) => Path.Combine(RepoRoot, "test", "MaskedSft.MLNet.Tests", "Fixtures", "HfModels", name);
}
