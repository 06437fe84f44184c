// The named parameters of a tiny GPT, created with nanoGPT's initialisation and kept in nanoGPT's order and names.
using MaskedSft.MLNet.Torch;

namespace MaskedSft.MLNet.Models;

/// <summary>
/// Creates and owns the parameters of a model in registration order (nanoGPT's <c>named_parameters()</c> order, the tied
/// LM head counted once as <c>transformer.wte.weight</c>).
/// </summary>
internal sealed class GptParameters : IDisposable
{
    private readonly List<KeyValuePair<string, Parameter>> _list = [];
    private readonly Generator _generator;
    private readonly Device _device;

    public GptParameters(ulong seed, Device device)
    {
        _generator = Generator.Create(seed);
        _device = device;
    }

    public IReadOnlyList<KeyValuePair<string, Parameter>> All => _list;

    /// <summary>A parameter drawn from N(0, std^2) (CPU generator, so values do not depend on the device).</summary>
    public Parameter Normal(string name, long[] shape, double std)
    {
        using var scope = new DisposeScope();
        var values = TorchOps.Randn(shape, _generator).Mul(std).To(_device);
        return Register(name, values);
    }

    /// <summary>A parameter filled with a constant.</summary>
    public Parameter Constant(string name, long[] shape, double value)
    {
        using var scope = new DisposeScope();
        return Register(name, TorchOps.Full(shape, value, ScalarType.Float32, _device));
    }

    public void Dispose()
    {
        foreach (var p in _list) p.Value.Dispose();
        _list.Clear();
        _generator.Dispose();
    }

    private Parameter Register(string name, Tensor values)
    {
        var p = new Parameter(values);
        _list.Add(new KeyValuePair<string, Parameter>(name, p));
        return p;
    }
}
