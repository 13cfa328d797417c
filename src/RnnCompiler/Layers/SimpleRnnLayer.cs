using System;
using System.ComponentModel;
using System.Numerics;
using RnnCompiler.Kernels;
using System.Runtime.CompilerServices;

namespace RnnCompiler.Layers;

/// <summary>
/// The fully connected recurrence (Keras <c>SimpleRNN</c>): <c>h[t] = g(x[t]·W + h[t-1]·U + b)</c>, with
/// kernel [input, units], recurrent_kernel [units, units] and bias [units].
/// </summary>
/// <remarks>Called by generated code; not meant to be called directly.</remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public static partial class SimpleRnnLayer
{
    /// <summary>Runs the layer over <paramref name="steps"/> steps.</summary>
    /// <param name="inputs">The inputs, [steps, inputSize].</param>
    /// <param name="steps">The number of time steps.</param>
    /// <param name="inputSize">The width of one input step.</param>
    /// <param name="units">The size of the state.</param>
    /// <param name="kernel">[inputSize, units].</param>
    /// <param name="recurrentKernel">[units, units].</param>
    /// <param name="bias">[units].</param>
    /// <param name="activation">g: Linear, Tanh, Sigmoid or Relu.</param>
    /// <param name="reverse">When true the steps run from the last to the first.</param>
    /// <param name="initialHidden">h before the first step processed, [units]; empty for zeros.</param>
    /// <param name="preactivations">Working space [steps, units]: the sums before g.</param>
    /// <param name="hidden">Receives h of each step, [steps, units]; row t belongs to input step t in both directions.</param>
    /// <param name="recurrentLayout">
    /// How <paramref name="recurrentKernel"/> is laid out: Keras's row-major layout, or a copy packed by
    /// <see cref="MatrixKernels.PackPanels{T}"/> (the same results, read in address order). The kernel is always row-major.
    /// </param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Forward<T>(
        ReadOnlySpan<T> inputs, int steps, int inputSize, int units,
        ReadOnlySpan<T> kernel, ReadOnlySpan<T> recurrentKernel, ReadOnlySpan<T> bias, Activation activation,
        bool reverse, ReadOnlySpan<T> initialHidden,
        Span<T> preactivations, Span<T> hidden, MatrixLayout recurrentLayout = MatrixLayout.RowMajor)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        MatrixKernels.Project(inputs, steps, inputSize, kernel, bias.Slice(0, units), preactivations);
        ReadOnlySpan<T> previous = initialHidden;
        for (int k = 0; k < steps; k++)
        {
            int t = reverse ? steps - 1 - k : k;
            Span<T> sum = preactivations.Slice(t * units, units);
            if (!previous.IsEmpty)
            {
                MatrixKernels.MultiplyAdd(previous.Slice(0, units), recurrentKernel, units, sum, recurrentLayout);
            }

            Span<T> h = hidden.Slice(t * units, units);
            sum.CopyTo(h);
            Activations.Apply(activation, h);
            previous = h;
        }
    }

    /// <summary>
    /// One streaming step from the carried state: <c>h = g(x·W + h·U + b)</c>, the two products and the bias in one
    /// register-blocked pass, overwriting <paramref name="hidden"/>. Gives bit for bit what <see cref="Forward{T}"/>
    /// gives for one step from the same state.
    /// </summary>
    /// <param name="input">The input of this step, [inputSize].</param>
    /// <param name="inputSize">The width of the input.</param>
    /// <param name="units">The size of the state.</param>
    /// <param name="kernel">[inputSize, units].</param>
    /// <param name="recurrentKernel">[units, units].</param>
    /// <param name="bias">[units].</param>
    /// <param name="activation">g: Linear, Tanh, Sigmoid or Relu.</param>
    /// <param name="hidden">h: the state before the step in, the state after it out, [units].</param>
    /// <param name="preactivations">Receives the sums before g, [units].</param>
    /// <param name="kernelLayout">
    /// How <paramref name="kernel"/> is laid out: Keras's row-major layout, or a copy packed by
    /// <see cref="MatrixKernels.PackPanels{T}"/> (the same results, read in address order).
    /// </param>
    /// <param name="recurrentLayout">How <paramref name="recurrentKernel"/> is laid out, likewise.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Step<T>(
        ReadOnlySpan<T> input, int inputSize, int units,
        ReadOnlySpan<T> kernel, ReadOnlySpan<T> recurrentKernel, ReadOnlySpan<T> bias, Activation activation,
        Span<T> hidden, Span<T> preactivations,
        MatrixLayout kernelLayout = MatrixLayout.RowMajor, MatrixLayout recurrentLayout = MatrixLayout.RowMajor)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        Span<T> sum = preactivations.Slice(0, units);
        Span<T> h = hidden.Slice(0, units);
        MatrixKernels.Affine(input.Slice(0, inputSize), kernel, h, recurrentKernel, bias.Slice(0, units), sum, kernelLayout, recurrentLayout);
        sum.CopyTo(h);
        Activations.Apply(activation, h);
    }
}
