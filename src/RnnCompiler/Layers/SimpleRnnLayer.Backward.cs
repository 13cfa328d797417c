using System;
using System.Numerics;
using RnnCompiler.Kernels;

namespace RnnCompiler.Layers;

/// <summary>Backpropagation through time for the SimpleRNN, from what <see cref="Forward"/> kept.</summary>
public static partial class SimpleRnnLayer
{
    /// <summary>Runs the recurrence backwards, accumulating the weight gradients and (optionally) the input gradients.</summary>
    /// <param name="inputs">The forward inputs, [steps, inputSize].</param>
    /// <param name="steps">The number of steps.</param>
    /// <param name="inputSize">The width of one input step.</param>
    /// <param name="units">The size of the state.</param>
    /// <param name="kernel">[inputSize, units].</param>
    /// <param name="recurrentKernel">[units, units].</param>
    /// <param name="activation">The forward activation.</param>
    /// <param name="reverse">The direction the forward call ran.</param>
    /// <param name="initialHidden">The forward call's initial h (empty for zeros).</param>
    /// <param name="hidden">The hidden states the forward call kept, [steps, units].</param>
    /// <param name="hiddenGradients">dL/dh[t] from the layers above, [steps, units]; read only.</param>
    /// <param name="inputGradients">dL/dx[t] is added here; empty when no layer below needs it.</param>
    /// <param name="kernelGradients">Accumulates dL/dkernel.</param>
    /// <param name="recurrentKernelGradients">Accumulates dL/drecurrent_kernel.</param>
    /// <param name="biasGradients">Accumulates dL/dbias.</param>
    /// <param name="scratch">Working space of 2 × units.</param>
    public static void Backward<T>(
        ReadOnlySpan<T> inputs, int steps, int inputSize, int units,
        ReadOnlySpan<T> kernel, ReadOnlySpan<T> recurrentKernel, Activation activation,
        bool reverse, ReadOnlySpan<T> initialHidden, ReadOnlySpan<T> hidden,
        ReadOnlySpan<T> hiddenGradients, Span<T> inputGradients,
        Span<T> kernelGradients, Span<T> recurrentKernelGradients, Span<T> biasGradients,
        Span<T> scratch)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        Span<T> sumGradients = scratch.Slice(0, units);
        Span<T> nextHidden = scratch.Slice(units, units);
        nextHidden.Clear();
        for (int k = steps - 1; k >= 0; k--)
        {
            int t = reverse ? steps - 1 - k : k;
            int before = reverse ? t + 1 : t - 1;
            ReadOnlySpan<T> previous = k == 0 ? initialHidden : hidden.Slice(before * units, units);
            ReadOnlySpan<T> dh = hiddenGradients.Slice(t * units, units);
            for (int j = 0; j < units; j++)
            {
                sumGradients[j] = dh[j] + nextHidden[j];
            }

            Activations.BackwardRows(activation, hidden.Slice(t * units, units), sumGradients, units);
            LstmLayer.Accumulate(biasGradients.Slice(0, units), sumGradients);
            MatrixKernels.AddOuter(inputs.Slice(t * inputSize, inputSize), sumGradients, kernelGradients, units);
            nextHidden.Clear();
            if (!previous.IsEmpty)
            {
                MatrixKernels.AddOuter(previous.Slice(0, units), sumGradients, recurrentKernelGradients, units);
                MatrixKernels.MultiplyTransposedAdd(sumGradients, recurrentKernel, units, nextHidden);
            }

            if (!inputGradients.IsEmpty)
            {
                MatrixKernels.MultiplyTransposedAdd(sumGradients, kernel, units, inputGradients.Slice(t * inputSize, inputSize));
            }
        }
    }
}
