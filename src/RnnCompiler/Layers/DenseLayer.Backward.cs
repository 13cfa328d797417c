using System;
using System.Numerics;
using RnnCompiler.Kernels;
using System.Runtime.CompilerServices;

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
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
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
