// BFloat16Masters: the float32 master copy of bfloat16 trainable parameters, float32 gradient accumulation, rounding back.
using MaskedSft.Torch;

namespace MaskedSft.MLNet.Training;

/// <summary>
/// The float32 master weights of <see cref="TrainingPrecision.BFloat16Masters"/> (the engine owns one): a float32
/// <see cref="Parameter"/> per trainable parameter, taken from the parameter's values before it is cast to bfloat16 (a
/// float32 model's values are kept exactly; a bfloat16 one's are widened), under the same name. The optimizer, the
/// gradient all-reduce, clipping and the norms see the masters; the model's parameters stay bfloat16 and are always the
/// masters rounded to nearest (<see cref="RoundIntoParameters"/>).
/// </summary>
internal sealed class MasterWeights : IDisposable
{
    private readonly IReadOnlyList<Parameter> _parameters;   // the model's, bfloat16 once RoundIntoParameters ran
    private readonly List<Parameter> _masters;               // float32, same order and shapes

    /// <summary>Copies every parameter into a new float32 master (the parameters are not changed yet).</summary>
    /// <param name="named">The trainable parameters with their names.</param>
    public MasterWeights(IReadOnlyList<(string Name, Parameter Parameter)> named)
    {
        _parameters = named.Select(n => n.Parameter).ToList();
        _masters = new List<Parameter>(named.Count);
        using var scope = new DisposeScope();
        using var noGrad = new NoGradScope();
        foreach (var (_, p) in named) _masters.Add(new Parameter(p.To(p.Device, ScalarType.Float32, copy: true)));
        Named = named.Select((n, i) => (n.Name, _masters[i])).ToList();
    }

    /// <summary>The masters under their parameters' names (what the optimizer steps).</summary>
    public IReadOnlyList<(string Name, Parameter Parameter)> Named { get; }

    /// <summary>Makes every model parameter bfloat16 holding its master rounded to nearest: parameters of another dtype
    /// get new bfloat16 data (<see cref="Tensor.SetData"/>: the same autograd leaf), bfloat16 ones are copied into.</summary>
    public void RoundIntoParameters()
    {
        using var scope = new DisposeScope();
        using var noGrad = new NoGradScope();
        var rounded = new List<Tensor>(_parameters.Count);
        var masters = new List<Tensor>(_parameters.Count);
        for (var i = 0; i < _parameters.Count; i++)
        {
            var p = _parameters[i];
            if (p.DType == ScalarType.BFloat16)
            {
                rounded.Add(p);
                masters.Add(_masters[i]);
            }
            else
            {
                p.ZeroGrad(setToNone: true);
                p.SetData(_masters[i].To(p.Device, ScalarType.BFloat16, copy: true));
            }
        }

        TorchOps.CopyTensors(rounded, masters);  // one native call (a multi-tensor copy on libtorch 2.2+)
    }

    /// <summary>After a micro-batch's backward pass: adds each parameter's bfloat16 gradient into its master's float32
    /// gradient (the first micro-batch's is widened into a new one) and frees the bfloat16 gradient, so the window
    /// accumulates in float32 and no bfloat16 gradient outlives its micro-batch. No host read.</summary>
    public void AccumulateGradients() => TorchOps.MoveGradients(_parameters.Cast<Tensor>().ToList(), _masters.Cast<Tensor>().ToList());

    /// <summary>Drops the model parameters' gradients (stale ones from outside the engine, before a step).</summary>
    public void DropParameterGradients()
    {
        foreach (var p in _parameters) p.ZeroGrad(setToNone: true);
    }

    /// <summary>Points every model parameter at its master's float32 storage until the returned scope is disposed; then
    /// the bfloat16 data is put back and the masters are rounded into it (so a load into the parameters inside the scope
    /// lands in the masters and reaches the bfloat16 weights).</summary>
    /// <returns>The scope.</returns>
    public IDisposable Expose() => new Exposure(this);

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var m in _masters) m.Dispose();
    }

    /// <summary>The parameters aliased to the masters (see <see cref="Expose"/>).</summary>
    private sealed class Exposure : IDisposable
    {
        private readonly MasterWeights _owner;
        private readonly List<Parameter> _saved = [];   // handles on the bfloat16 data (outside any dispose scope)
        private bool _disposed;

        public Exposure(MasterWeights owner)
        {
            _owner = owner;
            using var noGrad = new NoGradScope();
            for (var i = 0; i < owner._parameters.Count; i++)
            {
                var p = owner._parameters[i];
                p.ZeroGrad(setToNone: true);
                _saved.Add(new Parameter(p, requiresGrad: false));
                p.SetData(owner._masters[i]);
            }
        }

        public void Dispose()
        {
            if (_disposed) return;
            _disposed = true;
            using (var noGrad = new NoGradScope())
            {
                for (var i = 0; i < _saved.Count; i++)
                {
                    _owner._parameters[i].SetData(_saved[i]);
                    _saved[i].Dispose();
                }
            }

            _owner.RoundIntoParameters();
        }
    }
}
