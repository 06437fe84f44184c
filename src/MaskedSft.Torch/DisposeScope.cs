// A per-thread, nestable scope that frees every tensor created while it is open (a training step's intermediates).
namespace MaskedSft.Torch;

/// <summary>
/// Frees, when disposed, every <see cref="Tensor"/> created on this thread while it was the innermost open scope,
/// except tensors moved out with <see cref="Tensor.MoveToOuterScope"/> or <see cref="Tensor.DetachFromDisposeScope"/>.
/// Scopes nest and must be disposed in reverse order of creation, on the thread that created them.
/// <see cref="Parameter"/>s never belong to a scope.
/// </summary>
/// <example>
/// <code>
/// using (var scope = new DisposeScope())
/// {
///     var loss = model.Forward(x).Sub(y).Square().Mean();
///     loss.Backward();
///     optimizer.Step();
/// } // every intermediate tensor is freed here
/// </code>
/// </example>
public sealed class DisposeScope : IDisposable
{
    [ThreadStatic]
    private static DisposeScope? t_current;

    private readonly List<Tensor> _tensors = [];
    private readonly int _threadId;
    private bool _disposed;

    /// <summary>Opens a scope nested in the current one (if any) on this thread.</summary>
    public DisposeScope()
    {
        Parent = t_current;
        _threadId = Environment.CurrentManagedThreadId;
        t_current = this;
    }

    /// <summary>The innermost open scope of this thread, or null.</summary>
    public static DisposeScope? Current => t_current;

    /// <summary>The scope that was current when this one was opened, or null.</summary>
    public DisposeScope? Parent { get; }

    /// <summary>Number of tensors this scope will free.</summary>
    public int Count => _tensors.Count;

    /// <summary>Moves a tensor from this scope (or an inner one) to the enclosing scope; see
    /// <see cref="Tensor.MoveToOuterScope"/>.</summary>
    /// <param name="tensor">The tensor to keep.</param>
    /// <returns>The tensor.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="tensor"/> is null.</exception>
    public Tensor MoveToOuter(Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        return tensor.MoveToOuterScope();
    }

    /// <summary>Frees the scope's tensors and makes the enclosing scope current again.</summary>
    /// <exception cref="InvalidOperationException">The scope is not the innermost one or is disposed on another thread
    /// (its tensors are freed all the same).</exception>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        foreach (var tensor in _tensors)
        {
            if (ReferenceEquals(tensor.OwningScope, this))
            {
                tensor.OwningScope = null;
                tensor.Dispose();
            }
        }

        _tensors.Clear();
        if (Environment.CurrentManagedThreadId != _threadId)
        {
            throw new InvalidOperationException("a DisposeScope must be disposed on the thread that opened it");
        }

        if (ReferenceEquals(t_current, this))
        {
            t_current = OpenAncestor(Parent);
            return;
        }

        // Out of order: when this scope is still below the current one, the inner scopes are abandoned (they free their
        // tensors when disposed later); when an outer scope was already disposed, this one was abandoned and just frees.
        for (var s = t_current; s is not null; s = s.Parent)
        {
            if (ReferenceEquals(s, this))
            {
                t_current = OpenAncestor(Parent);
                throw new InvalidOperationException(
                    "DisposeScopes were disposed out of order: dispose the innermost scope first (use `using`)");
            }
        }
    }

    private static DisposeScope? OpenAncestor(DisposeScope? scope)
    {
        while (scope is not null && scope._disposed)
        {
            scope = scope.Parent;
        }

        return scope;
    }

    /// <summary>Registers a tensor (moving it out of the scope it was registered with).</summary>
    internal void Add(Tensor tensor)
    {
        if (_disposed)
        {
            return;
        }

        tensor.OwningScope?.Remove(tensor);
        tensor.OwningScope = this;
        _tensors.Add(tensor);
    }

    /// <summary>Unregisters a tensor (searching from the end, where recent tensors are).</summary>
    internal void Remove(Tensor tensor)
    {
        var index = _tensors.LastIndexOf(tensor);
        if (index >= 0)
        {
            _tensors.RemoveAt(index);
        }

        if (ReferenceEquals(tensor.OwningScope, this))
        {
            tensor.OwningScope = null;
        }
    }
}
