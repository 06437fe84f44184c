// Base class of layers and models: named parameters and submodules, train/eval mode, device/dtype moves, disposal.
namespace MaskedSft.Torch.Nn;

/// <summary>
/// A layer or model: owns <see cref="Parameter"/>s and submodules registered under names, which
/// <see cref="NamedParameters"/> lists recursively with dotted names ("block.0.weight"). Disposing a module disposes
/// its parameters and submodules.
/// </summary>
public abstract class Module : IDisposable
{
    private readonly List<KeyValuePair<string, Parameter>> _parameters = [];
    private readonly List<KeyValuePair<string, Module>> _modules = [];
    private bool _disposed;

    /// <summary>True in training mode (the default), false after <see cref="Eval"/>.</summary>
    public bool IsTraining { get; private set; } = true;

    /// <summary>Every parameter of this module and its submodules with its dotted name, in registration order.</summary>
    /// <returns>(name, parameter) pairs.</returns>
    public IEnumerable<(string Name, Parameter Parameter)> NamedParameters()
    {
        foreach (var (name, p) in _parameters)
        {
            yield return (name, p);
        }

        foreach (var (prefix, module) in _modules)
        {
            foreach (var (name, p) in module.NamedParameters())
            {
                yield return ($"{prefix}.{name}", p);
            }
        }
    }

    /// <summary>Every parameter of this module and its submodules, in registration order.</summary>
    /// <returns>The parameters.</returns>
    public IEnumerable<Parameter> Parameters() => NamedParameters().Select(p => p.Parameter);

    /// <summary>The direct submodules with their names.</summary>
    /// <returns>(name, module) pairs.</returns>
    public IEnumerable<(string Name, Module Module)> NamedChildren() => _modules.Select(m => (m.Key, m.Value));

    /// <summary>This module (named "") and every submodule with its dotted path ("transformer.h.0.attn"), depth first in
    /// registration order, as PyTorch's <c>named_modules</c> (the names LoRA's target_modules match).</summary>
    /// <returns>(path, module) pairs.</returns>
    public IEnumerable<(string Name, Module Module)> NamedModules()
    {
        yield return (string.Empty, this);
        foreach (var (prefix, module) in _modules)
        {
            foreach (var (name, m) in module.NamedModules())
            {
                yield return (name.Length == 0 ? prefix : $"{prefix}.{name}", m);
            }
        }
    }

    /// <summary>Sets training mode on this module and every submodule (dropout is active only in training).</summary>
    /// <param name="training">True for training, false for evaluation.</param>
    /// <returns>This module.</returns>
    public Module Train(bool training = true)
    {
        IsTraining = training;
        foreach (var (_, module) in _modules)
        {
            module.Train(training);
        }

        return this;
    }

    /// <summary>Sets evaluation mode (same as Train(false)).</summary>
    /// <returns>This module.</returns>
    public Module Eval() => Train(false);

    /// <summary>Moves every parameter to a device and, optionally, a floating-point dtype, in place: the
    /// <see cref="Parameter"/> objects stay the same (create optimizers after moving). Gradients are dropped.</summary>
    /// <param name="device">The target device.</param>
    /// <param name="dtype">A floating-point dtype, or null to keep each parameter's.</param>
    /// <returns>This module.</returns>
    /// <exception cref="TorchException">The device is not available.</exception>
    public Module To(Device device, ScalarType? dtype = null)
    {
        foreach (var (_, p) in NamedParameters())
        {
            p.ZeroGrad(setToNone: true);
            using var scope = new DisposeScope();
            using var noGrad = new NoGradScope();
            var moved = dtype.HasValue ? p.To(device, dtype.Value) : p.To(device);
            p.SetData(moved);
        }

        return this;
    }

    /// <summary>Drops the gradients of every parameter.</summary>
    /// <param name="setToNone">Drop (default) instead of zeroing in place.</param>
    public void ZeroGrad(bool setToNone = true)
    {
        foreach (var (_, p) in NamedParameters())
        {
            p.ZeroGrad(setToNone);
        }
    }

    /// <summary>Copies values into the parameters by dotted name (as loaded from a checkpoint), without recording
    /// gradients.</summary>
    /// <param name="values">Values by name; each must match its parameter's shape.</param>
    /// <param name="strict">Fail when a parameter is missing or a name is unknown.</param>
    /// <exception cref="ArgumentNullException"><paramref name="values"/> is null.</exception>
    /// <exception cref="ArgumentException">A shape differs, or (strict) names do not match.</exception>
    public void LoadParameters(IReadOnlyDictionary<string, Tensor> values, bool strict = true)
    {
        ArgumentNullException.ThrowIfNull(values);
        var named = NamedParameters().ToList();
        if (strict)
        {
            var known = named.Select(n => n.Name).ToHashSet(StringComparer.Ordinal);
            var unknown = values.Keys.Where(k => !known.Contains(k)).ToList();
            var missing = known.Where(k => !values.ContainsKey(k)).ToList();
            if (unknown.Count > 0 || missing.Count > 0)
            {
                throw new ArgumentException(
                    $"parameter names do not match: missing [{string.Join(", ", missing)}], unknown [{string.Join(", ", unknown)}]",
                    nameof(values));
            }
        }

        using var noGrad = new NoGradScope();
        foreach (var (name, p) in named)
        {
            if (!values.TryGetValue(name, out var value))
            {
                continue;
            }

            var expected = p.Shape;
            var actual = value.Shape;
            if (!expected.AsSpan().SequenceEqual(actual))
            {
                throw new ArgumentException(
                    $"parameter '{name}' has shape [{string.Join(", ", expected)}] but the value has [{string.Join(", ", actual)}]",
                    nameof(values));
            }

            p.CopyFrom(value);
        }
    }

    /// <summary>Disposes the parameters and submodules.</summary>
    public void Dispose()
    {
        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Registers a parameter under a name (unique among this module's parameters and submodules).</summary>
    /// <param name="name">The name, without dots.</param>
    /// <param name="parameter">The parameter; the module now owns it.</param>
    /// <returns>The parameter.</returns>
    /// <exception cref="ArgumentException">The name is empty, has a dot, or is taken.</exception>
    protected Parameter RegisterParameter(string name, Parameter parameter)
    {
        ArgumentNullException.ThrowIfNull(parameter);
        CheckName(name);
        _parameters.Add(new(name, parameter));
        return parameter;
    }

    /// <summary>Registers a submodule under a name (unique among this module's parameters and submodules).</summary>
    /// <typeparam name="T">The module type.</typeparam>
    /// <param name="name">The name, without dots.</param>
    /// <param name="module">The module; this module now owns it.</param>
    /// <returns>The module.</returns>
    /// <exception cref="ArgumentException">The name is empty, has a dot, or is taken.</exception>
    protected T RegisterModule<T>(string name, T module)
        where T : Module
    {
        ArgumentNullException.ThrowIfNull(module);
        CheckName(name);
        _modules.Add(new(name, module));
        return module;
    }

    /// <summary>Disposes the parameters and submodules once.</summary>
    /// <param name="disposing">True from <see cref="Dispose()"/>.</param>
    protected virtual void Dispose(bool disposing)
    {
        if (_disposed || !disposing)
        {
            return;
        }

        _disposed = true;
        foreach (var (_, p) in _parameters)
        {
            p.Dispose();
        }

        foreach (var (_, m) in _modules)
        {
            m.Dispose();
        }
    }

    private void CheckName(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (name.Contains('.', StringComparison.Ordinal))
        {
            throw new ArgumentException($"module member name '{name}' must not contain a dot", nameof(name));
        }

        if (_parameters.Any(p => p.Key == name) || _modules.Any(m => m.Key == name))
        {
            throw new ArgumentException($"the name '{name}' is already registered in {GetType().Name}", nameof(name));
        }
    }
}
