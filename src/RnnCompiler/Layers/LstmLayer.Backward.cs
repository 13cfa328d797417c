using System;
using System.Numerics;
using RnnCompiler.Kernels;

namespace RnnCompiler.Layers;

/// <summary>Backpropagation through time for the LSTM, from what <see cref="Forward"/> kept.</summary>
public static partial class LstmLayer
{
    /// <summary>
    /// Runs the recurrence backwards from the last step processed to the first, accumulating the weight gradients
    /// and (optionally) the input gradients. The arguments up to <paramref name="hidden"/> are those of the forward call.
    /// </summary>
    /// <param name="inputs">The forward inputs, [steps, inputSize].</param>
    /// <param name="steps">The number of steps.</param>
    /// <param name="inputSize">The width of one input step.</param>
    /// <param name="units">The size of the state.</param>
    /// <param name="kernel">[inputSize, 4 × units].</param>
    /// <param name="recurrentKernel">[units, 4 × units].</param>
    /// <param name="reverse">The direction the forward call ran.</param>
    /// <param name="initialHidden">The forward call's initial h (empty for zeros).</param>
    /// <param name="initialCell">The forward call's initial c (empty for zeros).</param>
    /// <param name="gates">The activated gates the forward call kept, [steps, 4 × units].</param>
    /// <param name="cells">The cell states the forward call kept, [steps, units].</param>
    /// <param name="hidden">The hidden states the forward call kept, [steps, units].</param>
    /// <param name="hiddenGradients">dL/dh[t] from the layers above, [steps, units]; read only.</param>
    /// <param name="inputGradients">dL/dx[t] is added here, [steps, inputSize]; empty when no layer below needs it.</param>
    /// <param name="kernelGradients">Accumulates dL/dkernel.</param>
    /// <param name="recurrentKernelGradients">Accumulates dL/drecurrent_kernel.</param>
    /// <param name="biasGradients">Accumulates dL/dbias.</param>
    /// <param name="scratch">Working space of 6 × units.</param>
    public static void Backward<T>(
        ReadOnlySpan<T> inputs, int steps, int inputSize, int units,
        ReadOnlySpan<T> kernel, ReadOnlySpan<T> recurrentKernel,
        bool reverse, ReadOnlySpan<T> initialHidden, ReadOnlySpan<T> initialCell,
        ReadOnlySpan<T> gates, ReadOnlySpan<T> cells, ReadOnlySpan<T> hidden,
        ReadOnlySpan<T> hiddenGradients, Span<T> inputGradients,
        Span<T> kernelGradients, Span<T> recurrentKernelGradients, Span<T> biasGradients,
        Span<T> scratch)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int width = 4 * units;
        Span<T> gateGradients = scratch.Slice(0, width);
        Span<T> nextHidden = scratch.Slice(width, units);
        Span<T> nextCell = scratch.Slice(width + units, units);
        nextHidden.Clear();
        nextCell.Clear();
        for (int k = steps - 1; k >= 0; k--)
        {
            int t = reverse ? steps - 1 - k : k;
            int before = reverse ? t + 1 : t - 1;
            ReadOnlySpan<T> previousHidden = k == 0 ? initialHidden : hidden.Slice(before * units, units);
            ReadOnlySpan<T> previousCell = k == 0 ? initialCell : cells.Slice(before * units, units);
            ReadOnlySpan<T> g = gates.Slice(t * width, width);
            ReadOnlySpan<T> c = cells.Slice(t * units, units);
            ReadOnlySpan<T> dh = hiddenGradients.Slice(t * units, units);
            for (int j = 0; j < units; j++)
            {
                T input = g[j];
                T forget = g[units + j];
                T candidate = g[2 * units + j];
                T output = g[3 * units + j];
                T tanhCell = T.Tanh(c[j]);
                T dHidden = dh[j] + nextHidden[j];
                T dCell = nextCell[j] + dHidden * output * (T.One - tanhCell * tanhCell);
                T cellBefore = previousCell.IsEmpty ? T.Zero : previousCell[j];
                nextCell[j] = dCell * forget;
                gateGradients[j] = dCell * candidate * input * (T.One - input);
                gateGradients[units + j] = dCell * cellBefore * forget * (T.One - forget);
                gateGradients[2 * units + j] = dCell * input * (T.One - candidate * candidate);
                gateGradients[3 * units + j] = dHidden * tanhCell * output * (T.One - output);
            }

            Accumulate(biasGradients.Slice(0, width), gateGradients);
            MatrixKernels.AddOuter(inputs.Slice(t * inputSize, inputSize), gateGradients, kernelGradients, width);
            nextHidden.Clear();
            if (!previousHidden.IsEmpty)
            {
                MatrixKernels.AddOuter(previousHidden.Slice(0, units), gateGradients, recurrentKernelGradients, width);
                MatrixKernels.MultiplyTransposedAdd(gateGradients, recurrentKernel, width, nextHidden);
            }

            if (!inputGradients.IsEmpty)
            {
                MatrixKernels.MultiplyTransposedAdd(gateGradients, kernel, width, inputGradients.Slice(t * inputSize, inputSize));
            }
        }
    }

    /// <summary><c>target += values</c>.</summary>
    internal static void Accumulate<T>(Span<T> target, ReadOnlySpan<T> values)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        => MatrixKernels.Axpy(T.One, values, target);
}
