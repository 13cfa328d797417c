using System;
using System.Numerics;
using RnnCompiler.Kernels;
using System.Runtime.CompilerServices;

namespace RnnCompiler.Layers;

/// <summary>Backpropagation through time for the SimpleRNN, from what <see cref="Forward{T}"/> kept.</summary>
public static partial class SimpleRnnLayer
{
    /// <summary>
    /// Runs the recurrence backwards, then accumulates the weight gradients and (optionally) the input gradients of all
    /// steps at once, as <see cref="LstmLayer.Backward{T}"/> does: each step's gradient before the activation, δ[t], is
    /// written over its row of <paramref name="hiddenGradients"/>, and the weight and input gradients are products over Δ.
    /// </summary>
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
    /// <param name="hiddenGradients">dL/dh[t] from the layers above, [steps, units]; overwritten with δ[t], the gradient before the activation.</param>
    /// <param name="inputGradients">dL/dx[t] is added here; empty when no layer below needs it.</param>
    /// <param name="kernelGradients">Accumulates dL/dkernel.</param>
    /// <param name="recurrentKernelGradients">Accumulates dL/drecurrent_kernel.</param>
    /// <param name="biasGradients">Accumulates dL/dbias.</param>
    /// <param name="scratch">Working space of units.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Backward<T>(
        ReadOnlySpan<T> inputs, int steps, int inputSize, int units,
        ReadOnlySpan<T> kernel, ReadOnlySpan<T> recurrentKernel, Activation activation,
        bool reverse, ReadOnlySpan<T> initialHidden, ReadOnlySpan<T> hidden,
        Span<T> hiddenGradients, Span<T> inputGradients,
        Span<T> kernelGradients, Span<T> recurrentKernelGradients, Span<T> biasGradients,
        Span<T> scratch)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        Span<T> nextHidden = scratch.Slice(0, units);
        nextHidden.Clear();
        for (int k = steps - 1; k >= 0; k--)
        {
            int t = reverse ? steps - 1 - k : k;
            int before = reverse ? t + 1 : t - 1;
            ReadOnlySpan<T> previous = k == 0 ? initialHidden : hidden.Slice(before * units, units);
            Span<T> delta = hiddenGradients.Slice(t * units, units);
            MatrixKernels.Axpy(T.One, nextHidden, delta);
            Activations.BackwardRows(activation, hidden.Slice(t * units, units), delta, units);
            nextHidden.Clear();
            if (!previous.IsEmpty)
            {
                MatrixKernels.MultiplyTransposedAdd(delta, recurrentKernel, units, nextHidden);
            }
        }

        LstmLayer.AccumulateWeightGradients(inputs, steps, inputSize, units, units, kernel, reverse, initialHidden, hiddenGradients, hidden, inputGradients, kernelGradients, recurrentKernelGradients, biasGradients);
    }
}
