// Elementwise math of a tensor: arithmetic and comparisons (tensor and scalar operands), unary functions, clamp, matmul.
// (Written out member by member; the native side is src/MaskedSft.Torch/Native/src/tensor_math.cpp.)
namespace MaskedSft.Torch;

public partial class Tensor
{
    /// <summary>Elementwise sum with broadcasting.</summary>
    /// <param name="other">The other operand.</param>
    /// <returns>The result.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="other"/> is null.</exception>
    /// <exception cref="TorchException">The shapes cannot be broadcast or the dtypes/devices do not combine.</exception>
    public Tensor Add(Tensor other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return Wrap(NativeMethods.msft_add(Handle, other.Handle), "add", this, other);
    }

    /// <summary>Elementwise sum with broadcasting, against a floating-point scalar.</summary>
    /// <param name="other">The scalar.</param>
    /// <returns>The result.</returns>
    public Tensor Add(double other) => Wrap(NativeMethods.msft_add_scalar(Handle, other, 0, false), "add", this);

    /// <summary>Elementwise sum with broadcasting, against an integer scalar (integer tensors stay integer).</summary>
    /// <param name="other">The scalar.</param>
    /// <returns>The result.</returns>
    public Tensor Add(long other) => Wrap(NativeMethods.msft_add_scalar(Handle, other, other, true), "add", this);

    /// <summary>Elementwise difference with broadcasting.</summary>
    /// <param name="other">The other operand.</param>
    /// <returns>The result.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="other"/> is null.</exception>
    /// <exception cref="TorchException">The shapes cannot be broadcast or the dtypes/devices do not combine.</exception>
    public Tensor Sub(Tensor other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return Wrap(NativeMethods.msft_sub(Handle, other.Handle), "sub", this, other);
    }

    /// <summary>Elementwise difference with broadcasting, against a floating-point scalar.</summary>
    /// <param name="other">The scalar.</param>
    /// <returns>The result.</returns>
    public Tensor Sub(double other) => Wrap(NativeMethods.msft_sub_scalar(Handle, other, 0, false), "sub", this);

    /// <summary>Elementwise difference with broadcasting, against an integer scalar (integer tensors stay integer).</summary>
    /// <param name="other">The scalar.</param>
    /// <returns>The result.</returns>
    public Tensor Sub(long other) => Wrap(NativeMethods.msft_sub_scalar(Handle, other, other, true), "sub", this);

    /// <summary>Elementwise product with broadcasting.</summary>
    /// <param name="other">The other operand.</param>
    /// <returns>The result.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="other"/> is null.</exception>
    /// <exception cref="TorchException">The shapes cannot be broadcast or the dtypes/devices do not combine.</exception>
    public Tensor Mul(Tensor other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return Wrap(NativeMethods.msft_mul(Handle, other.Handle), "mul", this, other);
    }

    /// <summary>Elementwise product with broadcasting, against a floating-point scalar.</summary>
    /// <param name="other">The scalar.</param>
    /// <returns>The result.</returns>
    public Tensor Mul(double other) => Wrap(NativeMethods.msft_mul_scalar(Handle, other, 0, false), "mul", this);

    /// <summary>Elementwise product with broadcasting, against an integer scalar (integer tensors stay integer).</summary>
    /// <param name="other">The scalar.</param>
    /// <returns>The result.</returns>
    public Tensor Mul(long other) => Wrap(NativeMethods.msft_mul_scalar(Handle, other, other, true), "mul", this);

    /// <summary>Elementwise true division with broadcasting (integers give floats).</summary>
    /// <param name="other">The other operand.</param>
    /// <returns>The result.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="other"/> is null.</exception>
    /// <exception cref="TorchException">The shapes cannot be broadcast or the dtypes/devices do not combine.</exception>
    public Tensor Div(Tensor other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return Wrap(NativeMethods.msft_div(Handle, other.Handle), "div", this, other);
    }

    /// <summary>Elementwise true division with broadcasting (integers give floats), against a floating-point scalar.</summary>
    /// <param name="other">The scalar.</param>
    /// <returns>The result.</returns>
    public Tensor Div(double other) => Wrap(NativeMethods.msft_div_scalar(Handle, other, 0, false), "div", this);

    /// <summary>Elementwise true division with broadcasting (integers give floats), against an integer scalar (integer tensors stay integer).</summary>
    /// <param name="other">The scalar.</param>
    /// <returns>The result.</returns>
    public Tensor Div(long other) => Wrap(NativeMethods.msft_div_scalar(Handle, other, other, true), "div", this);

    /// <summary>Elementwise power with broadcasting.</summary>
    /// <param name="other">The other operand.</param>
    /// <returns>The result.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="other"/> is null.</exception>
    /// <exception cref="TorchException">The shapes cannot be broadcast or the dtypes/devices do not combine.</exception>
    public Tensor Pow(Tensor other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return Wrap(NativeMethods.msft_pow(Handle, other.Handle), "pow", this, other);
    }

    /// <summary>Elementwise power with broadcasting, against a floating-point scalar.</summary>
    /// <param name="other">The scalar.</param>
    /// <returns>The result.</returns>
    public Tensor Pow(double other) => Wrap(NativeMethods.msft_pow_scalar(Handle, other, 0, false), "pow", this);

    /// <summary>Elementwise power with broadcasting, against an integer scalar (integer tensors stay integer).</summary>
    /// <param name="other">The scalar.</param>
    /// <returns>The result.</returns>
    public Tensor Pow(long other) => Wrap(NativeMethods.msft_pow_scalar(Handle, other, other, true), "pow", this);

    /// <summary>Elementwise Python-style remainder (sign of the divisor) with broadcasting.</summary>
    /// <param name="other">The other operand.</param>
    /// <returns>The result.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="other"/> is null.</exception>
    /// <exception cref="TorchException">The shapes cannot be broadcast or the dtypes/devices do not combine.</exception>
    public Tensor Remainder(Tensor other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return Wrap(NativeMethods.msft_remainder(Handle, other.Handle), "remainder", this, other);
    }

    /// <summary>Elementwise Python-style remainder (sign of the divisor) with broadcasting, against a floating-point scalar.</summary>
    /// <param name="other">The scalar.</param>
    /// <returns>The result.</returns>
    public Tensor Remainder(double other) => Wrap(NativeMethods.msft_remainder_scalar(Handle, other, 0, false), "remainder", this);

    /// <summary>Elementwise Python-style remainder (sign of the divisor) with broadcasting, against an integer scalar (integer tensors stay integer).</summary>
    /// <param name="other">The scalar.</param>
    /// <returns>The result.</returns>
    public Tensor Remainder(long other) => Wrap(NativeMethods.msft_remainder_scalar(Handle, other, other, true), "remainder", this);

    /// <summary>Elementwise maximum with broadcasting.</summary>
    /// <param name="other">The other operand.</param>
    /// <returns>The result.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="other"/> is null.</exception>
    /// <exception cref="TorchException">The shapes cannot be broadcast or the dtypes/devices do not combine.</exception>
    public Tensor Maximum(Tensor other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return Wrap(NativeMethods.msft_maximum(Handle, other.Handle), "maximum", this, other);
    }

    /// <summary>Elementwise minimum with broadcasting.</summary>
    /// <param name="other">The other operand.</param>
    /// <returns>The result.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="other"/> is null.</exception>
    /// <exception cref="TorchException">The shapes cannot be broadcast or the dtypes/devices do not combine.</exception>
    public Tensor Minimum(Tensor other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return Wrap(NativeMethods.msft_minimum(Handle, other.Handle), "minimum", this, other);
    }

    /// <summary>Elementwise equality as a bool tensor.</summary>
    /// <param name="other">The other operand.</param>
    /// <returns>The result.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="other"/> is null.</exception>
    /// <exception cref="TorchException">The shapes cannot be broadcast or the dtypes/devices do not combine.</exception>
    public Tensor Eq(Tensor other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return Wrap(NativeMethods.msft_eq(Handle, other.Handle), "eq", this, other);
    }

    /// <summary>Elementwise equality as a bool tensor, against a floating-point scalar.</summary>
    /// <param name="other">The scalar.</param>
    /// <returns>The result.</returns>
    public Tensor Eq(double other) => Wrap(NativeMethods.msft_eq_scalar(Handle, other, 0, false), "eq", this);

    /// <summary>Elementwise equality as a bool tensor, against an integer scalar (integer tensors stay integer).</summary>
    /// <param name="other">The scalar.</param>
    /// <returns>The result.</returns>
    public Tensor Eq(long other) => Wrap(NativeMethods.msft_eq_scalar(Handle, other, other, true), "eq", this);

    /// <summary>Elementwise inequality as a bool tensor.</summary>
    /// <param name="other">The other operand.</param>
    /// <returns>The result.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="other"/> is null.</exception>
    /// <exception cref="TorchException">The shapes cannot be broadcast or the dtypes/devices do not combine.</exception>
    public Tensor Ne(Tensor other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return Wrap(NativeMethods.msft_ne(Handle, other.Handle), "ne", this, other);
    }

    /// <summary>Elementwise inequality as a bool tensor, against a floating-point scalar.</summary>
    /// <param name="other">The scalar.</param>
    /// <returns>The result.</returns>
    public Tensor Ne(double other) => Wrap(NativeMethods.msft_ne_scalar(Handle, other, 0, false), "ne", this);

    /// <summary>Elementwise inequality as a bool tensor, against an integer scalar (integer tensors stay integer).</summary>
    /// <param name="other">The scalar.</param>
    /// <returns>The result.</returns>
    public Tensor Ne(long other) => Wrap(NativeMethods.msft_ne_scalar(Handle, other, other, true), "ne", this);

    /// <summary>Elementwise less-than as a bool tensor.</summary>
    /// <param name="other">The other operand.</param>
    /// <returns>The result.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="other"/> is null.</exception>
    /// <exception cref="TorchException">The shapes cannot be broadcast or the dtypes/devices do not combine.</exception>
    public Tensor Lt(Tensor other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return Wrap(NativeMethods.msft_lt(Handle, other.Handle), "lt", this, other);
    }

    /// <summary>Elementwise less-than as a bool tensor, against a floating-point scalar.</summary>
    /// <param name="other">The scalar.</param>
    /// <returns>The result.</returns>
    public Tensor Lt(double other) => Wrap(NativeMethods.msft_lt_scalar(Handle, other, 0, false), "lt", this);

    /// <summary>Elementwise less-than as a bool tensor, against an integer scalar (integer tensors stay integer).</summary>
    /// <param name="other">The scalar.</param>
    /// <returns>The result.</returns>
    public Tensor Lt(long other) => Wrap(NativeMethods.msft_lt_scalar(Handle, other, other, true), "lt", this);

    /// <summary>Elementwise less-or-equal as a bool tensor.</summary>
    /// <param name="other">The other operand.</param>
    /// <returns>The result.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="other"/> is null.</exception>
    /// <exception cref="TorchException">The shapes cannot be broadcast or the dtypes/devices do not combine.</exception>
    public Tensor Le(Tensor other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return Wrap(NativeMethods.msft_le(Handle, other.Handle), "le", this, other);
    }

    /// <summary>Elementwise less-or-equal as a bool tensor, against a floating-point scalar.</summary>
    /// <param name="other">The scalar.</param>
    /// <returns>The result.</returns>
    public Tensor Le(double other) => Wrap(NativeMethods.msft_le_scalar(Handle, other, 0, false), "le", this);

    /// <summary>Elementwise less-or-equal as a bool tensor, against an integer scalar (integer tensors stay integer).</summary>
    /// <param name="other">The scalar.</param>
    /// <returns>The result.</returns>
    public Tensor Le(long other) => Wrap(NativeMethods.msft_le_scalar(Handle, other, other, true), "le", this);

    /// <summary>Elementwise greater-than as a bool tensor.</summary>
    /// <param name="other">The other operand.</param>
    /// <returns>The result.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="other"/> is null.</exception>
    /// <exception cref="TorchException">The shapes cannot be broadcast or the dtypes/devices do not combine.</exception>
    public Tensor Gt(Tensor other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return Wrap(NativeMethods.msft_gt(Handle, other.Handle), "gt", this, other);
    }

    /// <summary>Elementwise greater-than as a bool tensor, against a floating-point scalar.</summary>
    /// <param name="other">The scalar.</param>
    /// <returns>The result.</returns>
    public Tensor Gt(double other) => Wrap(NativeMethods.msft_gt_scalar(Handle, other, 0, false), "gt", this);

    /// <summary>Elementwise greater-than as a bool tensor, against an integer scalar (integer tensors stay integer).</summary>
    /// <param name="other">The scalar.</param>
    /// <returns>The result.</returns>
    public Tensor Gt(long other) => Wrap(NativeMethods.msft_gt_scalar(Handle, other, other, true), "gt", this);

    /// <summary>Elementwise greater-or-equal as a bool tensor.</summary>
    /// <param name="other">The other operand.</param>
    /// <returns>The result.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="other"/> is null.</exception>
    /// <exception cref="TorchException">The shapes cannot be broadcast or the dtypes/devices do not combine.</exception>
    public Tensor Ge(Tensor other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return Wrap(NativeMethods.msft_ge(Handle, other.Handle), "ge", this, other);
    }

    /// <summary>Elementwise greater-or-equal as a bool tensor, against a floating-point scalar.</summary>
    /// <param name="other">The scalar.</param>
    /// <returns>The result.</returns>
    public Tensor Ge(double other) => Wrap(NativeMethods.msft_ge_scalar(Handle, other, 0, false), "ge", this);

    /// <summary>Elementwise greater-or-equal as a bool tensor, against an integer scalar (integer tensors stay integer).</summary>
    /// <param name="other">The scalar.</param>
    /// <returns>The result.</returns>
    public Tensor Ge(long other) => Wrap(NativeMethods.msft_ge_scalar(Handle, other, other, true), "ge", this);

    /// <summary>Elementwise negation.</summary>
    /// <returns>The result.</returns>
    public Tensor Neg() => Wrap(NativeMethods.msft_neg(Handle), "neg", this);

    /// <summary>Elementwise absolute value.</summary>
    /// <returns>The result.</returns>
    public Tensor Abs() => Wrap(NativeMethods.msft_abs(Handle), "abs", this);

    /// <summary>Elementwise e^x.</summary>
    /// <returns>The result.</returns>
    public Tensor Exp() => Wrap(NativeMethods.msft_exp(Handle), "exp", this);

    /// <summary>Elementwise natural logarithm.</summary>
    /// <returns>The result.</returns>
    public Tensor Log() => Wrap(NativeMethods.msft_log(Handle), "log", this);

    /// <summary>Elementwise log(1 + x), accurate near 0.</summary>
    /// <returns>The result.</returns>
    public Tensor Log1p() => Wrap(NativeMethods.msft_log1p(Handle), "log1p", this);

    /// <summary>Elementwise square root.</summary>
    /// <returns>The result.</returns>
    public Tensor Sqrt() => Wrap(NativeMethods.msft_sqrt(Handle), "sqrt", this);

    /// <summary>Elementwise 1 / sqrt(x).</summary>
    /// <returns>The result.</returns>
    public Tensor Rsqrt() => Wrap(NativeMethods.msft_rsqrt(Handle), "rsqrt", this);

    /// <summary>Elementwise sine.</summary>
    /// <returns>The result.</returns>
    public Tensor Sin() => Wrap(NativeMethods.msft_sin(Handle), "sin", this);

    /// <summary>Elementwise cosine.</summary>
    /// <returns>The result.</returns>
    public Tensor Cos() => Wrap(NativeMethods.msft_cos(Handle), "cos", this);

    /// <summary>Elementwise hyperbolic tangent.</summary>
    /// <returns>The result.</returns>
    public Tensor Tanh() => Wrap(NativeMethods.msft_tanh(Handle), "tanh", this);

    /// <summary>Elementwise logistic sigmoid.</summary>
    /// <returns>The result.</returns>
    public Tensor Sigmoid() => Wrap(NativeMethods.msft_sigmoid(Handle), "sigmoid", this);

    /// <summary>Elementwise 1 / x.</summary>
    /// <returns>The result.</returns>
    public Tensor Reciprocal() => Wrap(NativeMethods.msft_reciprocal(Handle), "reciprocal", this);

    /// <summary>Elementwise x * x.</summary>
    /// <returns>The result.</returns>
    public Tensor Square() => Wrap(NativeMethods.msft_square(Handle), "square", this);

    /// <summary>Elementwise sign (-1, 0, 1).</summary>
    /// <returns>The result.</returns>
    public Tensor Sign() => Wrap(NativeMethods.msft_sign(Handle), "sign", this);

    /// <summary>Elementwise floor.</summary>
    /// <returns>The result.</returns>
    public Tensor Floor() => Wrap(NativeMethods.msft_floor(Handle), "floor", this);

    /// <summary>Elementwise ceiling.</summary>
    /// <returns>The result.</returns>
    public Tensor Ceil() => Wrap(NativeMethods.msft_ceil(Handle), "ceil", this);

    /// <summary>Elementwise rounding half to even.</summary>
    /// <returns>The result.</returns>
    public Tensor Round() => Wrap(NativeMethods.msft_round(Handle), "round", this);

    /// <summary>True where the element is neither infinite nor NaN.</summary>
    /// <returns>The result.</returns>
    public Tensor IsFinite() => Wrap(NativeMethods.msft_isfinite(Handle), "isfinite", this);

    /// <summary>True where the element is NaN.</summary>
    /// <returns>The result.</returns>
    public Tensor IsNan() => Wrap(NativeMethods.msft_isnan(Handle), "isnan", this);

    /// <summary>True where the element is infinite.</summary>
    /// <returns>The result.</returns>
    public Tensor IsInf() => Wrap(NativeMethods.msft_isinf(Handle), "isinf", this);

    /// <summary>Elementwise logical NOT as a bool tensor.</summary>
    /// <returns>The result.</returns>
    public Tensor LogicalNot() => Wrap(NativeMethods.msft_logical_not(Handle), "logical_not", this);

    /// <summary>this + alpha * other in one kernel.</summary>
    /// <param name="other">The addend.</param>
    /// <param name="alpha">Its factor.</param>
    /// <returns>The result.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="other"/> is null.</exception>
    /// <exception cref="TorchException">The shapes cannot be broadcast.</exception>
    public Tensor Add(Tensor other, double alpha)
    {
        ArgumentNullException.ThrowIfNull(other);
        return Wrap(NativeMethods.msft_add_scaled(Handle, other.Handle, alpha), "add", this, other);
    }

    /// <summary>Division rounded toward negative infinity (Python's //).</summary>
    /// <param name="other">The divisor.</param>
    /// <returns>The result.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="other"/> is null.</exception>
    public Tensor FloorDivide(Tensor other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return Wrap(NativeMethods.msft_div_rounding(Handle, other.Handle, "floor"), "floor_divide", this, other);
    }

    /// <summary>Elementwise logical AND (non-zero is true) as a bool tensor.</summary>
    /// <param name="other">The other operand.</param>
    /// <returns>The result.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="other"/> is null.</exception>
    public Tensor LogicalAnd(Tensor other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return Wrap(NativeMethods.msft_logical_and(Handle, other.Handle), "logical_and", this, other);
    }

    /// <summary>Elementwise logical OR (non-zero is true) as a bool tensor.</summary>
    /// <param name="other">The other operand.</param>
    /// <returns>The result.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="other"/> is null.</exception>
    public Tensor LogicalOr(Tensor other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return Wrap(NativeMethods.msft_logical_or(Handle, other.Handle), "logical_or", this, other);
    }

    /// <summary>Elementwise logical XOR (non-zero is true) as a bool tensor.</summary>
    /// <param name="other">The other operand.</param>
    /// <returns>The result.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="other"/> is null.</exception>
    public Tensor LogicalXor(Tensor other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return Wrap(NativeMethods.msft_logical_xor(Handle, other.Handle), "logical_xor", this, other);
    }

    /// <summary>Clamps every element into [min, max]; a null bound is not applied.</summary>
    /// <param name="min">The lower bound, or null.</param>
    /// <param name="max">The upper bound, or null.</param>
    /// <returns>The result.</returns>
    /// <exception cref="ArgumentException">Both bounds are null.</exception>
    public Tensor Clamp(double? min, double? max)
    {
        if (min is null && max is null)
        {
            throw new ArgumentException("clamp needs at least one of min and max");
        }

        return Wrap(NativeMethods.msft_clamp(Handle, min.HasValue, min ?? 0, max.HasValue, max ?? 0), "clamp", this);
    }

    /// <summary>Clamps every element to at least min.</summary>
    /// <param name="min">The lower bound.</param>
    /// <returns>The result.</returns>
    public Tensor ClampMin(double min) => Clamp(min, null);

    /// <summary>Clamps every element to at most max.</summary>
    /// <param name="max">The upper bound.</param>
    /// <returns>The result.</returns>
    public Tensor ClampMax(double max) => Clamp(null, max);

    /// <summary>Matrix product with NumPy semantics: vectors, matrices and broadcast batches.</summary>
    /// <param name="other">The right operand.</param>
    /// <returns>The product.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="other"/> is null.</exception>
    /// <exception cref="TorchException">The inner dimensions do not match.</exception>
    public Tensor Matmul(Tensor other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return Wrap(NativeMethods.msft_matmul(Handle, other.Handle), "matmul", this, other);
    }

    /// <summary>Batched matrix product of (B, N, M) and (B, M, P).</summary>
    /// <param name="other">The right operand.</param>
    /// <returns>The product.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="other"/> is null.</exception>
    /// <exception cref="TorchException">The inner dimensions do not match.</exception>
    public Tensor Bmm(Tensor other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return Wrap(NativeMethods.msft_bmm(Handle, other.Handle), "bmm", this, other);
    }

    /// <summary>Matrix product of (N, M) and (M, P).</summary>
    /// <param name="other">The right operand.</param>
    /// <returns>The product.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="other"/> is null.</exception>
    /// <exception cref="TorchException">The inner dimensions do not match.</exception>
    public Tensor Mm(Tensor other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return Wrap(NativeMethods.msft_mm(Handle, other.Handle), "mm", this, other);
    }
}
