using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using BenchmarkDotNet.Attributes;

namespace RnnCompiler.Benchmarks;

/// <summary>
/// The machine's own limits, in the same run as the cases, so each case can be stated as a share of them:
/// the multiply-add peak of one core (registers only, as many independent chains as the registers hold, widest vector
/// the JIT uses) and the read
/// bandwidth from L2 (a 400 KB buffer, the size of the LSTM 64 → 128 → 10 weights, summed again and again).
/// </summary>
public class MachineLimits
{
    /// <summary>
    /// Multiply-adds per call of <see cref="FmaPeak"/>: 2^20 float MACs with AVX-512 (16 chains of 16 lanes), 1,048,544
    /// with AVX2 (14 chains of 8 lanes: with 16 chains the two constants make 18 live vectors, more than AVX2's 16
    /// registers, and the spills halved the figure; sessions 3 to 5 reported 27.6 GMAC/s where this loop gives 52).
    /// </summary>
    public static int FmaMacs => Vector512.IsHardwareAccelerated ? Fma512Iterations * 16 * 16 : Fma256Iterations * 14 * 8;

    /// <summary>Iterations of the 16 chains of 16 lanes (<see cref="Fma512"/>) and of the 14 chains of 8 (<see cref="Fma256"/>).</summary>
    private const int Fma512Iterations = (1 << 20) / (16 * 16), Fma256Iterations = (1 << 20) / (14 * 8);

    /// <summary>Floats per call of <see cref="L2Read"/>: 102,400 (400 KB), about the 100,106 weights of one LSTM 64 → 128 → 10 step.</summary>
    public const int ReadFloats = 102_400;

    private readonly float[] _buffer = Setup.Uniform(ReadFloats, seed: 3);

    [Benchmark(Description = "FMA peak, about 2^20 float MACs")]
    public float FmaPeak() => Peak();

    /// <summary><see cref="FmaMacs"/> float multiply-adds in registers, at the widest vector the JIT uses; shared with the training case.</summary>
    internal static float Peak() =>
        Vector512.IsHardwareAccelerated ? Fma512(Fma512Iterations) : Fma256(Fma256Iterations);

    [Benchmark(Description = "L2 read, 400 KB")]
    public float L2Read() => Vector512.IsHardwareAccelerated ? Read512(_buffer) : Read256(_buffer);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static float Fma512(int iterations)
    {
        var m = Vector512.Create(0.999999f);
        var a = Vector512.Create(1e-7f);
        Vector512<float> c0 = Vector512.Create(1f), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0;
        Vector512<float> c8 = c0, c9 = c0, c10 = c0, c11 = c0, c12 = c0, c13 = c0, c14 = c0, c15 = c0;
        for (int i = 0; i < iterations; i++)
        {
            c0 = Vector512.FusedMultiplyAdd(c0, m, a); c1 = Vector512.FusedMultiplyAdd(c1, m, a);
            c2 = Vector512.FusedMultiplyAdd(c2, m, a); c3 = Vector512.FusedMultiplyAdd(c3, m, a);
            c4 = Vector512.FusedMultiplyAdd(c4, m, a); c5 = Vector512.FusedMultiplyAdd(c5, m, a);
            c6 = Vector512.FusedMultiplyAdd(c6, m, a); c7 = Vector512.FusedMultiplyAdd(c7, m, a);
            c8 = Vector512.FusedMultiplyAdd(c8, m, a); c9 = Vector512.FusedMultiplyAdd(c9, m, a);
            c10 = Vector512.FusedMultiplyAdd(c10, m, a); c11 = Vector512.FusedMultiplyAdd(c11, m, a);
            c12 = Vector512.FusedMultiplyAdd(c12, m, a); c13 = Vector512.FusedMultiplyAdd(c13, m, a);
            c14 = Vector512.FusedMultiplyAdd(c14, m, a); c15 = Vector512.FusedMultiplyAdd(c15, m, a);
        }

        var sum = ((c0 + c1) + (c2 + c3)) + ((c4 + c5) + (c6 + c7)) + ((c8 + c9) + (c10 + c11)) + ((c12 + c13) + (c14 + c15));
        return Vector512.Sum(sum);
    }

    /// <summary>14 chains: with the multiplier and the addend, 16 live vectors, all of AVX2's registers and no spill.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static float Fma256(int iterations)
    {
        var m = Vector256.Create(0.999999f);
        var a = Vector256.Create(1e-7f);
        Vector256<float> c0 = Vector256.Create(1f), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0;
        Vector256<float> c8 = c0, c9 = c0, c10 = c0, c11 = c0, c12 = c0, c13 = c0;
        for (int i = 0; i < iterations; i++)
        {
            c0 = Vector256.FusedMultiplyAdd(c0, m, a); c1 = Vector256.FusedMultiplyAdd(c1, m, a);
            c2 = Vector256.FusedMultiplyAdd(c2, m, a); c3 = Vector256.FusedMultiplyAdd(c3, m, a);
            c4 = Vector256.FusedMultiplyAdd(c4, m, a); c5 = Vector256.FusedMultiplyAdd(c5, m, a);
            c6 = Vector256.FusedMultiplyAdd(c6, m, a); c7 = Vector256.FusedMultiplyAdd(c7, m, a);
            c8 = Vector256.FusedMultiplyAdd(c8, m, a); c9 = Vector256.FusedMultiplyAdd(c9, m, a);
            c10 = Vector256.FusedMultiplyAdd(c10, m, a); c11 = Vector256.FusedMultiplyAdd(c11, m, a);
            c12 = Vector256.FusedMultiplyAdd(c12, m, a); c13 = Vector256.FusedMultiplyAdd(c13, m, a);
        }

        var sum = ((c0 + c1) + (c2 + c3)) + ((c4 + c5) + (c6 + c7)) + ((c8 + c9) + (c10 + c11)) + (c12 + c13);
        return Vector256.Sum(sum);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static float Read512(float[] buffer)
    {
        ref float start = ref buffer[0];
        Vector512<float> s0 = Vector512<float>.Zero, s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0, s6 = s0, s7 = s0;
        int width = Vector512<float>.Count;
        for (nuint i = 0; i + (nuint)(8 * width) <= (nuint)buffer.Length; i += (nuint)(8 * width))
        {
            s0 += Vector512.LoadUnsafe(ref start, i);
            s1 += Vector512.LoadUnsafe(ref start, i + (nuint)width);
            s2 += Vector512.LoadUnsafe(ref start, i + (nuint)(2 * width));
            s3 += Vector512.LoadUnsafe(ref start, i + (nuint)(3 * width));
            s4 += Vector512.LoadUnsafe(ref start, i + (nuint)(4 * width));
            s5 += Vector512.LoadUnsafe(ref start, i + (nuint)(5 * width));
            s6 += Vector512.LoadUnsafe(ref start, i + (nuint)(6 * width));
            s7 += Vector512.LoadUnsafe(ref start, i + (nuint)(7 * width));
        }

        return Vector512.Sum(((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7)));
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static float Read256(float[] buffer)
    {
        ref float start = ref buffer[0];
        Vector256<float> s0 = Vector256<float>.Zero, s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0, s6 = s0, s7 = s0;
        int width = Vector256<float>.Count;
        for (nuint i = 0; i + (nuint)(8 * width) <= (nuint)buffer.Length; i += (nuint)(8 * width))
        {
            s0 += Vector256.LoadUnsafe(ref start, i);
            s1 += Vector256.LoadUnsafe(ref start, i + (nuint)width);
            s2 += Vector256.LoadUnsafe(ref start, i + (nuint)(2 * width));
            s3 += Vector256.LoadUnsafe(ref start, i + (nuint)(3 * width));
            s4 += Vector256.LoadUnsafe(ref start, i + (nuint)(4 * width));
            s5 += Vector256.LoadUnsafe(ref start, i + (nuint)(5 * width));
            s6 += Vector256.LoadUnsafe(ref start, i + (nuint)(6 * width));
            s7 += Vector256.LoadUnsafe(ref start, i + (nuint)(7 * width));
        }

        return Vector256.Sum(((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7)));
    }
}
