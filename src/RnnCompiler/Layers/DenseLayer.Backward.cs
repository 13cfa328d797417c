using System;
using System.Numerics;
using RnnCompiler.Kernels;

namespace RnnCompiler.Layers;

/// <summary>Backpropagation through the Dense layer.</summary>
public static partial class DenseLayer
{
    /// <summary>
    /// Turns output gradients into weight gradients and (optionally) input gradients, for <paramref name="steps"/> rows.
    /// </summary>
    /// <param name="inputs">The forward inputs, [steps, inputSize].</param>
    /// <param name="steps">The number of rows.</param>
    /// <param name="inputSize">The width of one input row.</param>
    /// <param name="kernel">[inputSize, units].</param>
    /// <param name="outputs">The forward outputs (after the activation), [steps, units].</param>
    /// <param name="activation">The activation to differentiate through; Linear when the gradients already are with respect to the sums.</param>
    /// <param name="outputGradients">In: dL/dy; changed in place into dL/d(sum). [steps, units].</param>
    /// <param name="inputGradients">dL/dx is added here, [steps, inputSize]; empty when no layer below needs it.</param>
    /// <param name="kernelGradients">Accumulates dL/dkernel.</param>
    /// <param name="biasGradients">Accumulates dL/dbias, [units].</param>
    public static void Backward<T>(
        ReadOnlySpan<T> inputs, int steps, int inputSize, ReadOnlySpan<T> kernel, ReadOnlySpan<T> outputs, Activation activation,
        Span<T> outputGradients, Span<T> inputGradients, Span<T> kernelGradients, Span<T> biasGradients)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int units = biasGradients.Length;
        Span<T> rows = outputGradients.Slice(0, steps * units);
        Activations.BackwardRows(activation, outputs.Slice(0, steps * units), rows, units);

        // All rows at once, as the recurrent layers do: dbias += Σ_t d[t], dkernel += Xᵀ·D, dx += D·kernelᵀ.
        MatrixKernels.AddColumnSums<T>(rows, units, steps, biasGradients);
        MatrixKernels.AddTransposedProduct(inputs, inputSize, rows, units, steps, inputSize, units, kernelGradients, units);
        if (!inputGradients.IsEmpty)
        {
            MatrixKernels.AddProductTransposed(rows, units, kernel, units, units, steps, inputSize, inputGradients, inputSize);
        }
    }
}

/// <summary>Backpropagation into the embedding table.</summary>
public static partial class EmbeddingLayer
{
    /// <summary>Adds each step's input gradient to its token's row of the table gradient; only the rows used are touched.</summary>
    /// <param name="tokens">The forward tokens.</param>
    /// <param name="outputGradients">dL/d(embedded row) per step, [tokens, dimensions].</param>
    /// <param name="dimensions">The width of a row.</param>
    /// <param name="tableGradients">Accumulates dL/dtable, [vocabulary, dimensions].</param>
    public static void Backward<T>(ReadOnlySpan<int> tokens, ReadOnlySpan<T> outputGradients, int dimensions, Span<T> tableGradients)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        for (int t = 0; t < tokens.Length; t++)
        {
            LstmLayer.Accumulate(tableGradients.Slice(tokens[t] * dimensions, dimensions), outputGradients.Slice(t * dimensions, dimensions));
        }
    }
}

/// <summary>Backpropagation through a bidirectional merge.</summary>
public static partial class BidirectionalMerge
{
    /// <summary>
    /// Splits the merged output's gradient ([rows, 2 × units] for Concat, [rows, units] otherwise) into the forward and
    /// backward directions' gradients ([rows, units] each, overwritten), given the directions' forward outputs.
    /// </summary>
    public static void Backward<T>(
        MergeMode mode, ReadOnlySpan<T> outputGradients, ReadOnlySpan<T> forward, ReadOnlySpan<T> backward, int rows, int units,
        Span<T> forwardGradients, Span<T> backwardGradients)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (mode == MergeMode.Concat)
        {
            for (int t = 0; t < rows; t++)
            {
                outputGradients.Slice(2 * t * units, units).CopyTo(forwardGradients.Slice(t * units, units));
                outputGradients.Slice((2 * t + 1) * units, units).CopyTo(backwardGradients.Slice(t * units, units));
            }

            return;
        }

        T half = T.One / (T.One + T.One);
        for (int i = 0; i < rows * units; i++)
        {
            T d = outputGradients[i];
            (forwardGradients[i], backwardGradients[i]) = mode switch
            {
                MergeMode.Sum => (d, d),
                MergeMode.Multiply => (d * backward[i], d * forward[i]),
                MergeMode.Average => (d * half, d * half),
                _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, "Expected Concat, Sum, Multiply or Average."),
            };
        }
    }
}
