// Stochastic gradient descent with momentum through libtorch's torch::optim::SGD, with an exportable momentum buffer.
namespace MaskedSft.Torch.Optim;

/// <summary>
/// SGD with optional momentum, dampening, Nesterov and (coupled, L2) weight decay, via libtorch's own
/// implementation. State per parameter: "{name}.momentum_buffer" (once momentum is used).
/// </summary>
#pragma warning disable CA1707, IDE1006 // the conventional name
public sealed class SGD : Optimizer
#pragma warning restore CA1707, IDE1006
{
    private static readonly string[] Fields = ["momentum_buffer"];

    /// <summary>Creates the optimizer over named parameters.</summary>
    /// <param name="parameters">The parameters with unique names.</param>
    /// <param name="learningRate">Step size.</param>
    /// <param name="momentum">Momentum factor (0 = plain SGD).</param>
    /// <param name="dampening">Dampening of the momentum.</param>
    /// <param name="weightDecay">L2 penalty added to the gradient.</param>
    /// <param name="nesterov">Use Nesterov momentum (needs momentum &gt; 0 and no dampening).</param>
    /// <exception cref="ArgumentException">No parameters, or a name repeats.</exception>
    /// <exception cref="TorchException">A hyper-parameter is out of range.</exception>
    public SGD(IEnumerable<(string Name, Parameter Parameter)> parameters, double learningRate, double momentum = 0, double dampening = 0, double weightDecay = 0, bool nesterov = false)
        : base(parameters, handles => Create(handles, learningRate, momentum, dampening, weightDecay, nesterov), "sgd")
    {
    }

    /// <summary>Creates the optimizer over parameters named by position ("0", "1", ...).</summary>
    /// <param name="parameters">The parameters.</param>
    /// <param name="learningRate">Step size.</param>
    /// <param name="momentum">Momentum factor (0 = plain SGD).</param>
    /// <param name="dampening">Dampening of the momentum.</param>
    /// <param name="weightDecay">L2 penalty added to the gradient.</param>
    /// <param name="nesterov">Use Nesterov momentum.</param>
    /// <exception cref="ArgumentException">No parameters.</exception>
    public SGD(IEnumerable<Parameter> parameters, double learningRate, double momentum = 0, double dampening = 0, double weightDecay = 0, bool nesterov = false)
        : this(Indexed(parameters), learningRate, momentum, dampening, weightDecay, nesterov)
    {
    }

    /// <inheritdoc />
    public override IReadOnlyDictionary<string, Tensor> GetState()
    {
        var state = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        for (var i = 0; i < ParameterNames.Count; i++)
        {
            IntPtr buffer;
            int found;
            unsafe
            {
                found = NativeMethods.msft_sgd_get_state(Handle, i, &buffer);
            }

            Tensor.Check(found, $"sgd.get_state({ParameterNames[i]})");
            if (found == 1)
            {
                state[$"{ParameterNames[i]}.momentum_buffer"] = new Tensor(buffer);
            }
        }

        GC.KeepAlive(this);
        return state;
    }

    /// <inheritdoc />
    public override void LoadState(IReadOnlyDictionary<string, Tensor> state)
    {
        CheckStateNames(state, Fields);
        for (var i = 0; i < ParameterNames.Count; i++)
        {
            if (state.TryGetValue($"{ParameterNames[i]}.momentum_buffer", out var buffer))
            {
                Tensor.Check(NativeMethods.msft_sgd_set_state(Handle, i, buffer.Handle), $"sgd.load_state({ParameterNames[i]})", buffer);
            }
        }

        GC.KeepAlive(this);
    }

    private static IntPtr Create(IntPtr[] handles, double lr, double momentum, double dampening, double weightDecay, bool nesterov)
    {
        unsafe
        {
            fixed (IntPtr* p = handles)
            {
                return NativeMethods.msft_sgd_create(p, handles.Length, lr, momentum, dampening, weightDecay, nesterov);
            }
        }
    }
}
