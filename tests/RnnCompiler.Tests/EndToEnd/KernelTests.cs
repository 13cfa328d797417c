using System;
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
    public void MultiplyAdd_refuses_a_matrix_too_short_for_its_shape_instead_of_reading_past_it()
    {
        var error = Assert.Throws<ArgumentException>(() => MatrixKernels.MultiplyAdd<float>(new float[3], new float[10], 4, new float[4]));
        Assert.Equal("w", error.ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => MatrixKernels.MultiplyAdd<float>(new float[3], new float[12], 3, new float[4]));
    }
}
