using System;
using System.Numerics;
using RnnCompiler.Kernels;

namespace RnnCompiler.Layers;

/// <summary>
/// The fully connected recurrence (Keras <c>SimpleRNN</c>): <c>h[t] = g(x[t]·W + h[t-1]·U + b)</c>, with
/// kernel [input, units], recurrent_kernel [units, units] and bias [units].
/// </summary>
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
    public static void Forward<T>(
        ReadOnlySpan<T> inputs, int steps, int inputSize, int units,
        ReadOnlySpan<T> kernel, ReadOnlySpan<T> recurrentKernel, ReadOnlySpan<T> bias, Activation activation,
        bool reverse, ReadOnlySpan<T> initialHidden,
        Span<T> preactivations, Span<T> hidden)
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
                MatrixKernels.MultiplyAdd(previous.Slice(0, units), recurrentKernel, units, sum);
            }

            Span<T> h = hidden.Slice(t * units, units);
            sum.CopyTo(h);
            Activations.Apply(activation, h);
            previous = h;
        }
    }
}
