using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace RnnCompiler.Kernels;

/// <summary>
/// The lane sums of many accumulators at once, for the dot-product kernels (<c>C += A·Bᵀ</c>): sixteen 16-lane float
/// vectors (or eight 8-lane ones) become one vector whose lane k is the sum of the lanes of vector k.
/// </summary>
/// <remarks>
/// <para>
/// Summing each accumulator on its own (<c>Vector512.Sum</c>) costs about eight shuffles and adds per vector and left
/// the 4 × 4 dot-product block of the training products at about 70% of the FMA peak. Reduced together, pairs of vectors
/// share each shuffle: 45 instructions for sixteen sums instead of about 130. The block then ran 20% to 28% faster
/// at the training shapes (Δ·Uᵀ and Δ·Wᵀ, measured on Zen 5).
/// </para>
/// <para>
/// Every lane is summed in one order, the halving order: lane j + 8 onto lane j, then j + 4, j + 2 and j + 1. The
/// AVX-512 and AVX shuffle trees and the portable paths below follow it, so they give the same bits.
/// </para>
/// </remarks>
internal static class LaneSums
{
    /// <summary>Lane k of the result is the sum of the sixteen lanes of <c>s[k]</c>, in the halving order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Sixteen(
        Vector512<float> s0, Vector512<float> s1, Vector512<float> s2, Vector512<float> s3,
        Vector512<float> s4, Vector512<float> s5, Vector512<float> s6, Vector512<float> s7,
        Vector512<float> s8, Vector512<float> s9, Vector512<float> s10, Vector512<float> s11,
        Vector512<float> s12, Vector512<float> s13, Vector512<float> s14, Vector512<float> s15)
    {
        if (Avx512F.IsSupported)
        {
            // After the two block levels, vector p holds in its 128-bit block q four partial sums of s[4q + p]; the two
            // lane levels then leave s[4q + p] in lane p of block q.
            Vector512<float> l0 = Blocks128(Blocks256(s0, s4), Blocks256(s8, s12));
            Vector512<float> l1 = Blocks128(Blocks256(s1, s5), Blocks256(s9, s13));
            Vector512<float> l2 = Blocks128(Blocks256(s2, s6), Blocks256(s10, s14));
            Vector512<float> l3 = Blocks128(Blocks256(s3, s7), Blocks256(s11, s15));
            return Lanes32(Lanes64(l0, l1), Lanes64(l2, l3));
        }

        // The Emulate512 build on a machine without AVX-512, and any other: each vector halved on its own, in the same order.
        return Vector512.Create(
            Vector256.Create(Vector128.Create(Halve(s0), Halve(s1), Halve(s2), Halve(s3)), Vector128.Create(Halve(s4), Halve(s5), Halve(s6), Halve(s7))),
            Vector256.Create(Vector128.Create(Halve(s8), Halve(s9), Halve(s10), Halve(s11)), Vector128.Create(Halve(s12), Halve(s13), Halve(s14), Halve(s15))));
    }

    /// <summary>Lane k of the result is the sum of the eight lanes of <c>s[k]</c>, in the halving order (AVX2's 2 × 4 block).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Eight(
        Vector256<float> s0, Vector256<float> s1, Vector256<float> s2, Vector256<float> s3,
        Vector256<float> s4, Vector256<float> s5, Vector256<float> s6, Vector256<float> s7)
    {
        if (Avx.IsSupported)
        {
            // Vector p holds four partial sums of s[p] in its low block and of s[4 + p] in its high block; the two lane
            // levels then leave s[4q + p] in lane p of block q.
            Vector256<float> l0 = Halves(s0, s4), l1 = Halves(s1, s5), l2 = Halves(s2, s6), l3 = Halves(s3, s7);
            return Lanes32(Lanes64(l0, l1), Lanes64(l2, l3));
        }

        return Vector256.Create(Vector128.Create(Halve(s0), Halve(s1), Halve(s2), Halve(s3)), Vector128.Create(Halve(s4), Halve(s5), Halve(s6), Halve(s7)));
    }

    /// <summary>The sum of the lanes of <paramref name="s"/> in the halving order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Halve(Vector256<float> s)
    {
        Vector128<float> four = s.GetLower() + s.GetUpper();
        return (four.GetElement(0) + four.GetElement(2)) + (four.GetElement(1) + four.GetElement(3));
    }

    /// <summary>[a_low + a_high, b_low + b_high] (128-bit halves).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Halves(Vector256<float> a, Vector256<float> b)
        => Avx.Permute2x128(a, b, 0x20) + Avx.Permute2x128(a, b, 0x31);

    /// <summary>In each half, from a = [a0 a1 a2 a3] and b = [b0 b1 b2 b3]: [a0 + a2, a1 + a3, b0 + b2, b1 + b3].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Lanes64(Vector256<float> a, Vector256<float> b)
        => Avx.Shuffle(a, b, 0b01_00_01_00) + Avx.Shuffle(a, b, 0b11_10_11_10);

    /// <summary>In each half, from x = [A0 A1 B0 B1] and y = [C0 C1 D0 D1]: [A0 + A1, B0 + B1, C0 + C1, D0 + D1].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Lanes32(Vector256<float> x, Vector256<float> y)
        => Avx.Shuffle(x, y, 0b10_00_10_00) + Avx.Shuffle(x, y, 0b11_01_11_01);

    /// <summary>The sum of the lanes of <paramref name="s"/> in the halving order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Halve(Vector512<float> s)
    {
        Vector256<float> eight = s.GetLower() + s.GetUpper();
        Vector128<float> four = eight.GetLower() + eight.GetUpper();
        return (four.GetElement(0) + four.GetElement(2)) + (four.GetElement(1) + four.GetElement(3));
    }

    /// <summary>Blocks (128 bits) [a0 + a2, a1 + a3, b0 + b2, b1 + b3]: each vector's upper half onto its lower.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Blocks256(Vector512<float> a, Vector512<float> b)
        => Avx512F.Shuffle4x128(a, b, 0b01_00_01_00) + Avx512F.Shuffle4x128(a, b, 0b11_10_11_10);

    /// <summary>From x = [A0 A1 B0 B1] and y = [C0 C1 D0 D1] (blocks): [A0 + A1, B0 + B1, C0 + C1, D0 + D1].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Blocks128(Vector512<float> x, Vector512<float> y)
        => Avx512F.Shuffle4x128(x, y, 0b10_00_10_00) + Avx512F.Shuffle4x128(x, y, 0b11_01_11_01);

    /// <summary>In each block, from a = [a0 a1 a2 a3] and b = [b0 b1 b2 b3]: [a0 + a2, a1 + a3, b0 + b2, b1 + b3].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Lanes64(Vector512<float> a, Vector512<float> b)
        => Avx512F.Shuffle(a, b, 0b01_00_01_00) + Avx512F.Shuffle(a, b, 0b11_10_11_10);

    /// <summary>In each block, from x = [A0 A1 B0 B1] and y = [C0 C1 D0 D1]: [A0 + A1, B0 + B1, C0 + C1, D0 + D1].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Lanes32(Vector512<float> x, Vector512<float> y)
        => Avx512F.Shuffle(x, y, 0b10_00_10_00) + Avx512F.Shuffle(x, y, 0b11_01_11_01);
}
