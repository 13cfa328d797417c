using System;
using System.ComponentModel;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace RnnCompiler.Kernels;

/// <summary>
/// Element-wise activation functions, as Keras defines them, vectorized: one algorithm over every vector width
/// (<see cref="ISimdVector{TSelf, T}"/>), so the scalar fallback, the vector tails and the widest vectors agree.
/// </summary>
/// <remarks>
/// <para><b>Algorithm.</b> <c>e^x</c> is reduced to <c>2^n · e^r</c> with <c>n = round(x / ln 2)</c> and
/// <c>|r| ≤ ln 2 / 2</c> (Cody and Waite's two-part ln 2, so <c>r</c> is exact), <c>e^r − 1</c> is its Taylor polynomial
/// (degree 7 for float, 13 for double: the truncation is below 0.1 ulp), and the power of two is put into the exponent
/// bits in two halves, so overflow gives ∞ and underflow is gradual. <c>σ(x) = 1 / (1 + e^−x)</c>;
/// <c>tanh(x) = m / (m + 2)</c> with <c>m = e^2x − 1</c> computed as <c>2^n·p + (2^n − 1)</c>, which keeps full relative
/// accuracy near 0, where <c>1 − 2/(e^2x + 1)</c> would cancel.</para>
/// <para><b>Accuracy</b> (float, measured over a sweep of the whole float range, every path, tested in
/// <c>ActivationAccuracyTests</c>): σ within 2 ulp of the correctly rounded value wherever that is a normal float, and
/// within 3e-39 absolute below (x &lt; −87.3); tanh within 2 ulp, or 1e-7 absolute where |tanh| &gt; 0.5. NaN gives NaN,
/// σ(−∞) = 0, σ(+∞) = 1, tanh(±∞) = ±1. No lookup tables, no estimates: divisions are exact IEEE divisions.</para>
/// <para>Called by the layers that generated code calls; not meant to be called directly.</para>
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public static partial class Activations
{
    /// <summary>The logistic function <c>1 / (1 + e^-x)</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Sigmoid<T>(T x)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        => Sigmoid<Scalar<T>, T>(Scalar<T>.Create(x)).Value;

    /// <summary>The hyperbolic tangent, by the same algorithm as the vectorized <see cref="Tanh{T}(ReadOnlySpan{T}, Span{T})"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Tanh<T>(T x)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        => Tanh<Scalar<T>, T>(Scalar<T>.Create(x)).Value;

    /// <summary><c>y[i] = σ(x[i])</c>; <paramref name="y"/> may be <paramref name="x"/> itself.</summary>
    /// <exception cref="ArgumentException"><paramref name="y"/> is shorter than <paramref name="x"/>.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Sigmoid<T>(ReadOnlySpan<T> x, Span<T> y)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        => Map<SigmoidFunction, T>(x, y);

    /// <summary><c>y[i] = tanh(x[i])</c>; <paramref name="y"/> may be <paramref name="x"/> itself.</summary>
    /// <exception cref="ArgumentException"><paramref name="y"/> is shorter than <paramref name="x"/>.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tanh<T>(ReadOnlySpan<T> x, Span<T> y)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        => Map<TanhFunction, T>(x, y);

    /// <summary><c>y[i] = e^x[i]</c>, by the algorithm of σ and tanh; <paramref name="y"/> may be <paramref name="x"/> itself.</summary>
    /// <exception cref="ArgumentException"><paramref name="y"/> is shorter than <paramref name="x"/>.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Exp<T>(ReadOnlySpan<T> x, Span<T> y)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        => Map<ExpOperation, T>(x, y);

    /// <summary>Applies <paramref name="activation"/> to <paramref name="values"/> in place; Softmax runs over all of them.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Apply<T>(Activation activation, Span<T> values)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        switch (activation)
        {
            case Activation.Linear:
                break;
            case Activation.Tanh:
                Tanh<T>(values, values);
                break;
            case Activation.Sigmoid:
                Sigmoid<T>(values, values);
                break;
            case Activation.Relu:
                Map<ReluFunction, T>(values, values);
                break;
            case Activation.HardSigmoid:
                Map<HardSigmoidFunction, T>(values, values);
                break;
            case Activation.HardSigmoidKeras2:
                Map<HardSigmoidKeras2Function, T>(values, values);
                break;
            case Activation.Softmax:
                Softmax(values);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(activation), activation, "Expected Linear, Tanh, Sigmoid, Relu, HardSigmoid, HardSigmoidKeras2 or Softmax.");
        }
    }

    /// <summary>Applies <paramref name="activation"/> to each row of <paramref name="values"/> ([rows, width]); Softmax is per row.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ApplyRows<T>(Activation activation, Span<T> values, int width)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (activation != Activation.Softmax)
        {
            Apply(activation, values);
            return;
        }

        for (int start = 0; start + width <= values.Length; start += width)
        {
            Softmax(values.Slice(start, width));
        }
    }

    /// <summary>The normalized exponential, computed after subtracting the maximum so that it cannot overflow.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Softmax<T>(Span<T> values)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (values.IsEmpty)
        {
            return;
        }

        T max = values[0];
        for (int i = 1; i < values.Length; i++)
        {
            max = T.Max(max, values[i]);
        }

        for (int i = 0; i < values.Length; i++)
        {
            values[i] -= max;
        }

        Exp<T>(values, values);
        T sum = T.Zero;
        for (int i = 0; i < values.Length; i++)
        {
            sum += values[i];
        }

        T scale = T.One / sum;
        for (int i = 0; i < values.Length; i++)
        {
            values[i] *= scale;
        }
    }

    // ---- The algorithms, once for every width ------------------------------------------------------------------

    /// <summary>
    /// σ(x) = 1 / (1 + e^−x) = 1 / (2^n·p + (2^n + 1)) with e^−x = 2^n·(1 + p): the denominator is rounded once where
    /// 2^n + 1 is exact (|n| ≤ 23) and nearly so elsewhere, then divided. n stops at the largest exponent, so the
    /// denominator overflows to ∞ (σ = 0) instead of meeting ∞ · (p &lt; 0). −x stops at −87 (double: −708), where
    /// 2^n is still a normal number and 1 + e^−x already rounds to 1 (σ = 1, as it is for every larger x), so 2^n is
    /// built exactly from its exponent bits.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TVector Sigmoid<TVector, T>(TVector x)
        where TVector : struct, ISimdVector<TVector, T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        bool single = typeof(T) == typeof(float);
        TVector one = TVector.Create(T.One);
        TVector y = TVector.Subtract(TVector.Create(T.Zero), x);
        y = TVector.MinWithLimit(TVector.MaxWithLimit(y, Constant<TVector, T>(single ? -87.0 : -708.0)), Constant<TVector, T>(single ? 104.0 : 746.0));
        TVector n = Reduce<TVector, T>(y, Constant<TVector, T>(single ? 127.0 : 1023.0), out TVector r);
        TVector p = ExpMinusOnePolynomial<TVector, T>(r);
        TVector scale = TVector.ExactPowerOfTwo(n);

        // 2^n + 1 = hi + lo exactly (lo = 0 unless n > 23 or n < -23), so the denominator is rounded once where it matters.
        TVector hi = TVector.Add(scale, one);
        TVector lo = TVector.Subtract(one, TVector.Subtract(hi, scale));
        // 2^n·p is exact (a power of two times p), so lo joins it first and hi is added with the one rounding.
        return TVector.Divide(one, TVector.Add(TVector.MultiplyAdd(scale, p, lo), hi));
    }

    /// <summary>
    /// tanh(x) = sign(x) · m / (m + 2) with m = e^2|x| − 1 = 2^n·p + (2^n − 1), rounded once (n ≥ 0, so 2^n − 1 is exact
    /// while n ≤ 24 and nothing cancels). m + 2 is rounded from m itself, so 1 − tanh = 2 / (m + 2) stays accurate where
    /// tanh nears 1. |x| stops at 20, past which tanh rounds to 1 in float and double; so n ≤ 58 and 2^n is built exactly
    /// from its exponent bits. The sign is copied back: tanh(−0) = −0.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TVector Tanh<TVector, T>(TVector x)
        where TVector : struct, ISimdVector<TVector, T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        TVector one = TVector.Create(T.One);
        TVector a = TVector.MinWithLimit(TVector.Abs(x), Constant<TVector, T>(20.0));
        TVector n = Reduce<TVector, T>(TVector.Add(a, a), Constant<TVector, T>(64.0), out TVector r);
        TVector p = ExpMinusOnePolynomial<TVector, T>(r);
        TVector scale = TVector.ExactPowerOfTwo(n);
        TVector m = TVector.MultiplyAdd(scale, p, TVector.Subtract(scale, one));
        return TVector.CopySign(TVector.Divide(m, TVector.Add(m, Constant<TVector, T>(2.0))), x);
    }

    /// <summary>
    /// Keras 3's and PyTorch's hard sigmoid as they compute it, <c>relu6(x + 3) / 6</c>: 0 up to −3, 1 from 3, NaN kept.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TVector HardSigmoid<TVector, T>(TVector x)
        where TVector : struct, ISimdVector<TVector, T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        TVector shifted = TVector.Add(x, Constant<TVector, T>(3.0));
        TVector clipped = TVector.MinWithLimit(TVector.MaxWithLimit(shifted, TVector.Create(T.Zero)), Constant<TVector, T>(6.0));
        return TVector.Divide(clipped, Constant<TVector, T>(6.0));
    }

    /// <summary>
    /// Keras 2's hard sigmoid as its TensorFlow backend computes it, <c>clip(0.2 · x + 0.5, 0, 1)</c>, the product and
    /// the sum rounded separately (not fused): 0 up to −2.5, 1 from 2.5, NaN kept.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TVector HardSigmoidKeras2<TVector, T>(TVector x)
        where TVector : struct, ISimdVector<TVector, T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        TVector y = TVector.Add(TVector.Multiply(x, Constant<TVector, T>(0.2)), Constant<TVector, T>(0.5));
        return TVector.MinWithLimit(TVector.MaxWithLimit(y, TVector.Create(T.Zero)), TVector.Create(T.One));
    }

    /// <summary>e^x over the whole range: 0 below the smallest subnormal, ∞ past the largest finite value, NaN kept.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TVector Exp<TVector, T>(TVector x)
        where TVector : struct, ISimdVector<TVector, T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        // Past these bounds e^x rounds to 0 or overflows; inside them n stays far from the shifter's limit.
        bool single = typeof(T) == typeof(float);
        x = TVector.MinWithLimit(TVector.MaxWithLimit(x, Constant<TVector, T>(single ? -104.0 : -746.0)), Constant<TVector, T>(single ? 89.0 : 710.0));
        TVector n = Reduce<TVector, T>(x, Constant<TVector, T>(single ? 256.0 : 2048.0), out TVector r);
        TVector p = ExpMinusOnePolynomial<TVector, T>(r);
        return TVector.ScaleByPowerOfTwo(TVector.Add(p, TVector.Create(T.One)), n);
    }

    /// <summary>
    /// n = min(round(x / ln 2), <paramref name="maxN"/>) and r = x − n·ln 2, with ln 2 in two parts so that n·ln2Hi is
    /// exact. Where n is capped, r grows past ln 2 / 2 and the polynomial only has to be large, not accurate.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVector Reduce<TVector, T>(TVector x, TVector maxN, out TVector r)
        where TVector : struct, ISimdVector<TVector, T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        bool single = typeof(T) == typeof(float);

        // Adding and subtracting 1.5·2^(mantissa bits) rounds to the nearest integer (ties to even), for |x| < 2^21.
        TVector shifter = Constant<TVector, T>(single ? PowerOfTwo.SingleShifter : PowerOfTwo.DoubleShifter);
        TVector n = TVector.Subtract(TVector.MultiplyAdd(x, Constant<TVector, T>(1.4426950408889634), shifter), shifter);
        n = TVector.MinWithLimit(n, maxN);

        // ln 2 = hi + lo, hi with trailing zero bits (float: 0x3F317200; double: fdlibm's 0x3FE62E42FEE00000).
        // The negated parts are constants themselves (negation is exact), so nothing is negated at run time.
        TVector minusHi = Constant<TVector, T>(single ? -0.693145751953125 : -6.93147180369123816490e-01);
        TVector minusLo = Constant<TVector, T>(single ? -1.428606765330187045e-06 : -1.90821492927058770002e-10);
        r = TVector.MultiplyAdd(n, minusHi, x);
        r = TVector.MultiplyAdd(n, minusLo, r);
        return n;
    }

    /// <summary>e^r − 1 for |r| ≤ ln 2 / 2: r + r²·(1/2! + r/3! + …), Taylor to degree 7 (float, Estrin) or 13 (double, Horner).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVector ExpMinusOnePolynomial<TVector, T>(TVector r)
        where TVector : struct, ISimdVector<TVector, T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        TVector q;
        if (typeof(T) == typeof(double))
        {
            q = Constant<TVector, T>(1.0 / 6227020800.0);
            q = TVector.MultiplyAdd(q, r, Constant<TVector, T>(1.0 / 479001600.0));
            q = TVector.MultiplyAdd(q, r, Constant<TVector, T>(1.0 / 39916800.0));
            q = TVector.MultiplyAdd(q, r, Constant<TVector, T>(1.0 / 3628800.0));
            q = TVector.MultiplyAdd(q, r, Constant<TVector, T>(1.0 / 362880.0));
            q = TVector.MultiplyAdd(q, r, Constant<TVector, T>(1.0 / 40320.0));
            q = TVector.MultiplyAdd(q, r, Constant<TVector, T>(1.0 / 5040.0));
        }
        else
        {
            // Float: Estrin's scheme, (1/2 + r/6) + r²·(1/24 + r/120) + r⁴·(1/720 + r/5040). The three pairs and r², r⁴ run
            // side by side, so the chain is four operations deep instead of Horner's six: a small step waits on σ and tanh
            // of one vector, and this latency is most of its time.
            TVector r2 = TVector.Multiply(r, r);
            TVector low = TVector.MultiplyAdd(r, Constant<TVector, T>(1.0 / 6.0), Constant<TVector, T>(0.5));
            TVector middle = TVector.MultiplyAdd(r, Constant<TVector, T>(1.0 / 120.0), Constant<TVector, T>(1.0 / 24.0));
            TVector high = TVector.MultiplyAdd(r, Constant<TVector, T>(1.0 / 5040.0), Constant<TVector, T>(1.0 / 720.0));
            q = TVector.MultiplyAdd(TVector.Multiply(r2, r2), high, TVector.MultiplyAdd(r2, middle, low));
            return TVector.MultiplyAdd(q, r2, r);
        }

        q = TVector.MultiplyAdd(q, r, Constant<TVector, T>(1.0 / 720.0));
        q = TVector.MultiplyAdd(q, r, Constant<TVector, T>(1.0 / 120.0));
        q = TVector.MultiplyAdd(q, r, Constant<TVector, T>(1.0 / 24.0));
        q = TVector.MultiplyAdd(q, r, Constant<TVector, T>(1.0 / 6.0));
        q = TVector.MultiplyAdd(q, r, Constant<TVector, T>(0.5));
        return TVector.MultiplyAdd(q, TVector.Multiply(r, r), r);
    }

    /// <summary>A constant in every lane, rounded once from double (folded by the JIT).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVector Constant<TVector, T>(double value)
        where TVector : struct, ISimdVector<TVector, T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        => TVector.Create(typeof(T) == typeof(float) ? Unsafe.BitCast<float, T>((float)value) : T.CreateTruncating(value));

    // ---- Spans: the widest vectors first, then narrower ones, then one lane for the tail ------------------------

    /// <summary>An element-wise function written once over every width.</summary>
    private interface IUnaryOperation
    {
        static abstract TVector Invoke<TVector, T>(TVector x)
            where TVector : struct, ISimdVector<TVector, T>
            where T : unmanaged, IBinaryFloatingPointIeee754<T>;
    }

    private readonly struct ExpOperation : IUnaryOperation
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TVector Invoke<TVector, T>(TVector x)
            where TVector : struct, ISimdVector<TVector, T>
            where T : unmanaged, IBinaryFloatingPointIeee754<T>
            => Exp<TVector, T>(x);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Map<TOperation, T>(ReadOnlySpan<T> x, Span<T> y)
        where TOperation : struct, IUnaryOperation
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (y.Length < x.Length)
        {
            throw new ArgumentException($"The destination needs {x.Length} elements; it has {y.Length}.", nameof(y));
        }

        ref T xRef = ref MemoryMarshal.GetReference(x);
        ref T yRef = ref MemoryMarshal.GetReference(y);
        int count = x.Length;
        int i = 0;
        if (VectorPaths.Use512 && Vector512<T>.IsSupported)
        {
            i = MapColumns<TOperation, Simd512<T>, T>(ref xRef, ref yRef, count, i);
        }

        if (Vector256.IsHardwareAccelerated && Vector256<T>.IsSupported)
        {
            i = MapColumns<TOperation, Simd256<T>, T>(ref xRef, ref yRef, count, i);
        }

        if (Vector128.IsHardwareAccelerated && Vector128<T>.IsSupported)
        {
            i = MapColumns<TOperation, Simd128<T>, T>(ref xRef, ref yRef, count, i);
        }

        MapColumns<TOperation, Scalar<T>, T>(ref xRef, ref yRef, count, i);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int MapColumns<TOperation, TVector, T>(ref T x, ref T y, int count, int i)
        where TOperation : struct, IUnaryOperation
        where TVector : struct, ISimdVector<TVector, T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int width = TVector.Count;
        for (; i + width <= count; i += width)
        {
            TVector.Store(TOperation.Invoke<TVector, T>(TVector.Load(ref x, (nuint)i)), ref y, (nuint)i);
        }

        return i;
    }
}
