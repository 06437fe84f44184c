// Base of the optimizers wrapping libtorch's own (torch::optim): parameter names, groups, step, zero_grad, learning rate.
namespace MaskedSft.Torch.Optim;

/// <summary>
/// A libtorch optimizer over named parameters, in one or more groups. Parameters are identified by name in the
/// exported state (<see cref="GetState"/>), so a checkpoint can be restored into a freshly built model.
/// </summary>
public abstract class Optimizer : IDisposable
{
    private readonly List<string> _names = [];
    private IntPtr _handle;

    /// <summary>Creates the native optimizer through <paramref name="create"/> over the first group.</summary>
    private protected Optimizer(IEnumerable<(string Name, Parameter Parameter)> parameters, Func<IntPtr[], IntPtr> create, string operation)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        NativeMethods.EnsureLoaded();
        var list = parameters.ToList();
        if (list.Count == 0)
        {
            throw new ArgumentException($"{operation}: the optimizer got no parameters", nameof(parameters));
        }

        var handles = Collect(list);
        _handle = create(handles);
        if (_handle == IntPtr.Zero)
        {
            throw TorchException.FromNative(operation);
        }

        GC.KeepAlive(list);
    }

    /// <summary>Frees the native optimizer if it was not disposed.</summary>
    ~Optimizer()
    {
        Dispose(disposing: false);
    }

    /// <summary>The names of the parameters in order (groups in order of addition).</summary>
    public IReadOnlyList<string> ParameterNames => _names;

    /// <summary>Number of parameter groups.</summary>
    public int GroupCount => (int)Tensor.Check(NativeMethods.msft_optim_group_count(Handle), "optimizer.group_count");

    /// <summary>The learning rate of the first group; setting it sets every group's (for schedulers).</summary>
    /// <exception cref="ArgumentOutOfRangeException">Set to a negative value.</exception>
    public double LearningRate
    {
        get => GetLearningRate(0);
        set => SetLearningRate(-1, value);
    }

    /// <summary>The native handle.</summary>
    internal IntPtr Handle
    {
        get
        {
            var h = _handle;
            ObjectDisposedException.ThrowIf(h == IntPtr.Zero, this);
            return h;
        }
    }

    /// <summary>Updates the parameters that have gradients (without recording gradients).</summary>
    /// <exception cref="TorchException">libtorch rejected the step (e.g. sparse gradients).</exception>
    public virtual void Step()
    {
        Tensor.Check(NativeMethods.msft_optim_step(Handle), "optimizer.step");
        GC.KeepAlive(this);
    }

    /// <summary>Clears every parameter's gradient.</summary>
    /// <param name="setToNone">Drop the gradients (default, as PyTorch 2) instead of zeroing them.</param>
    public void ZeroGrad(bool setToNone = true)
    {
        Tensor.Check(NativeMethods.msft_optim_zero_grad(Handle, setToNone), "optimizer.zero_grad");
        GC.KeepAlive(this);
    }

    /// <summary>The learning rate of a group.</summary>
    /// <param name="group">The group index.</param>
    /// <returns>The learning rate.</returns>
    /// <exception cref="TorchException">The group does not exist.</exception>
    public double GetLearningRate(int group)
    {
        double lr;
        unsafe
        {
            Tensor.Check(NativeMethods.msft_optim_get_lr(Handle, group, &lr), $"optimizer.get_lr(group={group})");
        }

        GC.KeepAlive(this);
        return lr;
    }

    /// <summary>Sets the learning rate of one group, or of every group when <paramref name="group"/> is -1.</summary>
    /// <param name="group">The group index, or -1.</param>
    /// <param name="learningRate">A non-negative learning rate.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="learningRate"/> is negative or not finite.</exception>
    /// <exception cref="TorchException">The group does not exist.</exception>
    public void SetLearningRate(int group, double learningRate)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(learningRate);
        if (!double.IsFinite(learningRate))
        {
            throw new ArgumentOutOfRangeException(nameof(learningRate), learningRate, "the learning rate must be finite");
        }

        Tensor.Check(NativeMethods.msft_optim_set_lr(Handle, group, learningRate), $"optimizer.set_lr(group={group})");
        GC.KeepAlive(this);
    }

    /// <summary>Adds a group of parameters with its own learning rate and/or weight decay (e.g. no decay for norms and
    /// biases).</summary>
    /// <param name="parameters">Named parameters, with names unique within the optimizer.</param>
    /// <param name="learningRate">The group's learning rate, or null for the default.</param>
    /// <param name="weightDecay">The group's weight decay, or null for the default.</param>
    /// <exception cref="ArgumentException">The group is empty or a name is already used.</exception>
    public void AddParameterGroup(IEnumerable<(string Name, Parameter Parameter)> parameters, double? learningRate = null, double? weightDecay = null)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var list = parameters.ToList();
        if (list.Count == 0)
        {
            throw new ArgumentException("a parameter group needs at least one parameter", nameof(parameters));
        }

        var handles = Collect(list);
        unsafe
        {
            fixed (IntPtr* p = handles)
            {
                Tensor.Check(
                    NativeMethods.msft_optim_add_group(Handle, p, handles.Length, learningRate ?? -1, weightDecay ?? -1),
                    "optimizer.add_param_group");
            }
        }

        GC.KeepAlive(list);
    }

    /// <summary>The optimizer state by name ("{parameter}.{field}"), as new tensor handles sharing the live state
    /// (dispose them, or read them inside a <see cref="DisposeScope"/>; clone to keep a snapshot). Parameters that have
    /// not been stepped yet have no entries.</summary>
    /// <returns>The state tensors.</returns>
    public abstract IReadOnlyDictionary<string, Tensor> GetState();

    /// <summary>Restores state produced by <see cref="GetState"/> (values are copied). Parameters without entries keep
    /// no state (as before their first step).</summary>
    /// <param name="state">The state tensors by name.</param>
    /// <exception cref="ArgumentException">A name is unknown, a field is missing, or a shape differs.</exception>
    public abstract void LoadState(IReadOnlyDictionary<string, Tensor> state);

    /// <summary>Frees the native optimizer.</summary>
    public void Dispose()
    {
        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Frees the native optimizer once.</summary>
    /// <param name="disposing">True from <see cref="Dispose()"/>.</param>
    protected virtual void Dispose(bool disposing)
    {
        var h = Interlocked.Exchange(ref _handle, IntPtr.Zero);
        if (h != IntPtr.Zero)
        {
            NativeMethods.msft_optim_free(h);
        }
    }

    /// <summary>Checks a state dictionary's names against the known parameters and fields; returns names by index.</summary>
    private protected void CheckStateNames(IReadOnlyDictionary<string, Tensor> state, IReadOnlyCollection<string> fields)
    {
        ArgumentNullException.ThrowIfNull(state);
        var names = _names.ToHashSet(StringComparer.Ordinal);
        foreach (var key in state.Keys)
        {
            var dot = key.LastIndexOf('.');
            if (dot <= 0 || !names.Contains(key[..dot]) || !fields.Contains(key[(dot + 1)..]))
            {
                throw new ArgumentException(
                    $"unknown optimizer state entry '{key}': expected '<parameter>.<field>' with a field of [{string.Join(", ", fields)}]",
                    nameof(state));
            }
        }
    }

    /// <summary>A required state entry.</summary>
    private protected static Tensor Required(IReadOnlyDictionary<string, Tensor> state, string name, string field) =>
        state.TryGetValue($"{name}.{field}", out var t)
            ? t
            : throw new ArgumentException($"optimizer state of '{name}' has no '{name}.{field}' entry", nameof(state));

    private IntPtr[] Collect(List<(string Name, Parameter Parameter)> list)
    {
        var handles = new IntPtr[list.Count];
        var seen = _names.ToHashSet(StringComparer.Ordinal);
        for (var i = 0; i < list.Count; i++)
        {
            var (name, parameter) = list[i];
            ArgumentException.ThrowIfNullOrEmpty(name);
            ArgumentNullException.ThrowIfNull(parameter);
            if (!seen.Add(name))
            {
                throw new ArgumentException($"the parameter name '{name}' appears twice in the optimizer", nameof(list));
            }

            handles[i] = parameter.Handle;
        }

        _names.AddRange(list.Select(p => p.Name));
        return handles;
    }

    /// <summary>Names parameters by their position ("0", "1", ...).</summary>
    private protected static IEnumerable<(string Name, Parameter Parameter)> Indexed(IEnumerable<Parameter> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        return parameters.Select((p, i) => (i.ToString(System.Globalization.CultureInfo.InvariantCulture), p));
    }
}
