// CheckpointedFunction: absent (null) extras reach the block as null in forward and in backward's recomputation, anywhere
// in the list, and gradients equal the uncheckpointed block's.
using MaskedSft.Torch;

namespace MaskedSft.MLNet.Tests.Torch;

[TestClass]
[DoNotParallelize]
public sealed class CheckpointedFunctionTests
{
    /// <summary>y = x * w (+ shift when given) (* scale when given): the block under test.</summary>
    private static Tensor Block(Tensor x, Tensor w, Tensor? shift, Tensor? scale)
    {
        var y = x.Mul(w);
        if (shift is not null) y = y.Add(shift);
        return scale is null ? y : y.Mul(scale);
    }

    [TestMethod]
    [DataRow(true, true)]
    [DataRow(false, true)]
    [DataRow(true, false)]
    [DataRow(false, false)]
    public void Apply_NullExtras_ReachTheBlockAsNullAndGradientsMatch(bool withShift, bool withScale)
    {
        using var scope = new DisposeScope();
        var shift = withShift ? Tensor.FromArray(new double[] { 0.5, -1, 2 }) : null;
        var scale = withScale ? Tensor.FromArray(new double[] { 3, 3, -2 }) : null;
        var x = Tensor.FromArray(new double[] { 1, -2, 3 });
        var w = Tensor.FromArray(new double[] { 0.25, 4, -1 }).WithRequiresGrad();   // the block's parameter (captured)
        var direct = Block(x, w, shift, scale);
        direct.Square().Sum().Backward();
        var expectedGrad = w.Grad!.ToArray<double>();
        w.ZeroGrad();
        Assert.IsNull(w.Grad);

        var seen = new List<(bool Shift, bool Scale)>();
        using var checkpointed = new CheckpointedFunction((input, extras) =>
        {
            Assert.AreEqual(2, extras.Count, "every extra position arrives, given or not");
            seen.Add((extras[0] is not null, extras[1] is not null));
            return Block(input, w, extras[0], extras[1]);
        });
        var y = checkpointed.Apply(x, shift, scale);
        CollectionAssert.AreEqual(direct.ToArray<double>(), y.ToArray<double>());
        y.Square().Sum().Backward();

        CollectionAssert.AreEqual(new[] { (withShift, withScale), (withShift, withScale) }, seen, "forward and the backward recomputation see the same nulls");
        CollectionAssert.AreEqual(expectedGrad, w.Grad!.ToArray<double>());
    }
}
