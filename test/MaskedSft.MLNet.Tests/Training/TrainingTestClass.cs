// Base of the test classes that train on the shared synthetic-chat fixture with one libtorch thread.
using MaskedSft.MLNet.Tests.Validation;

namespace MaskedSft.MLNet.Tests.Training;

/// <summary>
/// Gives each derived test class (<typeparamref name="TSelf"/>, so each has its own static state) a
/// <see cref="TrainingFixture"/> of 64 train + 16 validation episodes and one libtorch intra-op thread for the class's
/// lifetime. Derived classes are [DoNotParallelize]: they change the process-wide thread count.
/// </summary>
/// <typeparam name="TSelf">The derived test class.</typeparam>
public abstract class TrainingTestClass<TSelf>
    where TSelf : TrainingTestClass<TSelf>
{
    private static TrainingFixture? s_fixture;

    /// <summary>The class's dataset fixture.</summary>
    internal static TrainingFixture Fixture => s_fixture ?? throw new InvalidOperationException($"{typeof(TSelf).Name}: the class fixture is not initialized.");

    /// <summary>Creates the fixture and switches libtorch to one thread.</summary>
    /// <param name="context">The MSTest context.</param>
    [ClassInitialize(InheritanceBehavior.BeforeEachDerivedClass)]
    public static void InitializeTrainingClass(TestContext context)
    {
        SingleThreadTorch.Enter();
        s_fixture = new TrainingFixture();
    }

    /// <summary>Deletes the fixture and restores libtorch's thread count.</summary>
    [ClassCleanup(InheritanceBehavior.BeforeEachDerivedClass)]
    public static void CleanupTrainingClass()
    {
        s_fixture?.Dispose();
        s_fixture = null;
        SingleThreadTorch.Exit();
    }
}
