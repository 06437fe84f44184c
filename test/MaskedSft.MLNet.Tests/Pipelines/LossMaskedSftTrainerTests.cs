// Trainers.LossMaskedSft: schema propagation, column errors, training in place on an episode view, per-row losses that
// agree with the engine's validation loss, hard examples as data.
using MaskedSft.MLNet.Data;
using MaskedSft.MLNet.Pipelines;
using MaskedSft.MLNet.Tests.Data;
using MaskedSft.Torch;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace MaskedSft.MLNet.Tests.Pipelines;

[TestClass]
[DoNotParallelize]
public sealed class LossMaskedSftTrainerTests
{
    [TestMethod]
    public void GetOutputSchema_WithoutFitting_AddsLossAndSupervisedTokens()
    {
        var ml = new MLContext(seed: 1);
        var shape = ml.MaskedSft().Trainers.LossMaskedSft().GetOutputSchema(ChatTemplateTransformTests.ShapeOf<EpisodeDataViewTests.EpisodeInput>(ml));
        var columns = shape.ToDictionary(c => c.Name);
        Assert.AreEqual(NumberDataViewType.Single, columns["Loss"].ItemType);
        Assert.AreEqual(SchemaShape.Column.VectorKind.Scalar, columns["Loss"].Kind);
        Assert.AreEqual(NumberDataViewType.Int32, columns["SupervisedTokens"].ItemType);
        Assert.IsTrue(columns.ContainsKey(EpisodeColumns.Tokens));
    }

    [TestMethod]
    public void Fit_TokensOfWrongType_ThrowsNamingColumnAndBothTypes()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(new[] { new EpisodeDataViewTests.WrongTokens { Tokens = [1f, 2f], LossMask = [false, true] } });
        var trainer = ml.MaskedSft().Trainers.LossMaskedSft(steps: 1);
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => trainer.Fit(data));
        StringAssert.Contains(e.Message, "Schema mismatch for column 'Tokens' (token ids): expected Vector<Int32>, got Vector<Single>");
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => trainer.GetOutputSchema(ChatTemplateTransformTests.ShapeOf<EpisodeDataViewTests.WrongTokens>(ml)));
        Assert.ThrowsExactly<ArgumentException>(() => ml.MaskedSft().Trainers.LossMaskedSft(preset: "huge"));
    }

    [TestMethod]
    public void Fit_EpisodeView_PerRowLossesAgreeWithTheEnginesValidationLoss()
    {
        using var temp = new TempDirectory();
        var corpus = MaskedSft.MLNet.Pipelines.SyntheticChatCorpus.Create(seed: 4);
        string data = temp.Combine("data");
        corpus.WriteDataset(data, trainCount: 64, validationCount: 16);
        var ml = new MLContext(seed: 1);
        var view = ml.MaskedSft().LoadEpisodes(data);
        using var model = ml.MaskedSft().Trainers.LossMaskedSft(new LossMaskedSftTrainer.Options
        {
            Steps = 12, BatchSize = 8, WarmupSteps = 2, EvalInterval = 0, EvalBatches = null, Device = Device.Cpu, OutputDirectory = temp.Combine("run"),
        }).Fit(view);

        Assert.AreEqual(12, model.TrainingResult!.Step);
        Assert.IsFalse(Directory.Exists(Path.Combine(temp.Combine("run"), "data")), "a whole episode view is trained in place, not copied");
        var scored = ml.Data.CreateEnumerable<Scored>(model.Transform(ml.MaskedSft().LoadEpisodes(data, DatasetSplit.Validation)), false).ToList();
        Assert.HasCount(16, scored);
        Assert.IsTrue(scored.All(r => r.SupervisedTokens > 0 && float.IsFinite(r.Loss)));

        // The engine's validation loss is the token mean over the validation split; so is the SupervisedTokens-weighted mean of the rows' losses.
        double weighted = scored.Sum(r => (double)r.Loss * r.SupervisedTokens) / scored.Sum(r => r.SupervisedTokens);
        Assert.AreEqual(model.TrainingResult.FinalValidationLoss!.Value, weighted, 1e-4 * weighted);

        var hard = ml.Data.CreateEnumerable<HardExampleRow>(model.HardExamples, false).ToList();
        Assert.IsNotEmpty(hard);
        Assert.IsTrue(hard.Zip(hard.Skip(1)).All(p => p.First.Loss >= p.Second.Loss), "hardest first");
    }

    /// <summary>The trainer's outputs.</summary>
    public sealed class Scored
    {
        public float Loss { get; set; }

        public int SupervisedTokens { get; set; }
    }
}
