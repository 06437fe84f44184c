// Checks the C# twin of the portable parameter generator against values printed by the Python reference.
namespace MaskedSft.MLNet.Tests.Models;

[TestClass]
public sealed class PortableInitTests
{
    [TestMethod]
    public void Values_KnownName_MatchesPythonReference()
    {
        // /usr/bin/python3 -c "import sys; sys.path.insert(0,'scripts/reference'); import model_reference as m;
        //   print(m.fnv1a64('transformer.wte.weight'), m.portable_values('transformer.wte.weight', 7, 3, 0.5, 0.0))"
        Assert.AreEqual(PythonFnv, PortableInit.Fnv1a64("transformer.wte.weight"));
        var v = PortableInit.Values("transformer.wte.weight", 7, 3);
        for (var i = 0; i < 3; i++) Assert.AreEqual((float)PythonValues[i], v[i]);
    }

    private const ulong PythonFnv = 1694720246732430158UL;
    private static readonly double[] PythonValues = [0.3714876174926758, 0.15938133001327515, -0.03984040021896362];
}
