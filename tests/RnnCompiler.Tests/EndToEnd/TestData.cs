using System;
using Xunit;

namespace RnnCompiler.Tests.EndToEnd;

internal static class TestData
{
    /// <summary>Uniform ±<paramref name="scale"/> values from a fixed seed: biases and all, so every weight matters.</summary>
    public static float[] Uniform(int count, int seed, float scale = 0.5f)
    {
        var random = new Random(seed);
        var values = new float[count];
        for (int i = 0; i < count; i++)
        {
            values[i] = (float)((random.NextDouble() * 2 - 1) * scale);
        }

        return values;
    }

    /// <summary>
    /// Random weights for a model, <see cref="Uniform"/> but with every Normalization variance in [0.05, 0.55] (a
    /// variance is never negative: its square root would be NaN) and its count a whole number, as Keras keeps it.
    /// </summary>
    public static float[] Parameters(ModelInfo info, int seed, float scale = 0.5f)
    {
        float[] values = Uniform(info.ParameterCount, seed, scale);
        foreach (RnnCompiler.Weights.LayerDescriptor layer in info.Layers)
        {
            foreach (RnnCompiler.Weights.TensorDescriptor tensor in layer.Tensors)
            {
                if (tensor.Role == RnnCompiler.Weights.TensorRole.Count)
                {
                    values[tensor.Offset] = MathF.Round(MathF.Abs(values[tensor.Offset]) * 1000);
                }

                if (tensor.Role == RnnCompiler.Weights.TensorRole.Variance)
                {
                    for (int i = tensor.Offset; i < tensor.Offset + tensor.Length; i++)
                    {
                        values[i] = MathF.Abs(values[i]) + 0.05f;
                    }
                }
            }
        }

        return values;
    }

    public static int[] Tokens(int count, int vocabulary, int seed)
    {
        var random = new Random(seed);
        var tokens = new int[count];
        for (int i = 0; i < count; i++)
        {
            tokens[i] = random.Next(vocabulary);
        }

        return tokens;
    }

    /// <summary>Fails unless every value is within <paramref name="tolerance"/> relative (to max(1, |expected|)).</summary>
    public static void AssertClose(ReadOnlySpan<double> expected, ReadOnlySpan<float> actual, double tolerance, string what)
    {
        Assert.True(expected.Length == actual.Length, $"{what}: expected {expected.Length} values, got {actual.Length}.");
        for (int i = 0; i < expected.Length; i++)
        {
            double error = Math.Abs(actual[i] - expected[i]);
            if (!(error <= tolerance * Math.Max(1.0, Math.Abs(expected[i]))))
            {
                Assert.Fail($"{what}: value {i} is {actual[i]:R}, expected {expected[i]:R} (error {error:E2}, tolerance {tolerance:E0}).");
            }
        }
    }

    public static void AssertClose(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, double tolerance, string what)
    {
        var wide = new double[expected.Length];
        for (int i = 0; i < wide.Length; i++)
        {
            wide[i] = expected[i];
        }

        AssertClose(wide, actual, tolerance, what);
    }
}
