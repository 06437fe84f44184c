// One LoRA adapter on one Linear layer (peft's lora.Linear): A (r, in), B (out, r), scale, dropout, merge/unmerge.
using MaskedSft.Torch;
using MaskedSft.Torch.Nn;

namespace MaskedSft.MLNet.Models.Lora;

/// <summary>
/// The adapter of one Linear layer: while attached and enabled, the layer returns
/// <c>x Wᵀ + b + dropout(x) Aᵀ Bᵀ · scale</c> (the adapter term computed in the adapter's dtype, added to the base output
/// and cast back to its dtype, as peft). Its parameters are <c>lora_A.weight</c> (r, in) and <c>lora_B.weight</c>
/// (out, r). Created and owned by <see cref="LoraModel"/>.
/// </summary>
public sealed class LoraLayer : Module, ILinearAdapter
{
    private readonly Linear _a;   // in -> r
    private readonly Linear _b;   // r -> out

    internal LoraLayer(string path, Linear baseLayer, int rank, double alpha, double scaling, double dropout, LoraInit init, Generator generator, ScalarType dtype)
    {
        Path = path;
        BaseLayer = baseLayer;
        Rank = rank;
        Alpha = alpha;
        Scaling = scaling;
        Dropout = dropout;

        // nn.Linear's initialisation is kaiming_uniform(a = sqrt(5)): uniform in ±1/sqrt(fan in), peft's init for A.
        _a = RegisterModule("lora_A", new Linear(baseLayer.InFeatures, rank, hasBias: false, generator, dtype));
        _b = RegisterModule("lora_B", new Linear(rank, baseLayer.OutFeatures, hasBias: false, generator, dtype));
        using var scope = new DisposeScope();
        using var noGrad = new NoGradScope();
        if (init == LoraInit.Gaussian) _a.Weight.CopyFrom(TorchOps.Randn(_a.Weight.Shape, generator).Mul(1.0 / rank));
        if (init != LoraInit.Random) _b.Weight.Zero();
    }

    /// <summary>The dotted path of the adapted layer in the base model.</summary>
    public string Path { get; }

    /// <summary>The adapted layer.</summary>
    public Linear BaseLayer { get; }

    /// <summary>The rank r.</summary>
    public int Rank { get; }

    /// <summary>The alpha.</summary>
    public double Alpha { get; }

    /// <summary>The scale of the adapter term (alpha / r, or alpha / sqrt(r) with rsLoRA).</summary>
    public double Scaling { get; }

    /// <summary>The dropout probability on the adapter's input while the base layer is in training mode.</summary>
    public double Dropout { get; }

    /// <summary>(r, in) the down projection A (<c>lora_A.weight</c>).</summary>
    public Parameter A => _a.Weight;

    /// <summary>(out, r) the up projection B (<c>lora_B.weight</c>).</summary>
    public Parameter B => _b.Weight;

    /// <summary>Whether scale · B A is currently added into the base layer's weight.</summary>
    public bool IsMerged { get; private set; }

    /// <summary>Whether the adapter term is added (false: the layer computes exactly its base output).</summary>
    internal bool Enabled { get; set; } = true;

    /// <summary>The weight change the adapter stands for: scale · B A, computed in float32 and returned in the
    /// adapter's dtype (peft's get_delta_weight).</summary>
    /// <returns>(out, in) a new tensor in the current dispose scope, without autograd history.</returns>
    public Tensor DeltaWeight()
    {
        using var noGrad = new NoGradScope();
        var dtype = A.DType;
        using var scope = new DisposeScope();
        var delta = B.To(ScalarType.Float32).Matmul(A.To(ScalarType.Float32)).Mul(Scaling);   // (out, in)
        return (dtype == ScalarType.Float32 ? delta : delta.To(dtype)).MoveToOuterScope();
    }

    /// <inheritdoc />
    Tensor ILinearAdapter.Forward(Linear layer, Tensor input, Tensor baseOutput)
    {
        if (!Enabled || IsMerged) return baseOutput;
        var dtype = A.DType;
        var x = input.DType == dtype ? input : input.To(dtype);                           // (..., in)
        if (Dropout > 0 && layer.IsTraining) x = TorchOps.Dropout(x, Dropout, training: true);
        var delta = TorchOps.Linear(TorchOps.Linear(x, A), B).Mul(Scaling);               // (..., r) -> (..., out)
        var output = baseOutput.Add(delta);                                                // (..., out)
        return output.DType == baseOutput.DType ? output : output.To(baseOutput.DType);
    }

    /// <summary>Adds scale · B A into the base weight (W += ΔW); the forward pass then skips the adapter term.</summary>
    internal void Merge()
    {
        if (IsMerged) return;
        AddDelta(1.0);
        IsMerged = true;
    }

    /// <summary>Subtracts scale · B A from the base weight again (equal to the weight before merging up to rounding).</summary>
    internal void Unmerge()
    {
        if (!IsMerged) return;
        AddDelta(-1.0);
        IsMerged = false;
    }

    private void AddDelta(double sign)
    {
        using var scope = new DisposeScope();
        using var noGrad = new NoGradScope();
        var weight = BaseLayer.Weight;
        var delta = DeltaWeight();                                                         // (out, in)
        weight.AddInPlace(delta.DType == weight.DType && delta.Device == weight.Device ? delta : delta.To(weight.Device, weight.DType), sign);
    }
}
