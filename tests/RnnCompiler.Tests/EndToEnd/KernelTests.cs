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
    public void MultiplyAdd_refuses_a_matrix_too_short_for_its_shape_instead_of_reading_past_it()
    {
        var error = Assert.Throws<ArgumentException>(() => MatrixKernels.MultiplyAdd<float>(new float[3], new float[10], 4, new float[4]));
        Assert.Equal("w", error.ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => MatrixKernels.MultiplyAdd<float>(new float[3], new float[12], 3, new float[4]));
    }
}
