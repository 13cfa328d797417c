using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using RnnCompiler.Weights.Shared;

namespace RnnCompiler.Kernels;

/// <summary>
/// bfloat16 weights: the upper 16 bits of an IEEE single (sign, the same 8 exponent bits, 7 mantissa bits), so widening
/// back to float is a 16-bit shift and every float range (subnormals, ±∞, NaN) survives.
/// </summary>
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
/// Loads bfloat16 weights as one vector of floats of a given width: half a vector's bytes, each 16-bit lane
/// zero-extended to 32 bits and shifted into the upper half (an exact conversion). One implementation per width of
/// <see cref="ISimdVector{TSelf, T}"/>, so the bfloat16 kernels are written once, like the float ones.
/// </summary>
internal interface IBFloat16Load<TVector>
    where TVector : struct, ISimdVector<TVector, float>
{
    /// <summary>The <c>TVector.Count</c> bfloat16 values at <paramref name="offset"/>, widened to floats.</summary>
    static abstract TVector Load(ref ushort source, nuint offset);
}

internal readonly struct BFloat16Load512 : IBFloat16Load<Simd512<float>>
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd512<float> Load(ref ushort source, nuint offset)
    {
        // 16 bfloat16 (32 bytes) → vpmovzxwd → 16 × uint32 → << 16.
        Vector512<uint> wide = Vector512.WidenLower(Vector256.LoadUnsafe(ref source, offset).ToVector512Unsafe());
        return Unsafe.BitCast<Vector512<float>, Simd512<float>>(Vector512.ShiftLeft(wide, 16).AsSingle());
    }
}

internal readonly struct BFloat16Load256 : IBFloat16Load<Simd256<float>>
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd256<float> Load(ref ushort source, nuint offset)
    {
        Vector256<uint> wide = Vector256.WidenLower(Vector128.LoadUnsafe(ref source, offset).ToVector256Unsafe());
        return Unsafe.BitCast<Vector256<float>, Simd256<float>>(Vector256.ShiftLeft(wide, 16).AsSingle());
    }
}

internal readonly struct BFloat16Load128 : IBFloat16Load<Simd128<float>>
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd128<float> Load(ref ushort source, nuint offset)
    {
        // Four bfloat16 (8 bytes): read exactly those, never past them.
        ulong four = Unsafe.ReadUnaligned<ulong>(ref Unsafe.As<ushort, byte>(ref Unsafe.Add(ref source, offset)));
        Vector128<uint> wide = Vector128.WidenLower(Vector128.CreateScalarUnsafe(four).AsUInt16());
        return Unsafe.BitCast<Vector128<float>, Simd128<float>>(Vector128.ShiftLeft(wide, 16).AsSingle());
    }
}

internal readonly struct BFloat16LoadScalar : IBFloat16Load<Scalar<float>>
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Scalar<float> Load(ref ushort source, nuint offset) => Scalar<float>.Create(BFloat16.Widen(Unsafe.Add(ref source, offset)));
}
