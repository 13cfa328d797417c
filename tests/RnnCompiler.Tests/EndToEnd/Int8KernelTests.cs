using System;
using RnnCompiler.Kernels;
using Xunit;

namespace RnnCompiler.Tests.EndToEnd;

/// <summary>
/// The int8 matrix kernels against a naive quantize-and-multiply written here from the stated rule (symmetric scales,
/// one per weight column and one per input row, round to nearest even, exact integer sums, then one multiply and one
/// add per column), bit for bit; and against the float product within the quantization's error bound. CI runs these
/// on every x64 path (AVX-VNNI, AVX-512 and AVX2 multiply-add, SSE, scalar); the arm64 paths are checked by
/// RnnCompiler.NumericCheck under qemu.
/// </summary>
public class Int8KernelTests
{
    /// <summary>The naive int8 product: <c>addend[j] + S[j] · (xScale · wScale[j])</c>.</summary>
    internal static float[] NaiveProduct(float[] x, float[] w, int rows, int columns, float[] addend)
    {
        var wScale = new float[columns];
        var q = new int[rows, columns];
        for (int j = 0; j < columns; j++)
        {
            float largest = 0f;
            for (int i = 0; i < rows; i++)
            {
                largest = Math.Max(largest, Math.Abs(w[i * columns + j]));
            }

            wScale[j] = largest / 127f;
            for (int i = 0; i < rows; i++)
            {
                q[i, j] = largest == 0f ? 0 : (int)MathF.Round(w[i * columns + j] / wScale[j], MidpointRounding.ToEven);
            }
        }

        float xLargest = 0f;
        foreach (float value in x)
        {
            xLargest = Math.Max(xLargest, Math.Abs(value));
        }

        float xScale = xLargest / 127f;
        var xq = new int[rows];
        for (int i = 0; i < rows; i++)
        {
            xq[i] = xLargest == 0f ? 0 : (int)MathF.Round(x[i] * (127f / xLargest), MidpointRounding.ToEven);
        }

        var y = new float[columns];
        for (int j = 0; j < columns; j++)
        {
            long sum = 0;
            for (int i = 0; i < rows; i++)
            {
                sum += (long)xq[i] * q[i, j];
            }

            y[j] = addend[j] + ((float)sum * (xScale * wScale[j]));
        }

        return y;
    }

    internal static byte[] Quantized(float[] w, int rows, int columns)
    {
        var packed = new byte[Int8Matrix.Size(rows, columns)];
        Int8Matrix.Quantize(w, rows, columns, columns, packed);
        return packed;
    }

    private static float[] Random(Random random, int count, double scale = 1.0)
    {
        var values = new float[count];
        for (int i = 0; i < count; i++)
        {
            values[i] = (float)((random.NextDouble() * 2 - 1) * scale);
        }

        return values;
    }

    public static TheoryData<int, int> Shapes() => new()
    {
        { 1, 1 }, { 3, 5 }, { 4, 8 }, { 5, 9 }, { 7, 31 }, { 8, 32 }, { 9, 33 }, { 13, 40 }, { 64, 512 },
        { 128, 512 }, { 33, 129 }, { 130, 300 }, { 2, 1000 }, { 1000, 3 },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void MultiplyAdd_equals_the_naive_quantized_product_bit_for_bit(int rows, int columns)
    {
        var random = new Random(rows * 1000 + columns);
        float[] w = Random(random, rows * columns, 0.5);
        float[] x = Random(random, rows, 2.0);
        float[] y = Random(random, columns);
        float[] expected = NaiveProduct(x, w, rows, columns, y);
        byte[] packed = Quantized(w, rows, columns);
        MatrixKernels.MultiplyAdd(x, packed, y);
        Assert.Equal(expected, y);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void The_product_is_within_the_quantization_bound_of_the_float_product(int rows, int columns)
    {
        var random = new Random(rows * 7 + columns);
        float[] w = Random(random, rows * columns, 0.5);
        float[] x = Random(random, rows, 2.0);
        var y = new float[columns];
        MatrixKernels.MultiplyAdd(x, Quantized(w, rows, columns), y);
        double xLargest = 0;
        foreach (float value in x)
        {
            xLargest = Math.Max(xLargest, Math.Abs(value));
        }

        for (int j = 0; j < columns; j++)
        {
            double exact = 0, wLargest = 0, magnitude = 0;
            for (int i = 0; i < rows; i++)
            {
                exact += (double)x[i] * w[i * columns + j];
                wLargest = Math.Max(wLargest, Math.Abs(w[i * columns + j]));
                magnitude += Math.Abs((double)x[i] * w[i * columns + j]);
            }

            // Each product x·w carries at most |x|·(wLargest/254) + |w|·(xLargest/254) + the two steps' product.
            double bound = 0;
            for (int i = 0; i < rows; i++)
            {
                bound += Math.Abs(x[i]) * wLargest / 254 + Math.Abs(w[i * columns + j]) * xLargest / 254 + xLargest * wLargest / 254 / 254;
            }

            bound += 1e-6 * magnitude + 1e-30;
            Assert.True(Math.Abs(y[j] - exact) <= bound, $"column {j}: {y[j]} against {exact}, bound {bound}");
        }
    }

    [Fact]
    public void The_product_is_close_to_the_float_product_for_typical_weights()
    {
        // LSTM 64 -> 128's input product: relative error about 1% of the products' scale.
        var random = new Random(5);
        int rows = 64, columns = 512;
        float[] w = Random(random, rows * columns, 0.15);
        float[] x = Random(random, rows, 1.0);
        var y = new float[columns];
        MatrixKernels.MultiplyAdd(x, Quantized(w, rows, columns), y);
        double error = 0, norm = 0;
        for (int j = 0; j < columns; j++)
        {
            double exact = 0;
            for (int i = 0; i < rows; i++)
            {
                exact += (double)x[i] * w[i * columns + j];
            }

            error += (y[j] - exact) * (y[j] - exact);
            norm += exact * exact;
        }

        Assert.InRange(Math.Sqrt(error / norm), 1e-4, 2e-2);
    }

    [Theory]
    [InlineData(64, 128, 512)]
    [InlineData(5, 7, 21)]
    [InlineData(1, 0, 10)]
    public void Affine_equals_Project_then_MultiplyAdd_bit_for_bit(int inputs, int units, int columns)
    {
        var random = new Random(inputs + units + columns);
        float[] w = Random(random, inputs * columns, 0.3);
        float[] u = Random(random, units * columns, 0.3);
        float[] x = Random(random, inputs);
        float[] h = Random(random, units);
        float[] bias = Random(random, columns);
        byte[] wq = Quantized(w, inputs, columns);
        byte[] uq = Quantized(u, units, columns);
        var sequence = new float[columns];
        MatrixKernels.Project(x, 1, inputs, wq, bias, sequence);
        if (units > 0)
        {
            MatrixKernels.MultiplyAdd(h, uq, sequence);
        }

        var step = new float[columns];
        MatrixKernels.Affine(x, wq, h, uq, bias, step);
        Assert.Equal(sequence, step);
        Assert.Equal(NaiveProduct(h, u, units, columns, NaiveProduct(x, w, inputs, columns, bias)), step);
    }

    [Fact]
    public void Project_quantizes_each_row_on_its_own()
    {
        var random = new Random(11);
        int steps = 6, inputs = 10, outputs = 17;
        float[] w = Random(random, inputs * outputs);
        float[] x = Random(random, steps * inputs);
        for (int i = 0; i < inputs; i++)
        {
            x[2 * inputs + i] *= 1000f; // one loud row must not take the others' resolution
        }

        float[] bias = Random(random, outputs);
        var y = new float[steps * outputs];
        MatrixKernels.Project(x, steps, inputs, Quantized(w, inputs, outputs), bias, y);
        for (int t = 0; t < steps; t++)
        {
            float[] expected = NaiveProduct(x.AsSpan(t * inputs, inputs).ToArray(), w, inputs, outputs, bias);
            Assert.Equal(expected, y.AsSpan(t * outputs, outputs).ToArray());
        }
    }

    [Fact]
    public void Zero_and_non_finite_inputs()
    {
        int rows = 9, columns = 11;
        var random = new Random(3);
        float[] w = Random(random, rows * columns);
        w[4 * columns + 2] = float.NaN; // column 2 has no scale
        for (int i = 0; i < rows; i++)
        {
            w[i * columns + 5] = 0f; // column 5 is all zeros
        }

        byte[] packed = Quantized(w, rows, columns);
        var y = new float[columns];
        MatrixKernels.MultiplyAdd(new float[rows], packed, y);
        for (int j = 0; j < columns; j++)
        {
            Assert.True(j == 2 ? float.IsNaN(y[j]) : y[j] == 0f, $"column {j}: {y[j]}");
        }

        float[] x = Random(random, rows);
        x[3] = float.PositiveInfinity;
        y = new float[columns];
        MatrixKernels.MultiplyAdd(x, packed, y);
        Assert.All(y, value => Assert.True(float.IsNaN(value)));
    }

    [Fact]
    public void Quantize_keeps_each_weight_within_half_a_step_of_its_column()
    {
        var random = new Random(17);
        int rows = 37, columns = 19;
        float[] w = Random(random, rows * columns, 3.0);
        byte[] packed = Quantized(w, rows, columns);
        for (int j = 0; j < columns; j++)
        {
            float largest = 0f;
            for (int i = 0; i < rows; i++)
            {
                largest = Math.Max(largest, Math.Abs(w[i * columns + j]));
            }

            Assert.Equal(largest / 127f, Int8Matrix.Scale(packed, columns, j));
            for (int i = 0; i < rows; i++)
            {
                sbyte q = Int8Matrix.Quantized(packed, rows, columns, i, j);
                Assert.InRange(q, (sbyte)-127, (sbyte)127);
                Assert.True(Math.Abs(Int8Matrix.Weight(packed, rows, columns, i, j) - w[i * columns + j]) <= largest / 254f * 1.0001f);
            }
        }
    }

    [Fact]
    public void Bad_shapes_are_refused_with_the_argument_named()
    {
        byte[] packed = Quantized(new float[12], 3, 4);
        Assert.Equal("w", Assert.Throws<ArgumentException>(() => MatrixKernels.MultiplyAdd(new float[3], packed.AsSpan(0, packed.Length - 1), new float[4])).ParamName);
        Assert.Equal("w", Assert.Throws<ArgumentException>(() => MatrixKernels.MultiplyAdd(new float[3], packed, new float[9])).ParamName);
        Assert.Equal("bias", Assert.Throws<ArgumentException>(() => MatrixKernels.Affine(new float[3], packed, default, default, new float[3], new float[4])).ParamName);
        Assert.Equal("destination", Assert.Throws<ArgumentException>(() => Int8Matrix.Quantize(new float[12], 3, 4, 4, new byte[10])).ParamName);
        Assert.Equal("source", Assert.Throws<ArgumentException>(() => Int8Matrix.Quantize(new float[11], 3, 4, 4, packed)).ParamName);
        Assert.Equal("x", Assert.Throws<ArgumentException>(() => MatrixKernels.MultiplyAdd(new float[MatrixKernels.MaxInt8Rows + 1], packed, new float[4])).ParamName);
    }
}
