// Runs libtorch with one intra-op thread during a test class: on a small, shared CI machine the tiny models of the
// training tests are several times faster that way (no OpenMP oversubscription), and results are deterministic.
using MaskedSft.Torch;

namespace MaskedSft.MLNet.Tests.Validation;

/// <summary>Sets and restores libtorch's intra-op thread count (use from [DoNotParallelize] classes only).</summary>
internal static class SingleThreadTorch
{
    private static int s_previous;

    public static void Enter()
    {
        s_previous = TorchOps.GetNumThreads();
        TorchOps.SetNumThreads(1);
    }

    public static void Exit()
    {
        if (s_previous > 0) TorchOps.SetNumThreads(s_previous);
    }
}
