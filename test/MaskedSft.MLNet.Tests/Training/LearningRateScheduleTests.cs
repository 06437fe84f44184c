// Tests of the warmup + cosine learning-rate schedule against its closed form.
using MaskedSft.MLNet.Training;

namespace MaskedSft.MLNet.Tests.Training;

[TestClass]
public sealed class LearningRateScheduleTests
{
    [TestMethod]
    public void At_Warmup_RisesLinearlyToPeak()
    {
        var s = new LearningRateSchedule(1e-3, warmupSteps: 4, totalSteps: 20, minimum: 1e-4);
        Assert.AreEqual(0.25e-3, s.At(0), 1e-15);
        Assert.AreEqual(0.5e-3, s.At(1), 1e-15);
        Assert.AreEqual(1e-3, s.At(3), 1e-15);
    }

    [TestMethod]
    public void At_AfterWarmup_FollowsCosineToMinimum()
    {
        var s = new LearningRateSchedule(1e-3, warmupSteps: 4, totalSteps: 20, minimum: 1e-4);
        Assert.AreEqual(1e-3, s.At(4), 1e-15);
        Assert.AreEqual(1e-4 + 0.9e-3 * 0.5 * (1 + Math.Cos(Math.PI * 0.5)), s.At(12), 1e-15);
        Assert.AreEqual(1e-4, s.At(20), 1e-15);
        Assert.AreEqual(1e-4, s.At(1000), 1e-15);
        for (var i = 5; i <= 20; i++) Assert.IsTrue(s.At(i) <= s.At(i - 1), $"step {i} must not increase the rate");
    }

    [TestMethod]
    public void Constructor_MinimumAbovePeak_Throws()
    {
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new LearningRateSchedule(1e-4, 0, 10, minimum: 1e-3));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new LearningRateSchedule(double.NaN, 0, 10));
    }
}
