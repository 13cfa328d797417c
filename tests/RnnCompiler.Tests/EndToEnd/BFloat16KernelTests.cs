using System;
using RnnCompiler.Kernels;
using Xunit;

namespace RnnCompiler.Tests.EndToEnd;

/// <summary>
/// bfloat16 rounding against an oracle written here (the nearest of the two neighbours, compared in double), and the
/// bfloat16 matrix kernels against a naive loop over the widened weights. CI runs these on every vector path.
/// </summary>
public class BFloat16KernelTests
{
    /// <summary>The bfloat16 nearest to <paramref name="value"/>, ties to even, found by comparing distances in double.</summary>
    internal static ushort NearestBFloat16(float value)
    {
        uint bits = BitConverter.SingleToUInt32Bits(value);
        if (float.IsNaN(value))
        {
            return (ushort)((bits >> 16) | 0x0040); // the oracle's choice for NaN is checked separately: any NaN will do
        }

        if (float.IsInfinity(value))
        {
            return (ushort)(bits >> 16);
        }

        ushort below = (ushort)(bits >> 16); // truncation: the neighbour towards zero
        ushort above = (ushort)(below + 1);   // the next magnitude up (0x7F80 from the largest finite: ∞)
        double exact = value;
        double low = Widen(below);
        double high = float.IsInfinity(Widen(above)) ? Math.CopySign(Math.Pow(2, 128), exact) : Widen(above);
        double toLow = Math.Abs(exact - low);
        double toHigh = Math.Abs(high - exact);
        if (toLow != toHigh)
        {
            return toLow < toHigh ? below : above;
        }

        return (below & 1) == 0 ? below : above;
    }

    private static float Widen(ushort value) => BitConverter.UInt32BitsToSingle((uint)value << 16);

    [Theory]
    [InlineData(0x3F80_0000u, 0x3F80)] // 1
    [InlineData(0x3F80_7FFFu, 0x3F80)] // just below half an ulp: down
    [InlineData(0x3F80_8000u, 0x3F80)] // a tie, 0x3F80 is even: down
    [InlineData(0x3F81_8000u, 0x3F82)] // a tie, 0x3F81 is odd: up to even
    [InlineData(0x3F80_8001u, 0x3F81)] // just above half an ulp: up
    [InlineData(0xBF81_8000u, 0xBF82)] // negative tie: same magnitude rule
    [InlineData(0x3FFF_8000u, 0x4000)] // a carry into the exponent: 1.99609375 + half an ulp → 2
    [InlineData(0x0000_0000u, 0x0000)] // +0
    [InlineData(0x8000_0000u, 0x8000)] // −0
    [InlineData(0x7F80_0000u, 0x7F80)] // +∞
    [InlineData(0xFF80_0000u, 0xFF80)] // −∞
    [InlineData(0x7F7F_FFFFu, 0x7F80)] // float.MaxValue is past the largest bfloat16 + half an ulp: ∞
    [InlineData(0x7F7F_7FFFu, 0x7F7F)] // just below that half: the largest bfloat16
    [InlineData(0x0000_0001u, 0x0000)] // the smallest subnormal rounds to 0
    [InlineData(0x0000_8000u, 0x0000)] // a subnormal tie, even below: down
    [InlineData(0x0001_8000u, 0x0002)] // a subnormal tie, odd below: up
    [InlineData(0x0001_8001u, 0x0002)] // a subnormal above half: up
    [InlineData(0x007F_FFFFu, 0x0080)] // the largest subnormal rounds up to the smallest normal
    [InlineData(0x8001_8000u, 0x8002)] // a negative subnormal tie
    public void Round_is_to_nearest_with_ties_to_even(uint floatBits, int expected)
    {
        float value = BitConverter.UInt32BitsToSingle(floatBits);
        Assert.Equal((ushort)expected, BFloat16.Round(value));
        Assert.Equal((ushort)expected, NearestBFloat16(value));
    }

    [Theory]
    [InlineData(0x7FC0_0000u)] // the default quiet NaN
    [InlineData(0xFFC0_0000u)] // negative NaN
    [InlineData(0x7F80_0001u)] // a signalling NaN whose payload is only in the dropped bits
    [InlineData(0xFF80_0001u)]
    [InlineData(0x7FBF_FFFFu)] // the largest signalling payload
    [InlineData(0x7FFF_FFFFu)] // all ones: rounding must not carry into the sign
    public void NaN_stays_NaN_with_its_sign(uint floatBits)
    {
        float value = BitConverter.UInt32BitsToSingle(floatBits);
        ushort rounded = BFloat16.Round(value);
        Assert.True(float.IsNaN(BFloat16.Widen(rounded)), $"0x{floatBits:X8} → 0x{rounded:X4}");
        Assert.Equal(floatBits >> 31, (uint)rounded >> 15);
        Assert.Equal(floatBits >> 16 & 0x7FBF, rounded & 0x7FBFu); // the upper payload bits are kept
    }

    [Fact]
    public void Round_matches_the_oracle_on_a_million_bit_patterns_and_every_tie()
    {
        var random = new Random(5);
        for (int i = 0; i < 1 << 20; i++)
        {
            uint bits = (uint)random.Next() << 1 ^ (uint)random.Next(2);
            if (i % 4 == 0)
            {
                bits = (bits & 0xFFFF_0000u) | 0x8000u; // an exact tie
            }

            float value = BitConverter.UInt32BitsToSingle(bits);
            if (float.IsNaN(value))
            {
                continue;
            }

            ushort actual = BFloat16.Round(value);
            ushort expected = NearestBFloat16(value);
            if (actual != expected)
            {
                Assert.Fail($"0x{bits:X8} ({value:R}) rounds to 0x{actual:X4}; the nearest (ties to even) is 0x{expected:X4}.");
            }
        }
    }

    [Fact]
    public void Widen_is_exact_and_the_span_form_rounds_every_element()
    {
        Assert.Equal(1f, BFloat16.Widen(0x3F80));
        Assert.Equal(-2f, BFloat16.Widen(0xC000));
        Assert.Equal(float.Epsilon * 65536, BFloat16.Widen(0x0001)); // the smallest bfloat16 subnormal, 2^-133
        float[] values = TestData.Uniform(37, seed: 3, scale: 100f);
        var rounded = new ushort[37];
        BFloat16.Round(values, rounded);
        for (int i = 0; i < values.Length; i++)
        {
            Assert.Equal(NearestBFloat16(values[i]), rounded[i]);
        }

        Assert.Throws<ArgumentException>(() => BFloat16.Round(values, new ushort[36]));
    }

    /// <summary>Random bfloat16 weights, and after them <paramref name="guard"/> NaNs that a correct kernel never reads.</summary>
    private static ushort[] Weights(int count, int seed, int guard = 64)
    {
        float[] values = TestData.Uniform(count, seed);
        var weights = new ushort[count + guard];
        for (int i = 0; i < count; i++)
        {
            weights[i] = NearestBFloat16(values[i]);
        }

        weights.AsSpan(count).Fill(0x7FC0);
        return weights;
    }

    [Fact]
    public void MultiplyAdd_matches_a_naive_loop_over_the_widened_weights_for_every_column_count_and_stride()
    {
        for (int columns = 1; columns <= 140; columns += columns < 70 ? 1 : 7)
        {
            foreach (int rows in new[] { 1, 2, 7, 33 })
            {
                int stride = columns + columns % 3;
                int length = (rows - 1) * stride + columns;
                ushort[] w = Weights(length, seed: columns);
                float[] x = TestData.Uniform(rows, seed: rows, scale: 1f);
                float[] y = TestData.Uniform(columns, seed: rows + columns);
                var expected = new double[columns];
                for (int j = 0; j < columns; j++)
                {
                    expected[j] = y[j];
                    for (int i = 0; i < rows; i++)
                    {
                        expected[j] += (double)x[i] * Widen(w[i * stride + j]);
                    }
                }

                MatrixKernels.MultiplyAdd(x, w.AsSpan(0, length), stride, y);
                TestData.AssertClose(expected, y, 1e-5, $"{rows} × {columns}, stride {stride}");
            }
        }
    }

    [Fact]
    public void Project_matches_a_naive_loop_over_the_widened_weights_around_its_four_step_blocks()
    {
        foreach (int outputs in new[] { 1, 3, 8, 17, 32, 40, 70, 512 })
        {
            foreach (int inputs in new[] { 1, 5, 64 })
            {
                for (int steps = 1; steps <= 9; steps++)
                {
                    ushort[] w = Weights(inputs * outputs, seed: outputs);
                    float[] x = TestData.Uniform(steps * inputs, seed: steps, scale: 1f);
                    float[] bias = TestData.Uniform(outputs, seed: inputs);
                    var y = new float[steps * outputs];
                    var expected = new double[steps * outputs];
                    for (int t = 0; t < steps; t++)
                    {
                        for (int j = 0; j < outputs; j++)
                        {
                            double sum = bias[j];
                            for (int i = 0; i < inputs; i++)
                            {
                                sum += (double)x[t * inputs + i] * Widen(w[i * outputs + j]);
                            }

                            expected[t * outputs + j] = sum;
                        }
                    }

                    MatrixKernels.Project(x, steps, inputs, w.AsSpan(0, inputs * outputs), bias, y);
                    TestData.AssertClose(expected, y, 1e-5, $"{steps} steps, {inputs} → {outputs}");
                }
            }
        }
    }

    [Theory]
    [InlineData(37, 300)] // 22 KB of bfloat16: column blocks; 44 KB of float: streamed
    [InlineData(131, 260)] // 67 KB of bfloat16: both streamed (MatrixKernels.Streaming.cs), bfloat16 in pairs of vectors
    [InlineData(131, 264)] // as above, with one vector of columns left after the pairs
    [InlineData(300, 61)] // pairs, one vector, then the narrower tails
    public void The_bfloat16_kernels_give_the_float_kernels_results_on_the_widened_weights_bit_for_bit(int rows, int columns)
    {
        // Same algorithm, same summation order: widening happens before the arithmetic, so the results are identical,
        // whichever order each kernel reads its matrix in.
        ushort[] packed = Weights(rows * columns, seed: 9, guard: 0);
        float[] widened = Array.ConvertAll(packed, Widen);
        float[] x = TestData.Uniform(4 * rows, seed: 1, scale: 1f);
        float[] bias = TestData.Uniform(columns, seed: 2);
        float[] fromFloat = new float[4 * columns], fromBFloat16 = new float[4 * columns];
        MatrixKernels.Project<float>(x, 4, rows, widened, bias, fromFloat);
        MatrixKernels.Project(x, 4, rows, packed, bias, fromBFloat16);
        Assert.Equal(fromFloat, fromBFloat16);
        MatrixKernels.MultiplyAdd<float>(x.AsSpan(0, rows), widened, columns, fromFloat.AsSpan(0, columns));
        MatrixKernels.MultiplyAdd(x.AsSpan(0, rows), packed, columns, fromBFloat16.AsSpan(0, columns));
        Assert.Equal(fromFloat, fromBFloat16);

        // Eight columns at a time the same rows are small enough for the column blocks: the same bits again.
        float[] blocks = fromBFloat16.AsSpan(columns, columns).ToArray();
        for (int j = 0; j < columns; j += 8)
        {
            MatrixKernels.MultiplyAdd(x.AsSpan(0, rows), packed.AsSpan(j), columns, blocks.AsSpan(j, Math.Min(8, columns - j)));
        }

        MatrixKernels.MultiplyAdd(x.AsSpan(0, rows), packed, columns, fromBFloat16.AsSpan(columns, columns));
        Assert.Equal(blocks, fromBFloat16.AsSpan(columns, columns).ToArray());

        // Affine over both halves of the rows: the float Affine on the widened weights.
        int half = rows / 2;
        float[] affineFloat = new float[columns], affineBFloat16 = new float[columns];
        MatrixKernels.Affine<float>(x.AsSpan(0, half), widened.AsSpan(0, half * columns), x.AsSpan(half, rows - half), widened.AsSpan(half * columns), bias, affineFloat);
        MatrixKernels.Affine(x.AsSpan(0, half), packed.AsSpan(0, half * columns), x.AsSpan(half, rows - half), packed.AsSpan(half * columns), bias, affineBFloat16);
        Assert.Equal(affineFloat, affineBFloat16);
    }

    [Fact]
    public void Affine_matches_a_naive_loop_over_the_widened_weights_and_the_float_Affine_bit_for_bit()
    {
        for (int columns = 1; columns <= 140; columns += columns < 70 ? 1 : 7)
        {
            foreach ((int inputs, int units) in new[] { (1, 1), (5, 0), (3, 7), (64, 33) })
            {
                ushort[] w = Weights(inputs * columns, seed: columns);
                ushort[] u = Weights(units * columns, seed: columns + 1);
                float[] x = TestData.Uniform(inputs, seed: inputs, scale: 1f);
                float[] h = TestData.Uniform(units, seed: units + 2, scale: 1f);
                float[] bias = TestData.Uniform(columns, seed: 3);
                var expected = new double[columns];
                for (int j = 0; j < columns; j++)
                {
                    expected[j] = bias[j];
                    for (int i = 0; i < inputs; i++)
                    {
                        expected[j] += (double)x[i] * Widen(w[i * columns + j]);
                    }

                    for (int i = 0; i < units; i++)
                    {
                        expected[j] += (double)h[i] * Widen(u[i * columns + j]);
                    }
                }

                var y = new float[columns];
                MatrixKernels.Affine(x, w.AsSpan(0, inputs * columns), h, u.AsSpan(0, units * columns), bias, y);
                TestData.AssertClose(expected, y, 1e-5, $"{inputs} + {units} → {columns}");

                float[] wideW = Array.ConvertAll(w[..(inputs * columns)], Widen);
                float[] wideU = Array.ConvertAll(u[..(units * columns)], Widen);
                var fromFloat = new float[columns];
                MatrixKernels.Affine<float>(x, wideW, h, wideU, bias, fromFloat);
                Assert.Equal(fromFloat, y);
            }
        }
    }

    [Fact]
    public void MultiplyAdd_refuses_a_matrix_too_short_for_its_shape_instead_of_reading_past_it()
    {
        var error = Assert.Throws<ArgumentException>(() => MatrixKernels.MultiplyAdd(new float[3], new ushort[10], 4, new float[4]));
        Assert.Equal("w", error.ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => MatrixKernels.MultiplyAdd(new float[3], new ushort[12], 3, new float[4]));
        Assert.Throws<ArgumentException>(() => MatrixKernels.Project(new float[8], 2, 4, new ushort[11], new float[3], new float[6]));
    }
}
