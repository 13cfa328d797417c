using System;
using System.ComponentModel;
using System.Numerics;
using RnnCompiler.Kernels;
using System.Runtime.CompilerServices;

namespace RnnCompiler.Layers;

/// <summary>The fully connected layer (Keras <c>Dense</c>): <c>y = g(x·W + b)</c>, kernel [input, units], bias [units].</summary>
/// <remarks>Called by generated code; not meant to be called directly.</remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public static partial class DenseLayer
{
    /// <summary>Applies the layer to each of <paramref name="steps"/> rows (Keras's <c>TimeDistributed</c> when steps &gt; 1).</summary>
    /// <param name="inputs">[steps, inputSize].</param>
    /// <param name="steps">The number of rows.</param>
    /// <param name="inputSize">The width of one input row.</param>
    /// <param name="kernel">[inputSize, units].</param>
    /// <param name="bias">[units].</param>
    /// <param name="activation">g; Softmax is taken over each row.</param>
    /// <param name="outputs">[steps, units].</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Forward<T>(ReadOnlySpan<T> inputs, int steps, int inputSize, ReadOnlySpan<T> kernel, ReadOnlySpan<T> bias, Activation activation, Span<T> outputs)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int units = bias.Length;
        Span<T> rows = outputs.Slice(0, steps * units);
        MatrixKernels.Project(inputs, steps, inputSize, kernel, bias, rows);
        Activations.ApplyRows(activation, rows, units);
    }

    /// <summary>
    /// One row: <c>y = g(x·W + b)</c>, the product and the bias in one register-blocked pass. Gives bit for bit what
    /// <see cref="Forward{T}"/> gives for one row.
    /// </summary>
    /// <param name="input">[inputSize].</param>
    /// <param name="inputSize">The width of the input.</param>
    /// <param name="kernel">[inputSize, units].</param>
    /// <param name="bias">[units].</param>
    /// <param name="activation">g.</param>
    /// <param name="output">[units].</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Step<T>(ReadOnlySpan<T> input, int inputSize, ReadOnlySpan<T> kernel, ReadOnlySpan<T> bias, Activation activation, Span<T> output)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        Span<T> y = output.Slice(0, bias.Length);
        if (bias.Length == 1)
        {
            // One output: the dot product Affine computes for a single column (bias first, then the same sum), without
            // its checks and dispatch. A streaming step to one output spent 21 ns here against 10 for the bare product.
            y[0] = bias[0] + MatrixKernels.Dot(input.Slice(0, inputSize), kernel.Slice(0, inputSize));
        }
        else
        {
            MatrixKernels.Affine(input.Slice(0, inputSize), kernel, default, default, bias, y);
        }

        if (activation != Activation.Linear)
        {
            Activations.Apply(activation, y);
        }
    }
}
