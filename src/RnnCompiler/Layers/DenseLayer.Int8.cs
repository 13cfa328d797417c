using System;
using System.Runtime.CompilerServices;
using RnnCompiler.Kernels;

namespace RnnCompiler.Layers;

public static partial class DenseLayer
{
    /// <summary>
    /// <see cref="Forward{T}"/> with the kernel quantized to int8 (<see cref="Int8Matrix"/>), for models declared with
    /// <c>WeightPrecision = WeightPrecision.Int8</c>; each input row is quantized on its own; the bias and the outputs stay float.
    /// </summary>
    /// <param name="inputs">[steps, inputSize].</param>
    /// <param name="steps">The number of rows.</param>
    /// <param name="inputSize">The width of one input row.</param>
    /// <param name="kernel">The quantized [inputSize, units] kernel.</param>
    /// <param name="bias">[units].</param>
    /// <param name="activation">g; Softmax is taken over each row.</param>
    /// <param name="outputs">[steps, units].</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Forward(ReadOnlySpan<float> inputs, int steps, int inputSize, ReadOnlySpan<byte> kernel, ReadOnlySpan<float> bias, Activation activation, Span<float> outputs)
    {
        int units = bias.Length;
        Span<float> rows = outputs.Slice(0, steps * units);
        MatrixKernels.Project(inputs, steps, inputSize, kernel, bias, rows);
        Activations.ApplyRows(activation, rows, units);
    }

    /// <summary><see cref="Step{T}"/> with the kernel quantized to int8: one row, <c>y = g(b + x·W)</c>.</summary>
    /// <param name="input">[inputSize].</param>
    /// <param name="inputSize">The width of the input.</param>
    /// <param name="kernel">The quantized [inputSize, units] kernel.</param>
    /// <param name="bias">[units].</param>
    /// <param name="activation">g; Softmax is taken over the row.</param>
    /// <param name="output">[units].</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Step(ReadOnlySpan<float> input, int inputSize, ReadOnlySpan<byte> kernel, ReadOnlySpan<float> bias, Activation activation, Span<float> output)
    {
        Span<float> y = output.Slice(0, bias.Length);
        MatrixKernels.Affine(input.Slice(0, inputSize), kernel, default, default, bias, y);
        if (activation != Activation.Linear)
        {
            Activations.Apply(activation, y);
        }
    }
}
