// Smoke test of the command line tool's wiring.
namespace MaskedSft.MLNet.Tests;

[TestClass]
public sealed class SmokeTests
{
    [TestMethod]
    public void CommandCatalog_All_ContainsVersionCommand()
    {
        var names = MaskedSft.Cli.CommandCatalog.All().Select(c => c.Name).ToList();
        CollectionAssert.Contains(names, "version");
    }
}
