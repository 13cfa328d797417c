using System;
using System.Collections.Generic;
using System.Numerics;

namespace RnnCompiler.Weights;

/// <summary>
/// Keras's default initializers: glorot_uniform kernels, orthogonal recurrent kernels, zero biases with
/// unit_forget_bias for LSTM (or a layer's KeepGateBias), uniform ±0.05 embeddings, a glorot_uniform attention scale, Normalization's mean 0 and variance 1. The random stream is this library's own (SplitMix64), so a seed
/// gives the same weights on every machine and runtime.
/// </summary>
public static class WeightInitializer
{
    /// <summary>Fills <paramref name="parameters"/> with freshly drawn weights for <paramref name="layers"/>.</summary>
    /// <param name="layers">The model's weighted layers.</param>
    /// <param name="parameters">The flat parameter vector.</param>
    /// <param name="seed">Any integer; the same seed gives the same weights.</param>
    public static void Initialize<T>(IReadOnlyList<LayerDescriptor> layers, Span<T> parameters, int seed)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        var random = new SplitMix64((ulong)(uint)seed * 0x9E3779B97F4A7C15UL + 0x2545F4914F6CDD1DUL);
        foreach (LayerDescriptor layer in layers)
        {
            foreach (TensorDescriptor tensor in layer.Tensors)
            {
                Span<T> values = parameters.Slice(tensor.Offset, tensor.Length);
                switch (tensor.Role)
                {
                    case TensorRole.Embeddings:
                        FillUniform(values, 0.05, ref random);
                        break;
                    case TensorRole.Kernel:
                        FillUniform(values, Math.Sqrt(6.0 / (tensor.Shape[0] + tensor.Shape[1])), ref random);
                        break;
                    case TensorRole.Scale:
                        // Keras's AdditiveAttention: glorot_uniform on a vector, whose fan in and out are both its length.
                        FillUniform(values, Math.Sqrt(3.0 / tensor.Shape[0]), ref random);
                        break;
                    case TensorRole.RecurrentKernel:
                        FillOrthogonal(values, tensor.Shape[0], tensor.Shape[1], ref random);
                        break;
                    case TensorRole.Variance:
                        // Keras's Normalization: variance "ones", mean and count "zeros"; adapt sets them.
                        values.Fill(T.One);
                        break;
                    case TensorRole.Mean:
                    case TensorRole.Count:
                        values.Clear();
                        break;
                    default:
                        values.Clear();
                        int keep = KerasTensorLayout.KeepGateBlock(layer.Kind);
                        double keepBias = layer.KeepGateBias ?? KerasTensorLayout.DefaultKeepGateBias(layer.Kind);
                        if (keep >= 0 && keepBias != 0)
                        {
                            // The keep gate's block (of the input bias row, for a GRU with two rows) starts at its bias:
                            // Keras's unit_forget_bias for LSTM, or the layer's KeepGateBias.
                            values.Slice(keep * layer.Units, layer.Units).Fill(T.CreateTruncating(keepBias));
                        }

                        break;
                }
            }
        }
    }

    private static void FillUniform<T>(Span<T> values, double limit, ref SplitMix64 random)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = T.CreateTruncating((2 * random.NextDouble() - 1) * limit);
        }
    }

    /// <summary>
    /// Keras's Orthogonal(gain=1) for a [rows, columns] matrix with rows ≤ columns: the transposed Q of the QR
    /// decomposition of a normal [columns, rows] matrix, with the signs of R's diagonal made positive, so the rows are
    /// orthonormal. The normal matrix is drawn column by column; Q comes from a Cholesky QR (<see cref="CholeskyQr"/>)
    /// when the matrix is at least twice as tall as wide, else from a blocked Householder QR (<see cref="HouseholderQr"/>),
    /// in double precision. (A rows &gt; columns matrix is never a recurrent kernel; it gets
    /// orthonormal columns the same way.)
    /// </summary>
    private static void FillOrthogonal<T>(Span<T> values, int rows, int columns, ref SplitMix64 random)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int tall = Math.Max(rows, columns);
        int narrow = Math.Min(rows, columns);

        // Column k of the normal matrix at q[k·tall]: the draws in the order they have always been taken.
        var q = new double[tall * narrow];
        random.FillNormal(q, parallel: true);

        // An LSTM's or GRU's normal matrix, four or three times as tall as wide, is well-conditioned enough for Cholesky
        // QR (about 0.57 of the Householder QR's work for four times, nearly all of it matrix products); any other, or
        // one Cholesky QR refuses, takes the Householder QR. Both give the same Q up to rounding.
        if (tall < 2 * narrow || !CholeskyQr.TryReplaceWithQ(q, tall, narrow, parallel: true))
        {
            HouseholderQr.ReplaceWithQ(q, tall, narrow, parallel: true);
        }
        if (rows <= columns)
        {
            // Row r of the result is column r of Q, which is where it already lies.
            for (int i = 0; i < q.Length; i++)
            {
                values[i] = T.CreateTruncating(q[i]);
            }
        }
        else
        {
            // Column c of the result is column c of Q.
            for (int r = 0; r < rows; r++)
            {
                for (int c = 0; c < columns; c++)
                {
                    values[r * columns + c] = T.CreateTruncating(q[c * tall + r]);
                }
            }
        }
    }
}
