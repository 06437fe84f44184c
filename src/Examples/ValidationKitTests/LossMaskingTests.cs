// How a user's test project calls the validation kit: wrap the model, pass the loss under test, assert on the results.
using MaskedSft.MLNet.Models;
using MaskedSft.MLNet.Doctor;
using MaskedSft.Testing;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace MaskedSft.Examples.ValidationKitTests;

[TestClass]
public sealed class LossMaskingTests
{
    [TestMethod]
    public void MyBigramModel_MyMaskedLoss_PassesEveryLossMaskCheck()
    {
        using var model = new BigramModel(vocabSize: 97, seed: 1);
        var view = LogitsModel.Create(model.VocabSize, model.Forward, model.Parameters());
        var report = LossMaskChecks.RunAll(view, new LossMaskCheckOptions { Loss = BigramModel.MaskedLoss });
        Assert.IsTrue(report.AllPassed, report.ToTable());
    }

    [TestMethod]
    public void MyBigramModel_LossThatIgnoresTheMask_IsCaught()
    {
        using var model = new BigramModel(vocabSize: 97, seed: 1);
        var view = LogitsModel.Create(model.VocabSize, model.Forward, model.Parameters());
        var result = LossMaskChecks.CorruptedMaskedTargets(view, new LossMaskCheckOptions { Loss = BigramModel.BuggyLoss });
        Assert.IsFalse(result.Passed);
        Assert.IsTrue(result.Measured["difference"] > 1e-6, result.Explanation);
    }

    [TestMethod]
    public void BuiltInTinyGpt_FullKitWithoutTraining_Passes()
    {
        using var model = new TinyGpt(GptConfig.Tiny with { VocabSize = 1024, BlockSize = 32 });
        model.Eval();
        var report = CheckSuite.Run(model);
        foreach (var r in report.Results) Console.WriteLine(r);
        Assert.IsTrue(report.AllPassed, report.ToTable());
    }
}
