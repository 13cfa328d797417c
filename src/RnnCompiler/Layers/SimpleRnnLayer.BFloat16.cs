using System;
using RnnCompiler.Kernels;

namespace RnnCompiler.Layers;

public static partial class SimpleRnnLayer
{
    /// <summary>
    /// <see cref="Forward{T}"/> with the kernel and recurrent kernel in bfloat16 (<see cref="BFloat16"/>), for models
    /// declared with <c>WeightPrecision = WeightPrecision.BFloat16</c>.
    /// </summary>
    /// <param name="inputs">The inputs, [steps, inputSize].</param>
    /// <param name="steps">The number of time steps.</param>
    /// <param name="inputSize">The width of one input step.</param>
    /// <param name="units">The size of the state.</param>
    /// <param name="kernel">[inputSize, units], bfloat16 bits.</param>
    /// <param name="recurrentKernel">[units, units], bfloat16 bits.</param>
    /// <param name="bias">[units].</param>
    /// <param name="activation">g: Linear, Tanh, Sigmoid or Relu.</param>
    /// <param name="reverse">When true the steps run from the last to the first.</param>
    /// <param name="initialHidden">h before the first step processed, [units]; empty for zeros.</param>
    /// <param name="preactivations">Working space [steps, units]: the sums before g.</param>
    /// <param name="hidden">Receives h of each step, [steps, units].</param>
    public static void Forward(
        ReadOnlySpan<float> inputs, int steps, int inputSize, int units,
        ReadOnlySpan<ushort> kernel, ReadOnlySpan<ushort> recurrentKernel, ReadOnlySpan<float> bias, Activation activation,
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
                MatrixKernels.MultiplyAdd(previous.Slice(0, units), recurrentKernel, units, sum);
            }

            Span<float> h = hidden.Slice(t * units, units);
            sum.CopyTo(h);
            Activations.Apply(activation, h);
            previous = h;
        }
    }
}
