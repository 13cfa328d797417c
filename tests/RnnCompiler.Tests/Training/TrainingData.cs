using System;
using RnnCompiler.Training;

namespace RnnCompiler.Tests.Training;

/// <summary>Random batches shaped for a trainable model: inputs and targets that fit its input, output and loss.</summary>
internal static class TrainingData
{
    public static float[] Features(int count, int seed) => ToFloat(Doubles(count, seed, 1.0));

    public static double[] Doubles(int count, int seed, double scale)
    {
        var random = new Random(seed);
        var values = new double[count];
        for (int i = 0; i < count; i++)
        {
            values[i] = (random.NextDouble() * 2 - 1) * scale;
        }

        return values;
    }

    public static float[] ToFloat(double[] values) => Array.ConvertAll(values, v => (float)v);

    public static int[] Ints(int count, int max, int seed)
    {
        var random = new Random(seed);
        var values = new int[count];
        for (int i = 0; i < count; i++)
        {
            values[i] = random.Next(max);
        }

        return values;
    }

    /// <summary>Float targets that suit the loss: probability vectors for CategoricalCrossentropy, values in [0, 1] for BinaryCrossentropy.</summary>
    public static double[] Targets(Loss loss, int rows, int units, int seed)
    {
        var random = new Random(seed);
        var values = new double[rows * units];
        for (int r = 0; r < rows; r++)
        {
            double sum = 0;
            for (int k = 0; k < units; k++)
            {
                double value = loss switch
                {
                    Loss.CategoricalCrossentropy => random.NextDouble() + 0.1,
                    Loss.BinaryCrossentropy => random.NextDouble(),
                    _ => random.NextDouble() * 2 - 1,
                };
                values[r * units + k] = value;
                sum += value;
            }

            if (loss == Loss.CategoricalCrossentropy)
            {
                for (int k = 0; k < units; k++)
                {
                    values[r * units + k] /= sum;
                }
            }
        }

        return values;
    }

    public static int RowsPerSequence(ModelInfo info, int steps) => info.OutputIsSequence ? steps : 1;
}
