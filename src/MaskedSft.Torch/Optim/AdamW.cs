// AdamW (decoupled weight decay) through libtorch's torch::optim::AdamW, with exportable step and moments.

namespace MaskedSft.Torch.Optim;

/// <summary>
/// AdamW (Loshchilov and Hutter): Adam with weight decay applied directly to the weights, via libtorch's own
/// implementation. State per parameter: "{name}.step" (0-d int64), "{name}.exp_avg", "{name}.exp_avg_sq" and, with
/// amsgrad, "{name}.max_exp_avg_sq".
/// </summary>
public sealed class AdamW : Optimizer
{
    private static readonly string[] Fields = ["step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"];

    /// <summary>Creates the optimizer over named parameters (e.g. <c>model.NamedParameters()</c>).</summary>
    /// <param name="parameters">The parameters with unique names.</param>
    /// <param name="learningRate">Step size.</param>
    /// <param name="beta1">Decay of the first moment.</param>
    /// <param name="beta2">Decay of the second moment.</param>
    /// <param name="eps">Added to the denominator.</param>
    /// <param name="weightDecay">Decoupled weight decay.</param>
    /// <param name="amsgrad">Use the AMSGrad variant.</param>
    /// <exception cref="ArgumentException">No parameters, or a name repeats.</exception>
    /// <exception cref="TorchException">A hyper-parameter is out of range.</exception>
    public AdamW(IEnumerable<(string Name, Parameter Parameter)> parameters, double learningRate = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, double weightDecay = 0.01, bool amsgrad = false)
        : base(parameters, handles => Create(handles, learningRate, beta1, beta2, eps, weightDecay, amsgrad), "adamw")
    {
        Amsgrad = amsgrad;
    }

    /// <summary>Creates the optimizer over parameters named by position ("0", "1", ...).</summary>
    /// <param name="parameters">The parameters.</param>
    /// <param name="learningRate">Step size.</param>
    /// <param name="beta1">Decay of the first moment.</param>
    /// <param name="beta2">Decay of the second moment.</param>
    /// <param name="eps">Added to the denominator.</param>
    /// <param name="weightDecay">Decoupled weight decay.</param>
    /// <param name="amsgrad">Use the AMSGrad variant.</param>
    /// <exception cref="ArgumentException">No parameters.</exception>
    /// <exception cref="TorchException">A hyper-parameter is out of range.</exception>
    public AdamW(IEnumerable<Parameter> parameters, double learningRate = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, double weightDecay = 0.01, bool amsgrad = false)
        : this(Indexed(parameters), learningRate, beta1, beta2, eps, weightDecay, amsgrad)
    {
    }

    /// <summary>Whether the AMSGrad variant is used.</summary>
    public bool Amsgrad { get; }

    /// <summary>The kernels of <see cref="Step"/> (the same update either way); <see cref="AdamWImplementation.PerTensor"/>
    /// by default. AMSGrad always runs per tensor.</summary>
    public AdamWImplementation Implementation { get; set; } = AdamWImplementation.PerTensor;

    /// <summary>The implementation the last <see cref="Step"/> ran (<see cref="AdamWImplementation.MultiTensor"/> where
    /// <see cref="AdamWImplementation.Fused"/> was asked for but is not available); null before the first step.</summary>
    public AdamWImplementation? LastImplementation { get; private set; }

    /// <summary>Updates the parameters that have gradients with <see cref="Implementation"/>'s kernels (without
    /// recording gradients).</summary>
    /// <exception cref="TorchException">libtorch rejected the step (e.g. sparse gradients).</exception>
    public override void Step()
    {
        if (Implementation == AdamWImplementation.PerTensor)
        {
            base.Step();
            LastImplementation = AdamWImplementation.PerTensor;
            return;
        }

        var used = NativeMethods.msft_adamw_step_multi(Handle, (int)Implementation);
        Tensor.Check(used, $"adamw.step({Implementation})");
        GC.KeepAlive(this);
        LastImplementation = (AdamWImplementation)used;
    }

    /// <inheritdoc />
    public override IReadOnlyDictionary<string, Tensor> GetState()
    {
        var state = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        for (var i = 0; i < ParameterNames.Count; i++)
        {
            long step;
            IntPtr expAvg, expAvgSq, maxExpAvgSq;
            int found;
            unsafe
            {
                found = NativeMethods.msft_adamw_get_state(Handle, i, &step, &expAvg, &expAvgSq, &maxExpAvgSq);
            }

            Tensor.Check(found, $"adamw.get_state({ParameterNames[i]})");
            if (found == 0)
            {
                continue;
            }

            var name = ParameterNames[i];
            state[$"{name}.step"] = TorchOps.Scalar(step, ScalarType.Int64);
            state[$"{name}.exp_avg"] = new Tensor(expAvg);
            state[$"{name}.exp_avg_sq"] = new Tensor(expAvgSq);
            if (maxExpAvgSq != IntPtr.Zero)
            {
                state[$"{name}.max_exp_avg_sq"] = new Tensor(maxExpAvgSq);
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
            var name = ParameterNames[i];
            if (!state.ContainsKey($"{name}.step") && !state.ContainsKey($"{name}.exp_avg"))
            {
                continue;
            }

            var step = Required(state, name, "step").Item<long>();
            var expAvg = Required(state, name, "exp_avg");
            var expAvgSq = Required(state, name, "exp_avg_sq");
            state.TryGetValue($"{name}.max_exp_avg_sq", out var maxExpAvgSq);
            if (Amsgrad && maxExpAvgSq is null)
            {
                throw new ArgumentException($"optimizer state of '{name}' has no '{name}.max_exp_avg_sq' entry (amsgrad)", nameof(state));
            }

            Tensor.Check(
                NativeMethods.msft_adamw_set_state(Handle, i, step, expAvg.Handle, expAvgSq.Handle, Tensor.HandleOf(maxExpAvgSq)),
                $"adamw.load_state({name})", expAvg, expAvgSq);
            GC.KeepAlive(maxExpAvgSq);
        }

        GC.KeepAlive(this);
    }

    private static IntPtr Create(IntPtr[] handles, double lr, double beta1, double beta2, double eps, double weightDecay, bool amsgrad)
    {
        unsafe
        {
            fixed (IntPtr* p = handles)
            {
                return NativeMethods.msft_adamw_create(p, handles.Length, lr, beta1, beta2, eps, weightDecay, amsgrad);
            }
        }
    }
}
