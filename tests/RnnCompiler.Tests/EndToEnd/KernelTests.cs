using System;
using System.Runtime.CompilerServices;
using RnnCompiler.Kernels;
using Xunit;

namespace RnnCompiler.Tests.EndToEnd;

/// <summary>The shared matrix kernel on every column count around the vector widths, against a naive loop.</summary>
public class KernelTests
{
    [Fact]
    public void MultiplyAdd_matches_a_naive_loop_for_every_column_count_and_stride()
    {
        for (int columns = 1; columns <= 70; columns++)
        {
            foreach (int rows in new[] { 1, 2, 7, 33 })
            {
                int stride = columns + columns % 3;
                float[] x = TestData.Uniform(rows, seed: rows, scale: 1f);
                float[] w = TestData.Uniform((rows - 1) * stride + columns, seed: columns);
                float[] y = TestData.Uniform(columns, seed: rows + columns);
                var expected = new double[columns];
                for (int j = 0; j < columns; j++)
                {
                    expected[j] = y[j];
                    for (int i = 0; i < rows; i++)
                    {
                        expected[j] += (double)x[i] * w[i * stride + j];
                    }
                }

                MatrixKernels.MultiplyAdd<float>(x, w, stride, y);
                TestData.AssertClose(expected, y, 1e-5, $"{rows} × {columns}, stride {stride}");
            }
        }
    }

    [Fact]
    public void MultiplyAdd_streams_a_matrix_larger_than_L1_with_the_bits_of_its_column_blocks()
    {
        // Every shape here holds at least 32 KB of weights, so the kernel reads it row by row in address order
        // (MatrixKernels.Streaming.cs); eight columns at a time, the same rows are 8 KB or less and take the column
        // blocks. Each column sums the same products in the same order either way, so the bits must agree, and both
        // must agree with a naive loop. Row counts around the four-row groups, columns around the vector tails.
        foreach (int columns in new[] { 8, 9, 16, 23, 24, 40, 100, 384, 515 })
        {
            int minimumRows = (32 * 1024 / 4 + columns - 1) / columns;
            foreach (int extraRows in new[] { 0, 1, 2, 3, 5 })
            {
                int rows = minimumRows + extraRows;
                int stride = columns + columns % 5;
                float[] x = TestData.Uniform(rows, seed: rows, scale: 1f);
                float[] w = TestData.Uniform((rows - 1) * stride + columns, seed: columns);
                float[] start = TestData.Uniform(columns, seed: rows + columns);
                var expected = new double[columns];
                for (int j = 0; j < columns; j++)
                {
                    expected[j] = start[j];
                    for (int i = 0; i < rows; i++)
                    {
                        expected[j] += (double)x[i] * w[i * stride + j];
                    }
                }

                // One more element than the columns: the kernel must write exactly the columns it was given.
                float[] streamed = new float[columns + 1];
                start.CopyTo(streamed, 0);
                streamed[columns] = 42f;
                MatrixKernels.MultiplyAdd<float>(x, w, stride, streamed.AsSpan(0, columns));
                Assert.Equal(42f, streamed[columns]);

                float[] blocks = (float[])start.Clone();
                for (int j = 0; j < columns; j += 8)
                {
                    int width = Math.Min(8, columns - j);
                    MatrixKernels.MultiplyAdd<float>(x, w.AsSpan(j), stride, blocks.AsSpan(j, width));
                }

                string what = $"{rows} × {columns}, stride {stride}";
                TestData.AssertClose(expected, streamed.AsSpan(0, columns), 1e-5, what);
                Assert.True(blocks.AsSpan().SequenceEqual(streamed.AsSpan(0, columns)), what);
            }
        }
    }

    [Fact]
    public void MultiplyAdd_streams_doubles_with_the_bits_of_its_column_blocks()
    {
        const int rows = 37, columns = 130;
        double[] x = new double[rows], w = new double[rows * columns], streamed = new double[columns];
        var random = new Random(5);
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = random.NextDouble() - 0.5;
        }

        for (int i = 0; i < w.Length; i++)
        {
            w[i] = random.NextDouble() - 0.5;
        }

        double[] blocks = new double[columns];
        MatrixKernels.MultiplyAdd<double>(x, w, columns, streamed);
        for (int j = 0; j < columns; j += 4)
        {
            MatrixKernels.MultiplyAdd<double>(x, w.AsSpan(j), columns, blocks.AsSpan(j, Math.Min(4, columns - j)));
        }

        for (int j = 0; j < columns; j++)
        {
            double sum = 0;
            for (int i = 0; i < rows; i++)
            {
                sum += x[i] * w[i * columns + j];
            }

            Assert.Equal(sum, streamed[j], 1e-12);
        }

        Assert.Equal(blocks, streamed);
    }

    [Fact]
    public void Project_matches_a_naive_loop_for_every_step_count_around_its_four_step_blocks()
    {
        foreach (int outputs in new[] { 1, 3, 8, 17, 32, 40, 70 })
        {
            foreach (int inputs in new[] { 1, 5, 64 })
            {
                for (int steps = 1; steps <= 9; steps++)
                {
                    float[] x = TestData.Uniform(steps * inputs, seed: steps, scale: 1f);
                    float[] w = TestData.Uniform(inputs * outputs, seed: outputs);
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
                                sum += (double)x[t * inputs + i] * w[i * outputs + j];
                            }

                            expected[t * outputs + j] = sum;
                        }
                    }

                    MatrixKernels.Project<float>(x, steps, inputs, w, bias, y);
                    TestData.AssertClose(expected, y, 1e-5, $"{steps} steps, {inputs} → {outputs}");
                }
            }
        }
    }

    [Fact]
    public void Affine_matches_a_naive_loop_for_every_column_count_and_row_counts_on_both_sides()
    {
        for (int columns = 1; columns <= 300; columns += columns < 70 ? 1 : 37)
        {
            foreach ((int xRows, int hRows) in new[] { (1, 0), (1, 8), (3, 1), (0, 5), (7, 33), (64, 2), (13, 70) })
            {
                float[] x = TestData.Uniform(xRows, seed: xRows, scale: 1f);
                float[] h = TestData.Uniform(hRows, seed: 100 + hRows, scale: 1f);
                float[] w = TestData.Uniform(xRows * columns, seed: columns);
                float[] u = TestData.Uniform(hRows * columns, seed: 7 * columns);
                float[] bias = TestData.Uniform(columns, seed: 3 * columns);
                var expected = new double[columns];
                for (int j = 0; j < columns; j++)
                {
                    expected[j] = bias[j];
                    for (int i = 0; i < xRows; i++)
                    {
                        expected[j] += (double)x[i] * w[i * columns + j];
                    }

                    for (int i = 0; i < hRows; i++)
                    {
                        expected[j] += (double)h[i] * u[i * columns + j];
                    }
                }

                // One more element than the columns: the kernel must write exactly the columns it was given.
                float[] y = new float[columns + 1];
                y[columns] = 42f;
                MatrixKernels.Affine<float>(x, w, h, u, bias, y.AsSpan(0, columns));
                TestData.AssertClose(expected, y.AsSpan(0, columns).ToArray(), 1e-5, $"x {xRows}, h {hRows}, {columns} columns");
                Assert.Equal(42f, y[columns]);

                // The same sums, in the same order, as the sequence path: the bias, x·W (Project), then h·U (MultiplyAdd).
                float[] sequence = new float[columns];
                MatrixKernels.Project<float>(x, 1, xRows, w, bias, sequence);
                MatrixKernels.MultiplyAdd<float>(h, u, columns, sequence);
                Assert.Equal(sequence, y.AsSpan(0, columns).ToArray());
            }
        }
    }

    [Fact]
    public void Affine_refuses_spans_too_short_for_their_shapes()
    {
        float[] x = new float[3], h = new float[2], bias = new float[5], y = new float[5];
        Assert.Equal("w", Assert.Throws<ArgumentException>(() => MatrixKernels.Affine<float>(x, new float[14], h, new float[10], bias, y)).ParamName);
        Assert.Equal("u", Assert.Throws<ArgumentException>(() => MatrixKernels.Affine<float>(x, new float[15], h, new float[9], bias, y)).ParamName);
        Assert.Equal("bias", Assert.Throws<ArgumentException>(() => MatrixKernels.Affine<float>(x, new float[15], h, new float[10], new float[4], y)).ParamName);
    }

    [Fact]
    public void AddTransposedProduct_matches_a_naive_loop_around_its_row_and_column_blocks_with_strides()
    {
        foreach (int depth in new[] { 1, 2, 5, 32 })
        {
            foreach (int rows in new[] { 1, 3, 4, 5, 9, 17 })
            {
                foreach (int columns in new[] { 1, 7, 8, 15, 16, 17, 33, 64, 65, 100, 130 })
                {
                    int aStride = rows + depth % 3, bStride = columns + rows % 2, cStride = columns + 2;
                    float[] a = TestData.Uniform((depth - 1) * aStride + rows, seed: depth + rows, scale: 1f);
                    float[] b = TestData.Uniform((depth - 1) * bStride + columns, seed: columns);
                    float[] c = TestData.Uniform((rows - 1) * cStride + columns + 1, seed: rows * columns);
                    var expected = new double[c.Length];
                    for (int n = 0; n < c.Length; n++)
                    {
                        expected[n] = c[n];
                    }

                    for (int i = 0; i < rows; i++)
                    {
                        for (int j = 0; j < columns; j++)
                        {
                            for (int k = 0; k < depth; k++)
                            {
                                expected[i * cStride + j] += (double)a[k * aStride + i] * b[k * bStride + j];
                            }
                        }
                    }

                    MatrixKernels.AddTransposedProduct<float>(a, aStride, b, bStride, depth, rows, columns, c, cStride);
                    // Every element, the gaps between rows and the one past the end included: those must not change.
                    TestData.AssertClose(expected, c, 1e-5, $"depth {depth}, {rows} × {columns}");
                }
            }
        }
    }

    [Fact]
    public void AddProductTransposed_matches_a_naive_loop_around_its_blocks_and_vector_tails_with_strides()
    {
        foreach (int depth in new[] { 1, 3, 8, 16, 17, 40, 512 })
        {
            foreach (int rows in new[] { 1, 2, 3, 5, 8 })
            {
                foreach (int columns in new[] { 1, 3, 4, 5, 9, 12 })
                {
                    int aStride = depth + rows % 2, bStride = depth + 3, cStride = columns + 1;
                    float[] a = TestData.Uniform((rows - 1) * aStride + depth, seed: depth + rows, scale: 1f);
                    float[] b = TestData.Uniform((columns - 1) * bStride + depth, seed: columns + 11);
                    float[] c = TestData.Uniform((rows - 1) * cStride + columns + 1, seed: rows + 7 * columns);
                    var expected = new double[c.Length];
                    for (int n = 0; n < c.Length; n++)
                    {
                        expected[n] = c[n];
                    }

                    for (int r = 0; r < rows; r++)
                    {
                        for (int i = 0; i < columns; i++)
                        {
                            for (int j = 0; j < depth; j++)
                            {
                                expected[r * cStride + i] += (double)a[r * aStride + j] * b[i * bStride + j];
                            }
                        }
                    }

                    MatrixKernels.AddProductTransposed<float>(a, aStride, b, bStride, depth, rows, columns, c, cStride);
                    TestData.AssertClose(expected, c, 1e-5, $"depth {depth}, {rows} × {columns}");
                }
            }
        }
    }

    /// <summary>
    /// With float vectors of 512 bits (a 4 × 4 block) or 256 bits (AVX2's 2 × 4 block) the dot-product blocks sum their
    /// accumulators together in one shuffle tree. Each element must come out exactly as one accumulator of that many
    /// lanes, fused lane by lane over the depth and summed in the halving order (lane j + 8 onto j, then + 4, + 2, + 1),
    /// then added to C: a wrong lane or block in the tree puts a neighbour's sum, or a differently rounded one, in its place.
    /// </summary>
    [Fact]
    public void AddProductTransposed_sums_each_block_element_in_the_halving_order_on_the_512_and_256_bit_paths()
    {
        int lanes = System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated ? 16
            : System.Runtime.Intrinsics.Vector256.IsHardwareAccelerated ? 8 : 0;
#if RNN_EMULATE_VECTOR512
        lanes = 16;
#endif
        if (lanes == 0)
        {
            return; // the 128-bit and one-lane paths sum each accumulator on its own; the naive test covers them
        }

        int blockRows = lanes == 16 ? 4 : 2;
        foreach ((int depth, int rows, int columns) in new[] { (16, 4, 4), (64, 8, 12), (512, 5, 9), (48, 12, 8), (8, 3, 4) })
        {
            if (depth % lanes != 0)
            {
                continue;
            }

            int aStride = depth + 5, bStride = depth + 3, cStride = columns + 2;
            float[] a = TestData.Uniform((rows - 1) * aStride + depth, seed: depth + rows, scale: 1f);
            float[] b = TestData.Uniform((columns - 1) * bStride + depth, seed: columns + 11);
            float[] c = TestData.Uniform((rows - 1) * cStride + columns + 1, seed: rows + 7 * columns);
            float[] expected = (float[])c.Clone();
            int blockedRows = rows - rows % blockRows, blockedColumns = columns - columns % 4;
            for (int r = 0; r < blockedRows; r++)
            {
                for (int i = 0; i < blockedColumns; i++)
                {
                    var sum = new float[lanes];
                    for (int j = 0; j < depth; j++)
                    {
                        sum[j % lanes] = MathF.FusedMultiplyAdd(a[r * aStride + j], b[i * bStride + j], sum[j % lanes]);
                    }

                    for (int half = lanes / 2; half >= 1; half /= 2)
                    {
                        for (int l = 0; l < half; l++)
                        {
                            sum[l] += sum[l + half];
                        }
                    }

                    expected[r * cStride + i] += sum[0];
                }
            }

            MatrixKernels.AddProductTransposed<float>(a, aStride, b, bStride, depth, rows, columns, c, cStride);
            for (int r = 0; r < blockedRows; r++)
            {
                for (int i = 0; i < blockedColumns; i++)
                {
                    int n = r * cStride + i;
                    Assert.True(
                        BitConverter.SingleToInt32Bits(expected[n]) == BitConverter.SingleToInt32Bits(c[n]),
                        $"{lanes} lanes, depth {depth}, {rows} × {columns}: C[{r}, {i}] is {c[n]:R}, the halving order gives {expected[n]:R}");
                }
            }
        }
    }

    [Fact]
    public void AddProduct_matches_a_naive_loop_around_its_blocks_and_vector_tails_with_strides()
    {
        foreach (int depth in new[] { 1, 3, 16, 33 })
        {
            foreach (int rows in new[] { 1, 3, 4, 5, 9, 17 })
            {
                foreach (int columns in new[] { 1, 3, 8, 16, 17, 40, 64, 100 })
                {
                    int aStride = depth + rows % 2, bStride = columns + 3, cStride = columns + 1;
                    float[] a = TestData.Uniform((rows - 1) * aStride + depth, seed: depth + rows, scale: 1f);
                    float[] b = TestData.Uniform((depth - 1) * bStride + columns, seed: columns + 11);
                    float[] c = TestData.Uniform((rows - 1) * cStride + columns + 1, seed: rows + 7 * columns);
                    var expected = new double[c.Length];
                    for (int n = 0; n < c.Length; n++)
                    {
                        expected[n] = c[n];
                    }

                    for (int r = 0; r < rows; r++)
                    {
                        for (int j = 0; j < columns; j++)
                        {
                            for (int k = 0; k < depth; k++)
                            {
                                expected[r * cStride + j] += (double)a[r * aStride + k] * b[k * bStride + j];
                            }
                        }
                    }

                    // Each row summed in order of k from its own value: the bits of MultiplyAdd on that row alone.
                    float[] rowByRow = (float[])c.Clone();
                    for (int r = 0; r < rows; r++)
                    {
                        MatrixKernels.MultiplyAdd<float>(a.AsSpan(r * aStride, depth), b, bStride, rowByRow.AsSpan(r * cStride, columns));
                    }

                    MatrixKernels.AddProduct<float>(a, aStride, b, bStride, depth, rows, columns, c, cStride);
                    TestData.AssertClose(expected, c, 1e-5, $"depth {depth}, {rows} × {columns}");
                    Assert.Equal(rowByRow, c);
                }
            }
        }
    }

    [Fact]
    public void AddColumnSums_adds_every_row_and_touches_nothing_else()
    {
        float[] a = TestData.Uniform(4 * 7 - 2, seed: 9, scale: 1f);
        float[] sums = { 1f, 2f, 3f, 4f, 5f, 100f };
        var expected = new double[] { 1, 2, 3, 4, 5, 100 };
        for (int k = 0; k < 4; k++)
        {
            for (int j = 0; j < 5; j++)
            {
                expected[j] += a[k * 7 + j];
            }
        }

        MatrixKernels.AddColumnSums<float>(a, 7, 4, sums.AsSpan(0, 5));
        TestData.AssertClose(expected, sums, 1e-6, "column sums");
    }

    /// <summary>
    /// Every column count around the vector widths and the eight-vector blocks: each sum must be exactly the float sum of
    /// its rows added in order (a naive loop gives the same bits), and nothing past the sums or in a row's gap changes.
    /// </summary>
    [Fact]
    public void AddColumnSums_adds_the_rows_in_order_for_every_column_count()
    {
        foreach (int columns in new[] { 1, 3, 4, 7, 8, 15, 16, 17, 31, 33, 64, 100, 127, 128, 129, 255, 300, 512 })
        {
            foreach (int depth in new[] { 1, 2, 9 })
            {
                int stride = columns + 3;
                float[] a = TestData.Uniform((depth - 1) * stride + columns, seed: columns + depth, scale: 1f);
                float[] sums = TestData.Uniform(columns + 1, seed: 5 * columns);
                float[] expected = (float[])sums.Clone();
                for (int k = 0; k < depth; k++)
                {
                    for (int j = 0; j < columns; j++)
                    {
                        expected[j] += a[k * stride + j];
                    }
                }

                MatrixKernels.AddColumnSums<float>(a, stride, depth, sums.AsSpan(0, columns));
                for (int j = 0; j <= columns; j++)
                {
                    Assert.True(
                        BitConverter.SingleToInt32Bits(expected[j]) == BitConverter.SingleToInt32Bits(sums[j]),
                        $"{columns} columns, depth {depth}: sum {j} is {sums[j]:R}, the rows in order give {expected[j]:R}");
                }
            }
        }
    }

    [Fact]
    public void Products_refuse_operands_too_short_for_their_shapes()
    {
        float[] c = new float[12];
        Assert.Equal("a", Assert.Throws<ArgumentException>(() => MatrixKernels.AddTransposedProduct<float>(new float[5], 3, new float[8], 4, 2, 3, 4, c, 4)).ParamName);
        Assert.Equal("b", Assert.Throws<ArgumentException>(() => MatrixKernels.AddTransposedProduct<float>(new float[6], 3, new float[7], 4, 2, 3, 4, c, 4)).ParamName);
        Assert.Equal("c", Assert.Throws<ArgumentException>(() => MatrixKernels.AddTransposedProduct<float>(new float[6], 3, new float[8], 4, 2, 3, 4, new float[11], 4)).ParamName);
        Assert.Equal("a", Assert.Throws<ArgumentOutOfRangeException>(() => MatrixKernels.AddTransposedProduct<float>(new float[6], 2, new float[8], 4, 2, 3, 4, c, 4)).ParamName);
        Assert.Equal("b", Assert.Throws<ArgumentException>(() => MatrixKernels.AddProductTransposed<float>(new float[8], 4, new float[11], 4, 4, 2, 3, c, 3)).ParamName);
        Assert.Equal("b", Assert.Throws<ArgumentException>(() => MatrixKernels.AddProduct<float>(new float[8], 4, new float[11], 3, 4, 2, 3, c, 3)).ParamName);
        Assert.Equal("c", Assert.Throws<ArgumentException>(() => MatrixKernels.AddProduct<float>(new float[8], 4, new float[12], 3, 4, 2, 3, new float[5], 3)).ParamName);
    }

    [Fact]
    public void MultiplyAdd_refuses_a_matrix_too_short_for_its_shape_instead_of_reading_past_it()
    {
        var error = Assert.Throws<ArgumentException>(() => MatrixKernels.MultiplyAdd<float>(new float[3], new float[10], 4, new float[4]));
        Assert.Equal("w", error.ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => MatrixKernels.MultiplyAdd<float>(new float[3], new float[12], 3, new float[4]));
    }

    [Fact]
    public void AlignedBuffer_starts_on_a_cache_line_for_every_element_size_and_keeps_its_contents()
    {
        for (int length = 0; length < 40; length++)
        {
            AssertAligned(new AlignedBuffer<float>(length).Span, length);
            Assert.All(new AlignedBuffer<float>(length).Span.ToArray(), value => Assert.Equal(0f, value));
            AssertAligned(new AlignedBuffer<double>(length).Span, length);
            AssertAligned(new AlignedBuffer<ushort>(length).Span, length);
            AssertAligned(new AlignedBuffer<byte>(length).Span, length);
        }

        float[] contents = TestData.Uniform(1000, seed: 3);
        var copy = new AlignedBuffer<float>(contents);
        Assert.Equal(contents, copy.Span.ToArray());
        ReadOnlySpan<float> read = copy;
        Span<float> written = copy;
        written[999] = 7f;
        Assert.Equal(7f, read[999]);
        Assert.Equal(1000 * 4 + 64, AlignedBuffer<float>.AllocatedBytes(1000));
        Assert.Equal(0, AlignedBuffer<float>.AllocatedBytes(0)); // an empty buffer (an optimizer's unused moment) takes no room
        Assert.True(new AlignedBuffer<float>(0).Span.IsEmpty);
        Assert.Equal("length", Assert.Throws<ArgumentOutOfRangeException>(() => new AlignedBuffer<float>(-1)).ParamName);
        Assert.Throws<NotSupportedException>(() => new AlignedBuffer<decimal>(1)); // 16 bytes: no whole-element step reaches a boundary
    }

    [Fact]
    public void A_generated_model_holds_its_weights_on_a_cache_line()
    {
        AssertAligned(new RnnCompiler.Tests.Models.F32Lstm64x128x10().Parameters, RnnCompiler.Tests.Models.F32Lstm64x128x10.ParameterCount);
    }

    private static void AssertAligned<T>(Span<T> span, int length)
        where T : unmanaged
    {
        Assert.Equal(length, span.Length);
        if (length > 0)
        {
            nint address = Unsafe.ByteOffset(ref Unsafe.NullRef<T>(), ref span[0]);
            Assert.Equal(0, address % 64);
        }
    }
}
