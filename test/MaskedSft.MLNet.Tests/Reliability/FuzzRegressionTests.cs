// Every fuzz finding, fixed in the product, kept as its (small) input: the seed of its target with the mutated file laid
// over it must now be rejected with a documented exception that names the file (docs/reliability.md).
using MaskedSft.Tools.Fuzz;

namespace MaskedSft.MLNet.Tests.Reliability;

[TestClass]
[DoNotParallelize]
public sealed class FuzzRegressionTests
{
    [TestMethod]
    [DataRow("tokenizer-json", "tokenizer-json-unpaired-surrogate", "TokenizerFormatException", "unpaired surrogate", DisplayName = "tokenizer.json: \\ud800 in an added token")]
    [DataRow("tokenizer-config", "tokenizer-config-invalid-utf8", "TokenizerFormatException", "not valid UTF-8", DisplayName = "tokenizer_config.json: bytes that are not UTF-8")]
    [DataRow("tokenizer-config", "tokenizer-config-generation-config-not-an-object", "TokenizerFormatException", "the file must hold a JSON object", DisplayName = "generation_config.json: a number, not an object")]
    [DataRow("checkpoint", "checkpoint-rng-state-not-base64", "InvalidDataException", "cpuRngState", DisplayName = "trainer.json: RNG state not base64")]
    [DataRow("checkpoint", "checkpoint-rng-state-wrong-size", "InvalidDataException", "cpuRngState", DisplayName = "trainer.json: RNG state of the wrong size")]
    [DataRow("checkpoint", "checkpoint-negative-step", "InvalidDataException", "'step'", DisplayName = "trainer.json: negative step")]
    [DataRow("checkpoint", "checkpoint-loader-of-another-dataset", "ArgumentException", "field 'loader'", DisplayName = "trainer.json: loader state of another dataset")]
    [DataRow("checkpoint", "checkpoint-optimizer-state-unknown-name", "InvalidDataException", "optimizer.safetensors", DisplayName = "optimizer.safetensors: unknown parameter name")]
    [DataRow("peft-adapter", "peft-negative-rank", "ArgumentException", "adapter_config.json", DisplayName = "adapter_config.json: r = -4")]
    [DataRow("peft-adapter", "peft-config-invalid-utf8", "InvalidDataException", "not valid UTF-8", DisplayName = "adapter_config.json: bytes that are not UTF-8")]
    [DataRow("model-config", "model-config-infinite-rope-theta", "ModelConfigException", "finite", DisplayName = "config.json: rope_theta = 1e400")]
    [DataRow("model-config", "model-config-duplicate-field", "ModelConfigException", "appears twice", DisplayName = "config.json: a field twice")]
    [DataRow("model-config", "model-config-unpaired-surrogate", "ModelConfigException", "unpaired surrogate", DisplayName = "config.json: \\ud800 in rope_type")]
    [DataRow("safetensors-sharded", "safetensors-sharded-unpaired-surrogate", "SafetensorsFormatException", "unpaired surrogate", DisplayName = "shard header: \\ud800 in __metadata__")]
    public void Finding_NowRejectedWithDocumentedExceptionNamingTheFile(string targetName, string finding, string exceptionType, string messagePart)
    {
        string root = Path.Combine(Path.GetTempPath(), "msft-fuzz-regression-" + Guid.NewGuid().ToString("N"));
        try
        {
            using var target = FuzzTargets.Create(targetName);
            target.Prepare(Path.Combine(root, "shared"));
            string input = Path.Combine(root, "input");
            Directory.CreateDirectory(input);
            target.WriteSeed(input);
            var (seedOutcome, seedDetail, _, _) = FuzzRunner.Evaluate(target, FuzzRunner.CopyFolder(input, Path.Combine(root, "seed")));
            Assert.AreEqual(FuzzOutcome.Accepted, seedOutcome, seedDetail);
            string committed = Path.Combine(AppContext.BaseDirectory, "Fixtures", "Fuzz", finding);
            foreach (string file in Directory.GetFiles(committed, "*", SearchOption.AllDirectories))
            {
                File.Copy(file, Path.Combine(input, Path.GetRelativePath(committed, file)), overwrite: true);
            }

            var (outcome, detail, _, error) = FuzzRunner.Evaluate(target, input);

            Assert.AreEqual(FuzzOutcome.Rejected, outcome, detail);
            Assert.AreEqual(exceptionType, error!.GetType().Name, error.ToString());
            StringAssert.Contains(error.Message, messagePart);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
