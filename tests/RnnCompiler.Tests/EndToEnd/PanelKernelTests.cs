using System;
using System.Linq;
using RnnCompiler.Kernels;
using Xunit;

namespace RnnCompiler.Tests.EndToEnd;

/// <summary>
/// Matrices packed in panels (<see cref="MatrixKernels.PackPanels{T}"/>): the products over a packed copy against a
/// naive loop, and bit for bit against the row-major kernels, around the eight-row groups and the two-vector blocks.
/// </summary>
public class PanelKernelTests
{
    /// <summary>
    /// Column counts that are whole vectors at every width, and some that are not (100, 515: the columns past the last
    /// whole vector follow the panels as a row-major block).
    /// </summary>
    private static readonly int[] Columns = [16, 32, 48, 80, 128, 384, 512, 100, 515, 17];

    [Fact]
    public void MultiplyAdd_over_panels_gives_the_bits_of_the_row_major_kernel()
    {
        foreach (int columns in Columns)
        {
            int minimumRows = (32 * 1024 / 4 + columns - 1) / columns;
            foreach (int extraRows in new[] { 0, 1, 3, 7, 8, 9 })
            {
                int rows = minimumRows + extraRows;
                float[] x = TestData.Uniform(rows, seed: rows, scale: 1f);
                float[] w = TestData.Uniform(rows * columns, seed: columns);
                float[] start = TestData.Uniform(columns, seed: rows + columns);
                float[] packed = new float[rows * columns];
                MatrixKernels.PackPanels<float>(w, rows, columns, packed);
                string what = $"{rows} × {columns}";

                // With vector hardware every one of these (32 KB or more, at least 16 columns) is packed: the copy holds
                // the same numbers, in another order once a row is wider than one block of two vectors (up to 32
                // floats). Without, it is the matrix as it is.
                if (System.Runtime.Intrinsics.Vector128.IsHardwareAccelerated)
                {
                    Assert.True(MatrixKernels.UsesPanels<float>(rows, columns), what);
                    Assert.True(columns <= 32 || !packed.AsSpan().SequenceEqual(w), what);
                }
                else
                {
                    Assert.False(MatrixKernels.UsesPanels<float>(rows, columns), what);
                    Assert.True(packed.AsSpan().SequenceEqual(w), what);
                }

                Assert.Equal(w.OrderBy(v => v), packed.OrderBy(v => v));
                var expected = new double[columns];
                for (int j = 0; j < columns; j++)
                {
                    expected[j] = start[j];
                    for (int i = 0; i < rows; i++)
                    {
                        expected[j] += (double)x[i] * w[i * columns + j];
                    }
                }

                // One element past the columns: the kernel writes exactly the columns it was given.
                float[] fromPanels = new float[columns + 1];
                start.CopyTo(fromPanels, 0);
                fromPanels[columns] = 42f;
                MatrixKernels.MultiplyAdd<float>(x, packed, columns, fromPanels.AsSpan(0, columns), MatrixLayout.Panels);
                Assert.Equal(42f, fromPanels[columns]);

                float[] rowMajor = (float[])start.Clone();
                MatrixKernels.MultiplyAdd<float>(x, w, columns, rowMajor);
                TestData.AssertClose(expected, fromPanels.AsSpan(0, columns), 1e-5, what);
                Assert.True(rowMajor.AsSpan().SequenceEqual(fromPanels.AsSpan(0, columns)), what);
            }
        }
    }

    [Fact]
    public void Affine_over_panels_gives_the_bits_of_the_row_major_kernel_with_either_matrix_packed()
    {
        // Input rows from 3 (too small to pack) to 130, state rows from 0 to 136, so that either matrix, both or none
        // are in panels, and the small one is read row by row beside the packed one.
        foreach (int columns in new[] { 32, 64, 384, 512, 100 })
        {
            foreach ((int inputs, int units) in new[] { (3, 130), (130, 3), (64, 128), (70, 136), (600, 0), (9, 9) })
            {
                float[] x = TestData.Uniform(inputs, seed: inputs, scale: 1f);
                float[] h = TestData.Uniform(units, seed: units + 1, scale: 1f);
                float[] w = TestData.Uniform(inputs * columns, seed: columns);
                float[] u = TestData.Uniform(units * columns, seed: columns + 1);
                float[] bias = TestData.Uniform(columns, seed: 3);
                float[] pw = new float[w.Length], pu = new float[u.Length];
                MatrixKernels.PackPanels<float>(w, inputs, columns, pw);
                MatrixKernels.PackPanels<float>(u, units, columns, pu);

                float[] rowMajor = new float[columns], fromPanels = new float[columns + 1];
                fromPanels[columns] = 42f;
                MatrixKernels.Affine<float>(x, w, h, u, bias, rowMajor);
                MatrixKernels.Affine<float>(x, pw, h, pu, bias, fromPanels.AsSpan(0, columns), MatrixLayout.Panels, MatrixLayout.Panels);
                var expected = new double[columns];
                for (int j = 0; j < columns; j++)
                {
                    expected[j] = bias[j];
                    for (int i = 0; i < inputs; i++)
                    {
                        expected[j] += (double)x[i] * w[i * columns + j];
                    }

                    for (int i = 0; i < units; i++)
                    {
                        expected[j] += (double)h[i] * u[i * columns + j];
                    }
                }

                string what = $"[{inputs}] + [{units}] → {columns}";
                Assert.Equal(42f, fromPanels[columns]);
                TestData.AssertClose(expected, fromPanels.AsSpan(0, columns), 1e-5, what);
                Assert.True(rowMajor.AsSpan().SequenceEqual(fromPanels.AsSpan(0, columns)), what);
            }
        }
    }

    [Fact]
    public void Panels_of_doubles_give_the_bits_of_the_row_major_kernel()
    {
        const int rows = 37, columns = 128; // 37 KB: packed wherever there are vectors
        double[] x = new double[rows], w = new double[rows * columns], packed = new double[rows * columns];
        var random = new Random(5);
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = random.NextDouble() - 0.5;
        }

        for (int i = 0; i < w.Length; i++)
        {
            w[i] = random.NextDouble() - 0.5;
        }

        MatrixKernels.PackPanels<double>(w, rows, columns, packed);
        double[] rowMajor = new double[columns], fromPanels = new double[columns];
        MatrixKernels.MultiplyAdd<double>(x, w, columns, rowMajor);
        MatrixKernels.MultiplyAdd<double>(x, packed, columns, fromPanels, MatrixLayout.Panels);
        Assert.Equal(rowMajor, fromPanels);
    }

    [Fact]
    public void BFloat16_products_over_panels_give_the_bits_of_the_row_major_kernels()
    {
        // 32 KB of bfloat16 and more; columns that are whole pairs of vectors at every width (multiples of 32), 48 (whole
        // pairs up to AVX2, a pair and a half with AVX-512) and 100 and 2,100 (columns past the pairs; 2,100 is more than
        // the paired kernel takes, so copied unchanged); rows around the groups of eight. Either matrix of the affine
        // pair packed.
        foreach (int columns in new[] { 32, 64, 384, 512, 48, 100, 2100 })
        {
            int minimumRows = (32 * 1024 / 2 + columns - 1) / columns;
            foreach (int extraRows in new[] { 0, 1, 7, 8, 13 })
            {
                int rows = minimumRows + extraRows;
                float[] x = TestData.Uniform(rows, seed: rows, scale: 1f);
                float[] w = TestData.Uniform(rows * columns, seed: columns);
                ushort[] rounded = new ushort[w.Length], packed = new ushort[w.Length];
                BFloat16.Round(w, rounded);
                MatrixKernels.PackBFloat16Panels(w, rows, columns, packed);
                string what = $"{rows} × {columns}";
                Assert.Equal(rounded.OrderBy(v => v), packed.OrderBy(v => v));
                if (columns > 2048 || !System.Runtime.Intrinsics.Vector128.IsHardwareAccelerated)
                {
                    Assert.False(MatrixKernels.UsesBFloat16Panels(rows, columns), what);
                    Assert.True(packed.AsSpan().SequenceEqual(rounded), what);
                }
                else
                {
                    Assert.True(MatrixKernels.UsesBFloat16Panels(rows, columns), what);
                    Assert.True(columns <= 32 || !packed.AsSpan().SequenceEqual(rounded), what);
                }

                float[] start = TestData.Uniform(columns, seed: 9);
                float[] rowMajor = (float[])start.Clone();
                float[] fromPanels = new float[columns + 1];
                start.CopyTo(fromPanels, 0);
                fromPanels[columns] = 42f;
                MatrixKernels.MultiplyAdd(x, rounded, columns, rowMajor);
                MatrixKernels.MultiplyAdd(x, packed, columns, fromPanels.AsSpan(0, columns), MatrixLayout.Panels);
                Assert.Equal(42f, fromPanels[columns]);
                Assert.True(rowMajor.AsSpan().SequenceEqual(fromPanels.AsSpan(0, columns)), what);

                // The pair: a small input matrix row-major beside the packed one, then both packed.
                float[] h = TestData.Uniform(5, seed: 3, scale: 1f);
                ushort[] small = new ushort[5 * columns];
                BFloat16.Round(TestData.Uniform(5 * columns, seed: 4), small);
                float[] bias = TestData.Uniform(columns, seed: 5);
                float[] expected = new float[columns], actual = new float[columns];
                MatrixKernels.Affine(h, small, x, rounded, bias, expected);
                MatrixKernels.Affine(h, small, x, packed, bias, actual, MatrixLayout.RowMajor, MatrixLayout.Panels);
                Assert.True(expected.AsSpan().SequenceEqual(actual), what + ", recurrent packed");
                MatrixKernels.Affine(x, rounded, x, rounded, bias, expected);
                MatrixKernels.Affine(x, packed, x, packed, bias, actual, MatrixLayout.Panels, MatrixLayout.Panels);
                Assert.True(expected.AsSpan().SequenceEqual(actual), what + ", both packed");
            }
        }
    }

    [Fact]
    public void PackPanels_and_the_panel_products_refuse_bad_shapes()
    {
        float[] w = new float[130 * 64];
        Assert.Throws<ArgumentException>("matrix", () => MatrixKernels.PackPanels<float>(w, 131, 64, new float[131 * 64]));
        Assert.Throws<ArgumentException>("packed", () => MatrixKernels.PackPanels<float>(w, 130, 64, new float[130 * 64 - 1]));
        Assert.Throws<ArgumentException>("packed", () => MatrixKernels.PackPanels<float>(w, 130, 64, w));
        Assert.Throws<ArgumentOutOfRangeException>("rows", () => MatrixKernels.PackPanels<float>(w, -1, 64, new float[10]));
        Assert.Throws<ArgumentOutOfRangeException>("stride", () => MatrixKernels.MultiplyAdd<float>(new float[130], w, 65, new float[64], MatrixLayout.Panels));
        Assert.Throws<ArgumentException>("packed", () => MatrixKernels.PackBFloat16Panels(w, 130, 64, new ushort[130 * 64 - 1]));
        Assert.Throws<ArgumentOutOfRangeException>("stride", () => MatrixKernels.MultiplyAdd(new float[130], new ushort[130 * 64], 65, new float[64], MatrixLayout.Panels));
        if (MatrixKernels.UsesPanels<float>(130, 64))
        {
            Assert.Throws<ArgumentException>("w", () => MatrixKernels.MultiplyAdd<float>(new float[130], w.AsSpan(1), 64, new float[64], MatrixLayout.Panels));
            Assert.Throws<ArgumentException>("u", () => MatrixKernels.Affine<float>(new float[2], new float[128], new float[130], w.AsSpan(1), new float[64], new float[64], MatrixLayout.Panels, MatrixLayout.Panels));
        }
    }
}
