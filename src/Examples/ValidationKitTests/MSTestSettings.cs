// The kit's checks use libtorch from one thread at a time here, with one intra-op thread (tiny models on a small CI box
// run faster that way, and other test projects may be running beside this one).
using MaskedSft.Torch;
using Microsoft.VisualStudio.TestTools.UnitTesting;

[assembly: DoNotParallelize]

namespace MaskedSft.Examples.ValidationKitTests;

[TestClass]
public static class AssemblySetup
{
    [AssemblyInitialize]
    public static void Initialize(TestContext context) => TorchOps.SetNumThreads(1);
}
