// A plain container module (nanoGPT's `transformer` dict and `h` list) so parameter names get nanoGPT's dotted paths.
using MaskedSft.Torch.Nn;

namespace MaskedSft.MLNet.Models;

/// <summary>Holds named child modules and nothing else.</summary>
internal sealed class ModuleContainer : Module
{
    /// <summary>Registers a child under a name (no dots).</summary>
    public T Add<T>(string name, T module)
        where T : Module => RegisterModule(name, module);
}
