using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace RnnCompiler.Kernels;

/// <summary>
/// One vector width, as a static interface: each kernel is written once over <typeparamref name="TSelf"/> and the JIT
/// (or ILC) specializes it for <see cref="Vector512{T}"/>, <see cref="Vector256{T}"/>, <see cref="Vector128{T}"/> and a
/// one-lane scalar, so the scalar fallback and the tails run the same algorithm as the vector paths.
/// </summary>
internal interface ISimdVector<TSelf, T>
    where TSelf : struct, ISimdVector<TSelf, T>
    where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    static abstract int Count { get; }

    static abstract TSelf Create(T value);

    static abstract TSelf Load(ref T source, nuint offset);

    static abstract void Store(TSelf value, ref T destination, nuint offset);

    /// <summary><c>a * b + c</c>, fused where the hardware has FMA.</summary>
    static abstract TSelf MultiplyAdd(TSelf a, TSelf b, TSelf c);

    static abstract TSelf Add(TSelf a, TSelf b);

    static abstract TSelf Multiply(TSelf a, TSelf b);

    static abstract TSelf Subtract(TSelf a, TSelf b);

    /// <summary><c>a / b</c>, correctly rounded (never a reciprocal estimate).</summary>
    static abstract TSelf Divide(TSelf a, TSelf b);

    /// <summary>The smaller of each pair, NaN when either is NaN (IEEE 754:2019 <c>minimum</c>).</summary>
    static abstract TSelf Min(TSelf a, TSelf b);

    /// <summary>The larger of each pair, NaN when either is NaN (IEEE 754:2019 <c>maximum</c>).</summary>
    static abstract TSelf Max(TSelf a, TSelf b);

    /// <summary>
    /// min(x, limit) for a <paramref name="limit"/> that is never NaN: NaN where x is NaN, and otherwise the smaller
    /// value; which zero comes back for min(−0, +0) is not specified. Cheaper than <see cref="Min"/> on x64, where
    /// <c>MINPS limit, x</c> returns its second operand, x, when either is NaN.
    /// </summary>
    static abstract TSelf MinWithLimit(TSelf x, TSelf limit);

    /// <summary>max(x, limit) for a <paramref name="limit"/> that is never NaN, NaN kept (see <see cref="MinWithLimit"/>).</summary>
    static abstract TSelf MaxWithLimit(TSelf x, TSelf limit);

    /// <summary>|a|, NaN kept.</summary>
    static abstract TSelf Abs(TSelf a);

    /// <summary>The magnitude of <paramref name="value"/> with the sign bit of <paramref name="sign"/>.</summary>
    static abstract TSelf CopySign(TSelf value, TSelf sign);

    /// <summary><paramref name="value"/> in the lanes where <paramref name="condition"/> is greater than 0, +0 elsewhere (NaN counts as not greater).</summary>
    static abstract TSelf WherePositive(TSelf condition, TSelf value);

    /// <summary>
    /// <c>value · 2^n</c> for <paramref name="n"/> holding integers with |n| below 2^21. The power of two is applied as two
    /// exact factors 2^⌊n/2⌋ and 2^(n-⌊n/2⌋), so a result past the largest finite value becomes ∞ and one below the
    /// smallest normal value underflows gradually, as the correctly scaled value would. NaN in <paramref name="value"/> stays NaN.
    /// </summary>
    static abstract TSelf ScaleByPowerOfTwo(TSelf value, TSelf n);

    /// <summary>
    /// 2^n, exactly, for <paramref name="n"/> holding integers in the normal exponent range (float: −126 to 127; double:
    /// −1022 to 1023): <c>n + 1.5·2^(mantissa bits) + bias</c> leaves the biased exponent in the low bits, and one shift
    /// moves it into the exponent field. Two instructions instead of the nine of <see cref="ScaleByPowerOfTwo"/>, which
    /// the activations need only where n can leave that range.
    /// </summary>
    static abstract TSelf ExactPowerOfTwo(TSelf n);

    /// <summary>√a, correctly rounded (never an estimate).</summary>
    static abstract TSelf Sqrt(TSelf a);

    /// <summary>The sum of the lanes, in a fixed order for a given width (so a result is reproducible on one machine).</summary>
    static abstract T Sum(TSelf a);
}

internal readonly struct Simd512<T> : ISimdVector<Simd512<T>, T>
    where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    private readonly Vector512<T> _value;

    private Simd512(Vector512<T> value) => _value = value;

    public static int Count => Vector512<T>.Count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd512<T> Create(T value) => new(Vector512.Create(value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd512<T> Load(ref T source, nuint offset) => new(Vector512.LoadUnsafe(ref source, offset));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Simd512<T> value, ref T destination, nuint offset) => value._value.StoreUnsafe(ref destination, offset);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd512<T> MultiplyAdd(Simd512<T> a, Simd512<T> b, Simd512<T> c)
    {
        // The Emulate512 test build (VectorPaths) fuses in software too, as every AVX-512 machine does.
        if (typeof(T) == typeof(float))
        {
#if RNN_EMULATE_VECTOR512
            return new(Vector512.FusedMultiplyAdd(a._value.AsSingle(), b._value.AsSingle(), c._value.AsSingle()).As<float, T>());
#else
            return new(Vector512.MultiplyAddEstimate(a._value.AsSingle(), b._value.AsSingle(), c._value.AsSingle()).As<float, T>());
#endif
        }

        if (typeof(T) == typeof(double))
        {
#if RNN_EMULATE_VECTOR512
            return new(Vector512.FusedMultiplyAdd(a._value.AsDouble(), b._value.AsDouble(), c._value.AsDouble()).As<double, T>());
#else
            return new(Vector512.MultiplyAddEstimate(a._value.AsDouble(), b._value.AsDouble(), c._value.AsDouble()).As<double, T>());
#endif
        }

        return new(a._value * b._value + c._value);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd512<T> Add(Simd512<T> a, Simd512<T> b) => new(a._value + b._value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd512<T> Multiply(Simd512<T> a, Simd512<T> b) => new(a._value * b._value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd512<T> Subtract(Simd512<T> a, Simd512<T> b) => new(a._value - b._value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd512<T> Divide(Simd512<T> a, Simd512<T> b) => new(a._value / b._value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd512<T> Min(Simd512<T> a, Simd512<T> b) => new(Vector512.Min(a._value, b._value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd512<T> Max(Simd512<T> a, Simd512<T> b) => new(Vector512.Max(a._value, b._value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd512<T> MinWithLimit(Simd512<T> x, Simd512<T> limit)
    {
        if (Avx512F.IsSupported && typeof(T) == typeof(float))
        {
            return new(Avx512F.Min(limit._value.AsSingle(), x._value.AsSingle()).As<float, T>());
        }

        if (Avx512F.IsSupported && typeof(T) == typeof(double))
        {
            return new(Avx512F.Min(limit._value.AsDouble(), x._value.AsDouble()).As<double, T>());
        }

        return Min(x, limit);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd512<T> MaxWithLimit(Simd512<T> x, Simd512<T> limit)
    {
        if (Avx512F.IsSupported && typeof(T) == typeof(float))
        {
            return new(Avx512F.Max(limit._value.AsSingle(), x._value.AsSingle()).As<float, T>());
        }

        if (Avx512F.IsSupported && typeof(T) == typeof(double))
        {
            return new(Avx512F.Max(limit._value.AsDouble(), x._value.AsDouble()).As<double, T>());
        }

        return Max(x, limit);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd512<T> Abs(Simd512<T> a) => new(Vector512.Abs(a._value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd512<T> CopySign(Simd512<T> value, Simd512<T> sign) => new(Vector512.CopySign(value._value, sign._value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd512<T> WherePositive(Simd512<T> condition, Simd512<T> value) => new(Vector512.GreaterThan(condition._value, Vector512<T>.Zero) & value._value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd512<T> Sqrt(Simd512<T> a) => new(Vector512.Sqrt(a._value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Sum(Simd512<T> a) => Vector512.Sum(a._value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd512<T> ExactPowerOfTwo(Simd512<T> n)
    {
        if (typeof(T) == typeof(float))
        {
            Vector512<float> biased = n._value.AsSingle() + Vector512.Create(PowerOfTwo.SingleShifter + PowerOfTwo.SingleBias);
            return new(Vector512.ShiftLeft(biased.AsInt32(), PowerOfTwo.SingleMantissaBits).As<int, T>());
        }

        if (typeof(T) == typeof(double))
        {
            Vector512<double> biased = n._value.AsDouble() + Vector512.Create(PowerOfTwo.DoubleShifter + PowerOfTwo.DoubleBias);
            return new(Vector512.ShiftLeft(biased.AsInt64(), PowerOfTwo.DoubleMantissaBits).As<long, T>());
        }

        throw new NotSupportedException();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd512<T> ScaleByPowerOfTwo(Simd512<T> value, Simd512<T> n)
    {
        // AVX-512's VSCALEF computes value · 2^⌊n⌋ with one rounding, gradual underflow and overflow to ∞: for the integer
        // n here, the same result as the two exact halves below in one instruction instead of nine.
        if (Avx512F.IsSupported)
        {
            if (typeof(T) == typeof(float))
            {
                return new(Avx512F.Scale(value._value.AsSingle(), n._value.AsSingle()).As<float, T>());
            }

            if (typeof(T) == typeof(double))
            {
                return new(Avx512F.Scale(value._value.AsDouble(), n._value.AsDouble()).As<double, T>());
            }
        }

        // n + 1.5·2^(mantissa bits) puts the integer n in the low bits; ⌊n/2⌋ and the rest become exponent fields.
        if (typeof(T) == typeof(float))
        {
            Vector512<int> k = (n._value.AsSingle() + Vector512.Create(PowerOfTwo.SingleShifter)).AsInt32() - Vector512.Create(PowerOfTwo.SingleShifterBits);
            Vector512<int> half = Vector512.ShiftRightArithmetic(k, 1);
            Vector512<float> first = Vector512.ShiftLeft(half + Vector512.Create(PowerOfTwo.SingleBias), PowerOfTwo.SingleMantissaBits).AsSingle();
            Vector512<float> second = Vector512.ShiftLeft(k - half + Vector512.Create(PowerOfTwo.SingleBias), PowerOfTwo.SingleMantissaBits).AsSingle();
            return new((value._value.AsSingle() * first * second).As<float, T>());
        }

        if (typeof(T) == typeof(double))
        {
            Vector512<long> k = (n._value.AsDouble() + Vector512.Create(PowerOfTwo.DoubleShifter)).AsInt64() - Vector512.Create(PowerOfTwo.DoubleShifterBits);
            Vector512<long> half = Vector512.ShiftRightArithmetic(k, 1);
            Vector512<double> first = Vector512.ShiftLeft(half + Vector512.Create(PowerOfTwo.DoubleBias), PowerOfTwo.DoubleMantissaBits).AsDouble();
            Vector512<double> second = Vector512.ShiftLeft(k - half + Vector512.Create(PowerOfTwo.DoubleBias), PowerOfTwo.DoubleMantissaBits).AsDouble();
            return new((value._value.AsDouble() * first * second).As<double, T>());
        }

        throw new NotSupportedException();
    }
}

internal readonly struct Simd256<T> : ISimdVector<Simd256<T>, T>
    where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    private readonly Vector256<T> _value;

    private Simd256(Vector256<T> value) => _value = value;

    public static int Count => Vector256<T>.Count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd256<T> Create(T value) => new(Vector256.Create(value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd256<T> Load(ref T source, nuint offset) => new(Vector256.LoadUnsafe(ref source, offset));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Simd256<T> value, ref T destination, nuint offset) => value._value.StoreUnsafe(ref destination, offset);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd256<T> MultiplyAdd(Simd256<T> a, Simd256<T> b, Simd256<T> c)
    {
        if (typeof(T) == typeof(float))
        {
            return new(Vector256.MultiplyAddEstimate(a._value.AsSingle(), b._value.AsSingle(), c._value.AsSingle()).As<float, T>());
        }

        if (typeof(T) == typeof(double))
        {
            return new(Vector256.MultiplyAddEstimate(a._value.AsDouble(), b._value.AsDouble(), c._value.AsDouble()).As<double, T>());
        }

        return new(a._value * b._value + c._value);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd256<T> Add(Simd256<T> a, Simd256<T> b) => new(a._value + b._value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd256<T> Multiply(Simd256<T> a, Simd256<T> b) => new(a._value * b._value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd256<T> Subtract(Simd256<T> a, Simd256<T> b) => new(a._value - b._value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd256<T> Divide(Simd256<T> a, Simd256<T> b) => new(a._value / b._value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd256<T> Min(Simd256<T> a, Simd256<T> b) => new(Vector256.Min(a._value, b._value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd256<T> Max(Simd256<T> a, Simd256<T> b) => new(Vector256.Max(a._value, b._value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd256<T> MinWithLimit(Simd256<T> x, Simd256<T> limit)
    {
        if (Avx.IsSupported && typeof(T) == typeof(float))
        {
            return new(Avx.Min(limit._value.AsSingle(), x._value.AsSingle()).As<float, T>());
        }

        if (Avx.IsSupported && typeof(T) == typeof(double))
        {
            return new(Avx.Min(limit._value.AsDouble(), x._value.AsDouble()).As<double, T>());
        }

        return Min(x, limit);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd256<T> MaxWithLimit(Simd256<T> x, Simd256<T> limit)
    {
        if (Avx.IsSupported && typeof(T) == typeof(float))
        {
            return new(Avx.Max(limit._value.AsSingle(), x._value.AsSingle()).As<float, T>());
        }

        if (Avx.IsSupported && typeof(T) == typeof(double))
        {
            return new(Avx.Max(limit._value.AsDouble(), x._value.AsDouble()).As<double, T>());
        }

        return Max(x, limit);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd256<T> Abs(Simd256<T> a) => new(Vector256.Abs(a._value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd256<T> CopySign(Simd256<T> value, Simd256<T> sign) => new(Vector256.CopySign(value._value, sign._value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd256<T> WherePositive(Simd256<T> condition, Simd256<T> value) => new(Vector256.GreaterThan(condition._value, Vector256<T>.Zero) & value._value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd256<T> Sqrt(Simd256<T> a) => new(Vector256.Sqrt(a._value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Sum(Simd256<T> a) => Vector256.Sum(a._value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd256<T> ExactPowerOfTwo(Simd256<T> n)
    {
        if (typeof(T) == typeof(float))
        {
            Vector256<float> biased = n._value.AsSingle() + Vector256.Create(PowerOfTwo.SingleShifter + PowerOfTwo.SingleBias);
            return new(Vector256.ShiftLeft(biased.AsInt32(), PowerOfTwo.SingleMantissaBits).As<int, T>());
        }

        if (typeof(T) == typeof(double))
        {
            Vector256<double> biased = n._value.AsDouble() + Vector256.Create(PowerOfTwo.DoubleShifter + PowerOfTwo.DoubleBias);
            return new(Vector256.ShiftLeft(biased.AsInt64(), PowerOfTwo.DoubleMantissaBits).As<long, T>());
        }

        throw new NotSupportedException();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd256<T> ScaleByPowerOfTwo(Simd256<T> value, Simd256<T> n)
    {
        // VSCALEF on 256-bit vectors where AVX-512 (VL) has it: one instruction, the same single rounding.
        if (Avx512F.VL.IsSupported)
        {
            if (typeof(T) == typeof(float))
            {
                return new(Avx512F.VL.Scale(value._value.AsSingle(), n._value.AsSingle()).As<float, T>());
            }

            if (typeof(T) == typeof(double))
            {
                return new(Avx512F.VL.Scale(value._value.AsDouble(), n._value.AsDouble()).As<double, T>());
            }
        }

        // n + 1.5·2^(mantissa bits) puts the integer n in the low bits; ⌊n/2⌋ and the rest become exponent fields.
        if (typeof(T) == typeof(float))
        {
            Vector256<int> k = (n._value.AsSingle() + Vector256.Create(PowerOfTwo.SingleShifter)).AsInt32() - Vector256.Create(PowerOfTwo.SingleShifterBits);
            Vector256<int> half = Vector256.ShiftRightArithmetic(k, 1);
            Vector256<float> first = Vector256.ShiftLeft(half + Vector256.Create(PowerOfTwo.SingleBias), PowerOfTwo.SingleMantissaBits).AsSingle();
            Vector256<float> second = Vector256.ShiftLeft(k - half + Vector256.Create(PowerOfTwo.SingleBias), PowerOfTwo.SingleMantissaBits).AsSingle();
            return new((value._value.AsSingle() * first * second).As<float, T>());
        }

        if (typeof(T) == typeof(double))
        {
            Vector256<long> k = (n._value.AsDouble() + Vector256.Create(PowerOfTwo.DoubleShifter)).AsInt64() - Vector256.Create(PowerOfTwo.DoubleShifterBits);
            Vector256<long> half = Vector256.ShiftRightArithmetic(k, 1);
            Vector256<double> first = Vector256.ShiftLeft(half + Vector256.Create(PowerOfTwo.DoubleBias), PowerOfTwo.DoubleMantissaBits).AsDouble();
            Vector256<double> second = Vector256.ShiftLeft(k - half + Vector256.Create(PowerOfTwo.DoubleBias), PowerOfTwo.DoubleMantissaBits).AsDouble();
            return new((value._value.AsDouble() * first * second).As<double, T>());
        }

        throw new NotSupportedException();
    }
}

internal readonly struct Simd128<T> : ISimdVector<Simd128<T>, T>
    where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    private readonly Vector128<T> _value;

    private Simd128(Vector128<T> value) => _value = value;

    public static int Count => Vector128<T>.Count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd128<T> Create(T value) => new(Vector128.Create(value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd128<T> Load(ref T source, nuint offset) => new(Vector128.LoadUnsafe(ref source, offset));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Simd128<T> value, ref T destination, nuint offset) => value._value.StoreUnsafe(ref destination, offset);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd128<T> MultiplyAdd(Simd128<T> a, Simd128<T> b, Simd128<T> c)
    {
        if (typeof(T) == typeof(float))
        {
            return new(Vector128.MultiplyAddEstimate(a._value.AsSingle(), b._value.AsSingle(), c._value.AsSingle()).As<float, T>());
        }

        if (typeof(T) == typeof(double))
        {
            return new(Vector128.MultiplyAddEstimate(a._value.AsDouble(), b._value.AsDouble(), c._value.AsDouble()).As<double, T>());
        }

        return new(a._value * b._value + c._value);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd128<T> Add(Simd128<T> a, Simd128<T> b) => new(a._value + b._value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd128<T> Multiply(Simd128<T> a, Simd128<T> b) => new(a._value * b._value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd128<T> Subtract(Simd128<T> a, Simd128<T> b) => new(a._value - b._value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd128<T> Divide(Simd128<T> a, Simd128<T> b) => new(a._value / b._value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd128<T> Min(Simd128<T> a, Simd128<T> b) => new(Vector128.Min(a._value, b._value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd128<T> Max(Simd128<T> a, Simd128<T> b) => new(Vector128.Max(a._value, b._value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd128<T> MinWithLimit(Simd128<T> x, Simd128<T> limit)
    {
        if (Sse2.IsSupported && typeof(T) == typeof(float))
        {
            return new(Sse2.Min(limit._value.AsSingle(), x._value.AsSingle()).As<float, T>());
        }

        if (Sse2.IsSupported && typeof(T) == typeof(double))
        {
            return new(Sse2.Min(limit._value.AsDouble(), x._value.AsDouble()).As<double, T>());
        }

        if (AdvSimd.IsSupported && typeof(T) == typeof(float))
        {
            // FMIN/FMAX return NaN when either operand is NaN.
            return new(AdvSimd.Min(x._value.AsSingle(), limit._value.AsSingle()).As<float, T>());
        }

        return Min(x, limit);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd128<T> MaxWithLimit(Simd128<T> x, Simd128<T> limit)
    {
        if (Sse2.IsSupported && typeof(T) == typeof(float))
        {
            return new(Sse2.Max(limit._value.AsSingle(), x._value.AsSingle()).As<float, T>());
        }

        if (Sse2.IsSupported && typeof(T) == typeof(double))
        {
            return new(Sse2.Max(limit._value.AsDouble(), x._value.AsDouble()).As<double, T>());
        }

        if (AdvSimd.IsSupported && typeof(T) == typeof(float))
        {
            return new(AdvSimd.Max(x._value.AsSingle(), limit._value.AsSingle()).As<float, T>());
        }

        return Max(x, limit);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd128<T> Abs(Simd128<T> a) => new(Vector128.Abs(a._value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd128<T> CopySign(Simd128<T> value, Simd128<T> sign) => new(Vector128.CopySign(value._value, sign._value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd128<T> WherePositive(Simd128<T> condition, Simd128<T> value) => new(Vector128.GreaterThan(condition._value, Vector128<T>.Zero) & value._value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd128<T> Sqrt(Simd128<T> a) => new(Vector128.Sqrt(a._value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Sum(Simd128<T> a) => Vector128.Sum(a._value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd128<T> ExactPowerOfTwo(Simd128<T> n)
    {
        if (typeof(T) == typeof(float))
        {
            Vector128<float> biased = n._value.AsSingle() + Vector128.Create(PowerOfTwo.SingleShifter + PowerOfTwo.SingleBias);
            return new(Vector128.ShiftLeft(biased.AsInt32(), PowerOfTwo.SingleMantissaBits).As<int, T>());
        }

        if (typeof(T) == typeof(double))
        {
            Vector128<double> biased = n._value.AsDouble() + Vector128.Create(PowerOfTwo.DoubleShifter + PowerOfTwo.DoubleBias);
            return new(Vector128.ShiftLeft(biased.AsInt64(), PowerOfTwo.DoubleMantissaBits).As<long, T>());
        }

        throw new NotSupportedException();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd128<T> ScaleByPowerOfTwo(Simd128<T> value, Simd128<T> n)
    {
        // VSCALEF on 128-bit vectors where AVX-512 (VL) has it: one instruction, the same single rounding.
        if (Avx512F.VL.IsSupported)
        {
            if (typeof(T) == typeof(float))
            {
                return new(Avx512F.VL.Scale(value._value.AsSingle(), n._value.AsSingle()).As<float, T>());
            }

            if (typeof(T) == typeof(double))
            {
                return new(Avx512F.VL.Scale(value._value.AsDouble(), n._value.AsDouble()).As<double, T>());
            }
        }

        // n + 1.5·2^(mantissa bits) puts the integer n in the low bits; ⌊n/2⌋ and the rest become exponent fields.
        if (typeof(T) == typeof(float))
        {
            Vector128<int> k = (n._value.AsSingle() + Vector128.Create(PowerOfTwo.SingleShifter)).AsInt32() - Vector128.Create(PowerOfTwo.SingleShifterBits);
            Vector128<int> half = Vector128.ShiftRightArithmetic(k, 1);
            Vector128<float> first = Vector128.ShiftLeft(half + Vector128.Create(PowerOfTwo.SingleBias), PowerOfTwo.SingleMantissaBits).AsSingle();
            Vector128<float> second = Vector128.ShiftLeft(k - half + Vector128.Create(PowerOfTwo.SingleBias), PowerOfTwo.SingleMantissaBits).AsSingle();
            return new((value._value.AsSingle() * first * second).As<float, T>());
        }

        if (typeof(T) == typeof(double))
        {
            Vector128<long> k = (n._value.AsDouble() + Vector128.Create(PowerOfTwo.DoubleShifter)).AsInt64() - Vector128.Create(PowerOfTwo.DoubleShifterBits);
            Vector128<long> half = Vector128.ShiftRightArithmetic(k, 1);
            Vector128<double> first = Vector128.ShiftLeft(half + Vector128.Create(PowerOfTwo.DoubleBias), PowerOfTwo.DoubleMantissaBits).AsDouble();
            Vector128<double> second = Vector128.ShiftLeft(k - half + Vector128.Create(PowerOfTwo.DoubleBias), PowerOfTwo.DoubleMantissaBits).AsDouble();
            return new((value._value.AsDouble() * first * second).As<double, T>());
        }

        throw new NotSupportedException();
    }
}

/// <summary>The one-lane "vector": the scalar fallback and the tail of every vector loop.</summary>
internal readonly struct Scalar<T> : ISimdVector<Scalar<T>, T>
    where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    private readonly T _value;

    private Scalar(T value) => _value = value;

    public static int Count => 1;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Scalar<T> Create(T value) => new(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Scalar<T> Load(ref T source, nuint offset) => new(Unsafe.Add(ref source, offset));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Scalar<T> value, ref T destination, nuint offset) => Unsafe.Add(ref destination, offset) = value._value;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Scalar<T> MultiplyAdd(Scalar<T> a, Scalar<T> b, Scalar<T> c) => new(T.MultiplyAddEstimate(a._value, b._value, c._value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Scalar<T> Add(Scalar<T> a, Scalar<T> b) => new(a._value + b._value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Scalar<T> Multiply(Scalar<T> a, Scalar<T> b) => new(a._value * b._value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Scalar<T> Subtract(Scalar<T> a, Scalar<T> b) => new(a._value - b._value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Scalar<T> Divide(Scalar<T> a, Scalar<T> b) => new(a._value / b._value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Scalar<T> Min(Scalar<T> a, Scalar<T> b) => new(T.Min(a._value, b._value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Scalar<T> Max(Scalar<T> a, Scalar<T> b) => new(T.Max(a._value, b._value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Scalar<T> MinWithLimit(Scalar<T> x, Scalar<T> limit) => Min(x, limit);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Scalar<T> MaxWithLimit(Scalar<T> x, Scalar<T> limit) => Max(x, limit);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Scalar<T> Abs(Scalar<T> a) => new(T.Abs(a._value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Scalar<T> CopySign(Scalar<T> value, Scalar<T> sign) => new(T.CopySign(value._value, sign._value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Scalar<T> WherePositive(Scalar<T> condition, Scalar<T> value) => new(condition._value > T.Zero ? value._value : T.Zero);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Scalar<T> Sqrt(Scalar<T> a) => new(T.Sqrt(a._value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Sum(Scalar<T> a) => a._value;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Scalar<T> ExactPowerOfTwo(Scalar<T> n)
    {
        if (typeof(T) == typeof(float))
        {
            float biased = Unsafe.BitCast<T, float>(n._value) + (PowerOfTwo.SingleShifter + PowerOfTwo.SingleBias);
            return new(Unsafe.BitCast<float, T>(BitConverter.Int32BitsToSingle(BitConverter.SingleToInt32Bits(biased) << PowerOfTwo.SingleMantissaBits)));
        }

        if (typeof(T) == typeof(double))
        {
            double biased = Unsafe.BitCast<T, double>(n._value) + (PowerOfTwo.DoubleShifter + PowerOfTwo.DoubleBias);
            return new(Unsafe.BitCast<double, T>(BitConverter.Int64BitsToDouble(BitConverter.DoubleToInt64Bits(biased) << PowerOfTwo.DoubleMantissaBits)));
        }

        throw new NotSupportedException();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Scalar<T> ScaleByPowerOfTwo(Scalar<T> value, Scalar<T> n)
    {
        // The same bit construction as the vector widths, one lane.
        if (typeof(T) == typeof(float))
        {
            int k = BitConverter.SingleToInt32Bits(Unsafe.BitCast<T, float>(n._value) + PowerOfTwo.SingleShifter) - PowerOfTwo.SingleShifterBits;
            int half = k >> 1;
            float first = BitConverter.Int32BitsToSingle((half + PowerOfTwo.SingleBias) << PowerOfTwo.SingleMantissaBits);
            float second = BitConverter.Int32BitsToSingle((k - half + PowerOfTwo.SingleBias) << PowerOfTwo.SingleMantissaBits);
            return new(Unsafe.BitCast<float, T>(Unsafe.BitCast<T, float>(value._value) * first * second));
        }

        if (typeof(T) == typeof(double))
        {
            long k = BitConverter.DoubleToInt64Bits(Unsafe.BitCast<T, double>(n._value) + PowerOfTwo.DoubleShifter) - PowerOfTwo.DoubleShifterBits;
            long half = k >> 1;
            double first = BitConverter.Int64BitsToDouble((half + PowerOfTwo.DoubleBias) << PowerOfTwo.DoubleMantissaBits);
            double second = BitConverter.Int64BitsToDouble((k - half + PowerOfTwo.DoubleBias) << PowerOfTwo.DoubleMantissaBits);
            return new(Unsafe.BitCast<double, T>(Unsafe.BitCast<T, double>(value._value) * first * second));
        }

        throw new NotSupportedException();
    }

    /// <summary>The lane's value.</summary>
    internal T Value => _value;
}

/// <summary>The constants of <see cref="ISimdVector{TSelf, T}.ScaleByPowerOfTwo"/>, per IEEE 754 format.</summary>
internal static class PowerOfTwo
{
    /// <summary>1.5 · 2^23: adding it to an integer-valued float below 2^22 in magnitude leaves the integer in the low mantissa bits.</summary>
    public const float SingleShifter = 12582912f;

    /// <summary>The bits of <see cref="SingleShifter"/>.</summary>
    public const int SingleShifterBits = 0x4B400000;

    public const int SingleBias = 127;

    public const int SingleMantissaBits = 23;

    /// <summary>1.5 · 2^52, as <see cref="SingleShifter"/> for double.</summary>
    public const double DoubleShifter = 6755399441055744.0;

    /// <summary>The bits of <see cref="DoubleShifter"/>.</summary>
    public const long DoubleShifterBits = 0x4338000000000000;

    public const long DoubleBias = 1023;

    public const int DoubleMantissaBits = 52;
}
