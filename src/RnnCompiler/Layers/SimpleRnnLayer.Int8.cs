using System;
using System.Runtime.CompilerServices;
using RnnCompiler.Kernels;

namespace RnnCompiler.Layers;

public static partial class SimpleRnnLayer
{
    /// <summary>
    /// <see cref="Forward{T}"/> with the kernel and recurrent kernel quantized to int8 (<see cref="Int8Matrix"/>), for
    /// models declared with <c>WeightPrecision = WeightPrecision.Int8</c>.
    /// </summary>
    /// <param name="inputs">The inputs, [steps, inputSize].</param>
    /// <param name="steps">The number of time steps.</param>
    /// <param name="inputSize">The width of one input step.</param>
    /// <param name="units">The size of the state.</param>
    /// <param name="kernel">The quantized [inputSize, units] kernel.</param>
    /// <param name="recurrentKernel">The quantized [units, units] recurrent kernel.</param>
    /// <param name="bias">[units].</param>
    /// <param name="activation">g: Linear, Tanh, Sigmoid or Relu.</param>
    /// <param name="reverse">When true the steps run from the last to the first.</param>
    /// <param name="initialHidden">h before the first step processed, [units]; empty for zeros.</param>
    /// <param name="preactivations">Working space [steps, units]: the sums before g.</param>
    /// <param name="hidden">Receives h of each step, [steps, units].</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Forward(
        ReadOnlySpan<float> inputs, int steps, int inputSize, int units,
        ReadOnlySpan<byte> kernel, ReadOnlySpan<byte> recurrentKernel, ReadOnlySpan<float> bias, Activation activation,
        bool reverse, ReadOnlySpan<float> initialHidden,
        Span<float> preactivations, Span<float> hidden)
    {
        MatrixKernels.Project(inputs, steps, inputSize, kernel, bias.Slice(0, units), preactivations);
        ReadOnlySpan<float> previous = initialHidden;
        for (int k = 0; k < steps; k++)
        {
            int t = reverse ? steps - 1 - k : k;
            Span<float> sum = preactivations.Slice(t * units, units);
            if (!previous.IsEmpty)
            {
                MatrixKernels.MultiplyAdd(previous.Slice(0, units), recurrentKernel, sum);
            }

            Span<float> h = hidden.Slice(t * units, units);
            sum.CopyTo(h);
            Activations.Apply(activation, h);
            previous = h;
        }
    }

    /// <summary>
    /// <see cref="Step{T}"/> with the kernels quantized to int8: one streaming step; <paramref name="hidden"/> is read
    /// and overwritten.
    /// </summary>
    /// <param name="input">This step's input, [inputSize].</param>
    /// <param name="inputSize">The width of the input.</param>
    /// <param name="units">The size of the state.</param>
    /// <param name="kernel">The quantized [inputSize, units] kernel.</param>
    /// <param name="recurrentKernel">The quantized [units, units] recurrent kernel.</param>
    /// <param name="bias">[units].</param>
    /// <param name="activation">g: Linear, Tanh, Sigmoid or Relu.</param>
    /// <param name="hidden">h, [units]: the carried state in, the new one out.</param>
    /// <param name="preactivations">Working space of units.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Step(
        ReadOnlySpan<float> input, int inputSize, int units,
        ReadOnlySpan<byte> kernel, ReadOnlySpan<byte> recurrentKernel, ReadOnlySpan<float> bias, Activation activation,
        Span<float> hidden, Span<float> preactivations)
    {
        Span<float> sum = preactivations.Slice(0, units);
        Span<float> h = hidden.Slice(0, units);
        MatrixKernels.Affine(input.Slice(0, inputSize), kernel, h, recurrentKernel, bias.Slice(0, units), sum);
        sum.CopyTo(h);
        Activations.Apply(activation, h);
    }
}
