// The local server's semantics: environments wait for the trainer, get numbered names, odd-sized groups are buffered until
// they sum to the group size, the step counter counts formed batches, and a state file survives a restart.
using MaskedSft.Atropos.Server;
using MaskedSft.MLNet.Rl.Atropos;
using MaskedSft.MLNet.Tests.Data;

namespace MaskedSft.MLNet.Tests.Rl.Atropos;

[TestClass]
public sealed class AtroposServerStateTests
{
    private static AtroposScoredData Group(int size, int? env = null) => new()
    {
        Tokens = Enumerable.Range(0, size).Select(i => new[] { 1, i + 2 }).ToArray(),
        Masks = Enumerable.Range(0, size).Select(i => new[] { -100, i + 2 }).ToArray(),
        Scores = new double[size],
        EnvId = env,
    };

    private static AtroposEnvRegistration Env(string name, int groupSize = 4) => new() { MaxTokenLength = 16, DesiredName = name, GroupSize = groupSize };

    [TestMethod]
    public void RegisterEnv_WaitsForTheTrainersFirstBatchThenNumbersNames()
    {
        var state = new AtroposServerState();
        Assert.AreEqual(AtroposEnvRegistrationResult.WaitForTrainer, state.RegisterEnv(Env("math")).Status);
        state.Register(new AtroposRegistration { BatchSize = 4, MaxTokenLength = 16, NumSteps = 5, StartingStep = 3, SaveCheckpointInterval = 2 });
        Assert.AreEqual(AtroposEnvRegistrationResult.WaitForTrainer, state.RegisterEnv(Env("math")).Status, "registered but not started");
        Assert.IsNull(state.NextBatch(out var notRegistered));
        Assert.IsFalse(notRegistered);
        var first = state.RegisterEnv(Env("math"));
        var second = state.RegisterEnv(Env("math"));
        var other = state.RegisterEnv(Env("code"));
        Assert.AreEqual((0, "math_0", 3, 2, 5), (first.EnvId, first.WandbName, first.StartingStep, first.CheckpointInterval, first.NumSteps));
        Assert.AreEqual((1, "math_1"), (second.EnvId, second.WandbName));
        Assert.AreEqual((2, "code_0"), (other.EnvId, other.WandbName));
    }

    [TestMethod]
    public void Receive_OddSizedGroupsBufferedUntilTheySumToTheGroupSize_StepCountsFormedBatches()
    {
        var state = new AtroposServerState();
        state.Register(new AtroposRegistration { BatchSize = 4, MaxTokenLength = 16, NumSteps = 5 });
        state.NextBatch(out _);
        var env = state.RegisterEnv(Env("e", groupSize: 4)).EnvId!.Value;
        Assert.AreEqual(("buffered", (int?)3), state.Receive(Group(3, env)));
        Assert.AreEqual(0, state.QueueSize);
        Assert.AreEqual(("buffered", (int?)5), state.Receive(Group(2, env)), "3+2 does not make 4: both stay buffered");
        Assert.AreEqual(("buffered", (int?)2), state.Receive(Group(1, env)), "3+1 = 4 leaves the 2 buffered");
        Assert.AreEqual(2, state.QueueSize);
        Assert.AreEqual(("received", (int?)null), state.Receive(Group(4, env)));
        Assert.AreEqual(("received", (int?)null), state.Receive(Group(4)), "no env id: queued as is");
        Assert.IsNotNull(state.NextBatch(out _));
        Assert.AreEqual(2, state.Step, "two batches of 4 formed at once: the 3 and the 1 are not packed together (packs hold groups of one size)");
        Assert.IsNotNull(state.NextBatch(out _));
        Assert.IsNull(state.NextBatch(out _));
        Assert.AreEqual(2, state.Step);
        Assert.AreEqual(2, state.QueueSize);
        Assert.AreEqual(2, state.BatchesServed);
    }

    [TestMethod]
    public void StateFile_ARestartedServerContinuesWithQueueFormedBatchesAndStep()
    {
        using var temp = new TempDirectory();
        var path = temp.Combine("state.json");
        var before = new AtroposServerState(path);
        before.Register(new AtroposRegistration { BatchSize = 2, MaxTokenLength = 16, NumSteps = 5 });
        for (var i = 0; i < 3; i++) before.Receive(Group(2));
        var served = before.NextBatch(out _);

        var after = new AtroposServerState(path);
        Assert.AreEqual(before.Registration, after.Registration);
        Assert.AreEqual(3, after.Step);
        Assert.AreEqual(1, after.BatchesServed);
        Assert.IsNotNull(after.NextBatch(out _));
        Assert.IsNotNull(after.NextBatch(out _));
        Assert.IsNull(after.NextBatch(out _), "the two formed batches left, nothing more");
        Assert.IsNotNull(served);

        File.WriteAllText(path, "not json");
        var e = Assert.ThrowsExactly<InvalidDataException>(() => new AtroposServerState(path));
        StringAssert.Contains(e.Message, "not an Atropos server state");
    }
}
