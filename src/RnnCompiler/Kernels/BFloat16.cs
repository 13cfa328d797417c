using System;
using System.ComponentModel;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using RnnCompiler.Weights.Shared;

namespace RnnCompiler.Kernels;

/// <summary>
/// bfloat16 weights: the upper 16 bits of an IEEE single (sign, the same 8 exponent bits, 7 mantissa bits), so widening
/// back to float is a 16-bit shift and every float range (subnormals, ±∞, NaN) survives.
/// </summary>
/// <remarks>Called by generated code; not meant to be called directly.</remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class BFloat16
{
    /// <summary>
    /// Rounds a float to the nearest bfloat16, ties to even. ±∞ and ±0 are kept, subnormals round like every other
    /// value (on their bit pattern), a finite value past the largest bfloat16 becomes ∞, and NaN stays NaN (quiet, with
    /// the sign and the upper payload bits kept; a payload only in the dropped bits would otherwise read as ∞).
    /// </summary>
    /// <param name="value">Any float.</param>
    /// <returns>The bfloat16 bits.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ushort Round(float value) => BFloat16Rounding.Round(BitConverter.SingleToUInt32Bits(value));

    /// <summary>The float a bfloat16 stands for (exact: the bits shifted into the upper half).</summary>
    /// <param name="value">bfloat16 bits.</param>
    /// <returns>The float.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Widen(ushort value) => BitConverter.UInt32BitsToSingle((uint)value << 16);

    /// <summary>Rounds every element of <paramref name="source"/> into <paramref name="destination"/> (<see cref="Round(float)"/>).</summary>
    /// <param name="source">The floats.</param>
    /// <param name="destination">Receives the bfloat16 bits; at least as long as <paramref name="source"/>.</param>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than <paramref name="source"/>.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Round(ReadOnlySpan<float> source, Span<ushort> destination)
    {
        if (destination.Length < source.Length)
        {
            throw new ArgumentException($"The destination holds {destination.Length} values; {source.Length} are needed.", nameof(destination));
        }

        for (int i = 0; i < source.Length; i++)
        {
            destination[i] = Round(source[i]);
        }
    }
}

/// <summary>
/// How a matrix kernel reads its weights: as elements of the arithmetic type itself, or in another storage format
/// widened in registers. The kernels are written once over this (and over <see cref="ISimdVector{TSelf, T}"/>), so every
/// format gets the same blocking, the same summation order and the same tail handling.
/// </summary>
/// <typeparam name="T">The arithmetic type.</typeparam>
/// <typeparam name="TWeight">The storage type of one weight.</typeparam>
internal interface IWeightFormat<T, TWeight>
    where T : unmanaged, IBinaryFloatingPointIeee754<T>
    where TWeight : unmanaged
{
    /// <summary>The <c>TVector.Count</c> weights at <paramref name="offset"/>, as one vector; reads no element past them.</summary>
    static abstract TVector Load<TVector>(ref TWeight source, nuint offset)
        where TVector : struct, ISimdVector<TVector, T>;

    /// <summary>One weight.</summary>
    static abstract T Element(ref TWeight source, nuint offset);
}

/// <summary>Weights stored in the arithmetic type: a plain load.</summary>
internal readonly struct SameFormat<T> : IWeightFormat<T, T>
    where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TVector Load<TVector>(ref T source, nuint offset)
        where TVector : struct, ISimdVector<TVector, T>
        => TVector.Load(ref source, offset);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Element(ref T source, nuint offset) => Unsafe.Add(ref source, offset);
}

/// <summary>
/// bfloat16 weights widened to float: half a vector's bytes, each 16-bit lane zero-extended to 32 bits and shifted into
/// the upper half (an exact conversion). The type tests are constants to the JIT, so each width compiles to its own load.
/// </summary>
internal readonly struct BFloat16Format : IWeightFormat<float, ushort>
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TVector Load<TVector>(ref ushort source, nuint offset)
        where TVector : struct, ISimdVector<TVector, float>
    {
        if (typeof(TVector) == typeof(Simd512<float>))
        {
            // 16 bfloat16 (32 bytes) → vpmovzxwd → 16 × uint32 → << 16.
            Vector512<uint> wide = Vector512.WidenLower(Vector256.LoadUnsafe(ref source, offset).ToVector512Unsafe());
            return Unsafe.BitCast<Vector512<float>, TVector>(Vector512.ShiftLeft(wide, 16).AsSingle());
        }

        if (typeof(TVector) == typeof(Simd256<float>))
        {
            Vector256<uint> wide = Vector256.WidenLower(Vector128.LoadUnsafe(ref source, offset).ToVector256Unsafe());
            return Unsafe.BitCast<Vector256<float>, TVector>(Vector256.ShiftLeft(wide, 16).AsSingle());
        }

        if (typeof(TVector) == typeof(Simd128<float>))
        {
            // Four bfloat16 (8 bytes): read exactly those, never past them.
            ulong four = Unsafe.ReadUnaligned<ulong>(ref Unsafe.As<ushort, byte>(ref Unsafe.Add(ref source, offset)));
            Vector128<uint> wide = Vector128.WidenLower(Vector128.CreateScalarUnsafe(four).AsUInt16());
            return Unsafe.BitCast<Vector128<float>, TVector>(Vector128.ShiftLeft(wide, 16).AsSingle());
        }

        // One lane.
        return TVector.Create(BFloat16.Widen(Unsafe.Add(ref source, offset)));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Element(ref ushort source, nuint offset) => BFloat16.Widen(Unsafe.Add(ref source, offset));
}
