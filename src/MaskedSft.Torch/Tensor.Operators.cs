// Operator overloads of Tensor (+, -, *, /, unary -): tensor-tensor with broadcasting, tensor-scalar, scalar-tensor.
namespace MaskedSft.Torch;

public partial class Tensor
{
    /// <summary>Elementwise add with broadcasting (see <see cref="Add(Tensor)"/>).</summary>
    /// <param name="left">Left operand.</param>
    /// <param name="right">Right operand.</param>
    /// <returns>The result.</returns>
    /// <exception cref="ArgumentNullException">An operand is null.</exception>
    public static Tensor operator +(Tensor left, Tensor right)
    {
        ArgumentNullException.ThrowIfNull(left);
        return left.Add(right);
    }

    /// <summary>Elementwise add of a tensor and a scalar.</summary>
    /// <param name="left">The tensor.</param>
    /// <param name="right">The scalar.</param>
    /// <returns>The result.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="left"/> is null.</exception>
    public static Tensor operator +(Tensor left, double right)
    {
        ArgumentNullException.ThrowIfNull(left);
        return left.Add(right);
    }

    /// <summary>Elementwise add of a scalar and a tensor.</summary>
    /// <param name="left">The scalar.</param>
    /// <param name="right">The tensor.</param>
    /// <returns>The result.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="right"/> is null.</exception>
    public static Tensor operator +(double left, Tensor right)
    {
        ArgumentNullException.ThrowIfNull(right);
        return Wrap(NativeMethods.msft_radd_scalar(right.Handle, left, 0, false), "add", right);
    }

    /// <summary>Elementwise add of a tensor and a scalar.</summary>
    /// <param name="left">The tensor.</param>
    /// <param name="right">The scalar.</param>
    /// <returns>The result.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="left"/> is null.</exception>
    public static Tensor operator +(Tensor left, long right)
    {
        ArgumentNullException.ThrowIfNull(left);
        return left.Add(right);
    }

    /// <summary>Elementwise add of a scalar and a tensor.</summary>
    /// <param name="left">The scalar.</param>
    /// <param name="right">The tensor.</param>
    /// <returns>The result.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="right"/> is null.</exception>
    public static Tensor operator +(long left, Tensor right)
    {
        ArgumentNullException.ThrowIfNull(right);
        return Wrap(NativeMethods.msft_radd_scalar(right.Handle, left, left, true), "add", right);
    }

    /// <summary>Elementwise sub with broadcasting (see <see cref="Sub(Tensor)"/>).</summary>
    /// <param name="left">Left operand.</param>
    /// <param name="right">Right operand.</param>
    /// <returns>The result.</returns>
    /// <exception cref="ArgumentNullException">An operand is null.</exception>
    public static Tensor operator -(Tensor left, Tensor right)
    {
        ArgumentNullException.ThrowIfNull(left);
        return left.Sub(right);
    }

    /// <summary>Elementwise sub of a tensor and a scalar.</summary>
    /// <param name="left">The tensor.</param>
    /// <param name="right">The scalar.</param>
    /// <returns>The result.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="left"/> is null.</exception>
    public static Tensor operator -(Tensor left, double right)
    {
        ArgumentNullException.ThrowIfNull(left);
        return left.Sub(right);
    }

    /// <summary>Elementwise sub of a scalar and a tensor.</summary>
    /// <param name="left">The scalar.</param>
    /// <param name="right">The tensor.</param>
    /// <returns>The result.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="right"/> is null.</exception>
    public static Tensor operator -(double left, Tensor right)
    {
        ArgumentNullException.ThrowIfNull(right);
        return Wrap(NativeMethods.msft_rsub_scalar(right.Handle, left, 0, false), "sub", right);
    }

    /// <summary>Elementwise sub of a tensor and a scalar.</summary>
    /// <param name="left">The tensor.</param>
    /// <param name="right">The scalar.</param>
    /// <returns>The result.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="left"/> is null.</exception>
    public static Tensor operator -(Tensor left, long right)
    {
        ArgumentNullException.ThrowIfNull(left);
        return left.Sub(right);
    }

    /// <summary>Elementwise sub of a scalar and a tensor.</summary>
    /// <param name="left">The scalar.</param>
    /// <param name="right">The tensor.</param>
    /// <returns>The result.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="right"/> is null.</exception>
    public static Tensor operator -(long left, Tensor right)
    {
        ArgumentNullException.ThrowIfNull(right);
        return Wrap(NativeMethods.msft_rsub_scalar(right.Handle, left, left, true), "sub", right);
    }

    /// <summary>Elementwise mul with broadcasting (see <see cref="Mul(Tensor)"/>).</summary>
    /// <param name="left">Left operand.</param>
    /// <param name="right">Right operand.</param>
    /// <returns>The result.</returns>
    /// <exception cref="ArgumentNullException">An operand is null.</exception>
    public static Tensor operator *(Tensor left, Tensor right)
    {
        ArgumentNullException.ThrowIfNull(left);
        return left.Mul(right);
    }

    /// <summary>Elementwise mul of a tensor and a scalar.</summary>
    /// <param name="left">The tensor.</param>
    /// <param name="right">The scalar.</param>
    /// <returns>The result.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="left"/> is null.</exception>
    public static Tensor operator *(Tensor left, double right)
    {
        ArgumentNullException.ThrowIfNull(left);
        return left.Mul(right);
    }

    /// <summary>Elementwise mul of a scalar and a tensor.</summary>
    /// <param name="left">The scalar.</param>
    /// <param name="right">The tensor.</param>
    /// <returns>The result.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="right"/> is null.</exception>
    public static Tensor operator *(double left, Tensor right)
    {
        ArgumentNullException.ThrowIfNull(right);
        return Wrap(NativeMethods.msft_rmul_scalar(right.Handle, left, 0, false), "mul", right);
    }

    /// <summary>Elementwise mul of a tensor and a scalar.</summary>
    /// <param name="left">The tensor.</param>
    /// <param name="right">The scalar.</param>
    /// <returns>The result.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="left"/> is null.</exception>
    public static Tensor operator *(Tensor left, long right)
    {
        ArgumentNullException.ThrowIfNull(left);
        return left.Mul(right);
    }

    /// <summary>Elementwise mul of a scalar and a tensor.</summary>
    /// <param name="left">The scalar.</param>
    /// <param name="right">The tensor.</param>
    /// <returns>The result.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="right"/> is null.</exception>
    public static Tensor operator *(long left, Tensor right)
    {
        ArgumentNullException.ThrowIfNull(right);
        return Wrap(NativeMethods.msft_rmul_scalar(right.Handle, left, left, true), "mul", right);
    }

    /// <summary>Elementwise div with broadcasting (see <see cref="Div(Tensor)"/>).</summary>
    /// <param name="left">Left operand.</param>
    /// <param name="right">Right operand.</param>
    /// <returns>The result.</returns>
    /// <exception cref="ArgumentNullException">An operand is null.</exception>
    public static Tensor operator /(Tensor left, Tensor right)
    {
        ArgumentNullException.ThrowIfNull(left);
        return left.Div(right);
    }

    /// <summary>Elementwise div of a tensor and a scalar.</summary>
    /// <param name="left">The tensor.</param>
    /// <param name="right">The scalar.</param>
    /// <returns>The result.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="left"/> is null.</exception>
    public static Tensor operator /(Tensor left, double right)
    {
        ArgumentNullException.ThrowIfNull(left);
        return left.Div(right);
    }

    /// <summary>Elementwise div of a scalar and a tensor.</summary>
    /// <param name="left">The scalar.</param>
    /// <param name="right">The tensor.</param>
    /// <returns>The result.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="right"/> is null.</exception>
    public static Tensor operator /(double left, Tensor right)
    {
        ArgumentNullException.ThrowIfNull(right);
        return Wrap(NativeMethods.msft_rdiv_scalar(right.Handle, left, 0, false), "div", right);
    }

    /// <summary>Elementwise div of a tensor and a scalar.</summary>
    /// <param name="left">The tensor.</param>
    /// <param name="right">The scalar.</param>
    /// <returns>The result.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="left"/> is null.</exception>
    public static Tensor operator /(Tensor left, long right)
    {
        ArgumentNullException.ThrowIfNull(left);
        return left.Div(right);
    }

    /// <summary>Elementwise div of a scalar and a tensor.</summary>
    /// <param name="left">The scalar.</param>
    /// <param name="right">The tensor.</param>
    /// <returns>The result.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="right"/> is null.</exception>
    public static Tensor operator /(long left, Tensor right)
    {
        ArgumentNullException.ThrowIfNull(right);
        return Wrap(NativeMethods.msft_rdiv_scalar(right.Handle, left, left, true), "div", right);
    }

    /// <summary>Elementwise negation.</summary>
    /// <param name="value">The tensor.</param>
    /// <returns>-value.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="value"/> is null.</exception>
    public static Tensor operator -(Tensor value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return value.Neg();
    }
}
