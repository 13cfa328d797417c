using System;
using System.Numerics;
using RnnCompiler.Kernels;

namespace RnnCompiler.Layers;

/// <summary>Backpropagation through time for the GRU, in both reset modes, from what <see cref="Forward"/> kept.</summary>
public static partial class GruLayer
{
    /// <summary>
    /// Runs the recurrence backwards, accumulating the weight gradients and (optionally) the input gradients.
    /// The arguments up to <paramref name="hidden"/> are those of the forward call.
    /// </summary>
    /// <param name="inputs">The forward inputs, [steps, inputSize].</param>
    /// <param name="steps">The number of steps.</param>
    /// <param name="inputSize">The width of one input step.</param>
    /// <param name="units">The size of the state.</param>
    /// <param name="kernel">[inputSize, 3 × units].</param>
    /// <param name="recurrentKernel">[units, 3 × units].</param>
    /// <param name="resetAfter">Keras's <c>reset_after</c>.</param>
    /// <param name="reverse">The direction the forward call ran.</param>
    /// <param name="initialHidden">The forward call's initial h (empty for zeros).</param>
    /// <param name="gates">The activated z, r, ĥ the forward call kept, [steps, 3 × units].</param>
    /// <param name="candidates">The recurrent candidate parts the forward call kept, [steps, units].</param>
    /// <param name="hidden">The hidden states the forward call kept, [steps, units].</param>
    /// <param name="hiddenGradients">dL/dh[t] from the layers above, [steps, units]; read only.</param>
    /// <param name="inputGradients">dL/dx[t] is added here, [steps, inputSize]; empty when no layer below needs it.</param>
    /// <param name="kernelGradients">Accumulates dL/dkernel.</param>
    /// <param name="recurrentKernelGradients">Accumulates dL/drecurrent_kernel.</param>
    /// <param name="biasGradients">Accumulates dL/dbias ([2, 3 × units] when reset after).</param>
    /// <param name="scratch">Working space of 8 × units.</param>
    public static void Backward<T>(
        ReadOnlySpan<T> inputs, int steps, int inputSize, int units,
        ReadOnlySpan<T> kernel, ReadOnlySpan<T> recurrentKernel, bool resetAfter,
        bool reverse, ReadOnlySpan<T> initialHidden,
        ReadOnlySpan<T> gates, ReadOnlySpan<T> candidates, ReadOnlySpan<T> hidden,
        ReadOnlySpan<T> hiddenGradients, Span<T> inputGradients,
        Span<T> kernelGradients, Span<T> recurrentKernelGradients, Span<T> biasGradients,
        Span<T> scratch)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int width = 3 * units;
        Span<T> inputPart = scratch.Slice(0, width);
        Span<T> recurrentPart = scratch.Slice(width, width);
        Span<T> nextHidden = scratch.Slice(2 * width, units);
        Span<T> resetHidden = scratch.Slice(2 * width + units, units);
        nextHidden.Clear();
        for (int k = steps - 1; k >= 0; k--)
        {
            int t = reverse ? steps - 1 - k : k;
            int before = reverse ? t + 1 : t - 1;
            ReadOnlySpan<T> previous = k == 0 ? initialHidden : hidden.Slice(before * units, units);
            ReadOnlySpan<T> g = gates.Slice(t * width, width);
            ReadOnlySpan<T> candidate = candidates.Slice(t * units, units);
            ReadOnlySpan<T> dh = hiddenGradients.Slice(t * units, units);
            ReadOnlySpan<T> x = inputs.Slice(t * inputSize, inputSize);

            // Through h = z ⊙ h[t-1] + (1 - z) ⊙ ĥ and ĥ = tanh(...): dL/d(pre-activation of ĥ) and of z.
            for (int j = 0; j < units; j++)
            {
                T z = g[j];
                T proposal = g[2 * units + j];
                T previousValue = previous.IsEmpty ? T.Zero : previous[j];
                T dHidden = dh[j] + nextHidden[j];
                nextHidden[j] = dHidden * z;
                inputPart[j] = dHidden * (previousValue - proposal) * z * (T.One - z);
                inputPart[2 * units + j] = dHidden * (T.One - z) * (T.One - proposal * proposal);
            }

            if (resetAfter)
            {
                // ĥ = tanh(x·Wh + bh + r ⊙ (h·Uh + b'h)): the candidate kept is h·Uh + b'h.
                for (int j = 0; j < units; j++)
                {
                    T r = g[units + j];
                    T dProposal = inputPart[2 * units + j];
                    inputPart[units + j] = dProposal * candidate[j] * r * (T.One - r);
                    recurrentPart[j] = inputPart[j];
                    recurrentPart[units + j] = inputPart[units + j];
                    recurrentPart[2 * units + j] = dProposal * r;
                }

                LstmLayer.Accumulate(biasGradients.Slice(0, width), inputPart);
                LstmLayer.Accumulate(biasGradients.Slice(width, width), recurrentPart);
                if (!previous.IsEmpty)
                {
                    MatrixKernels.AddOuter(previous.Slice(0, units), recurrentPart, recurrentKernelGradients, width);
                    MatrixKernels.MultiplyTransposedAdd(recurrentPart, recurrentKernel, width, nextHidden);
                }
            }
            else
            {
                // ĥ = tanh(x·Wh + (r ⊙ h[t-1])·Uh + bh): the candidate kept is r ⊙ h[t-1].
                ReadOnlySpan<T> dProposal = inputPart.Slice(2 * units, units);
                if (previous.IsEmpty)
                {
                    inputPart.Slice(units, units).Clear();
                }
                else
                {
                    resetHidden.Clear();
                    MatrixKernels.MultiplyTransposedAdd(dProposal, recurrentKernel.Slice(2 * units), width, resetHidden);
                    for (int j = 0; j < units; j++)
                    {
                        T r = g[units + j];
                        inputPart[units + j] = resetHidden[j] * previous[j] * r * (T.One - r);
                        nextHidden[j] += resetHidden[j] * r;
                    }

                    MatrixKernels.AddOuter(previous.Slice(0, units), inputPart.Slice(0, 2 * units), recurrentKernelGradients, width);
                    MatrixKernels.AddOuter(candidate, dProposal, recurrentKernelGradients.Slice(2 * units), width);
                    MatrixKernels.MultiplyTransposedAdd(inputPart.Slice(0, 2 * units), recurrentKernel, width, nextHidden);
                }

                LstmLayer.Accumulate(biasGradients.Slice(0, width), inputPart);
            }

            MatrixKernels.AddOuter(x, inputPart, kernelGradients, width);
            if (!inputGradients.IsEmpty)
            {
                MatrixKernels.MultiplyTransposedAdd(inputPart, kernel, width, inputGradients.Slice(t * inputSize, inputSize));
            }
        }
    }
}
