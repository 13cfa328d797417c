using System;
using System.Numerics;
using RnnCompiler.Kernels;
using System.Runtime.CompilerServices;

namespace RnnCompiler.Layers;

/// <summary>The simple RNN over a training batch in lock step (see <see cref="LstmLayer.ForwardBatch{T}"/> for the layout).</summary>
public static partial class SimpleRnnLayer
{
    /// <summary>
    /// <see cref="Forward{T}"/> for <paramref name="sequences"/> sequences of <paramref name="steps"/> steps at once, batch
    /// major: each step adds <c>h[t-1]·U</c> for all sequences as one product. Sequence s gets bit for bit what
    /// <see cref="Forward{T}"/> gives it.
    /// </summary>
    /// <param name="inputs">The inputs, [sequences, steps, inputSize].</param>
    /// <param name="sequences">The number of sequences.</param>
    /// <param name="steps">The number of time steps of every sequence.</param>
    /// <param name="inputSize">The width of one input step.</param>
    /// <param name="units">The size of the state.</param>
    /// <param name="kernel">[inputSize, units].</param>
    /// <param name="recurrentKernel">[units, units].</param>
    /// <param name="bias">[units].</param>
    /// <param name="activation">g: Linear, Tanh, Sigmoid or Relu.</param>
    /// <param name="reverse">When true the steps run from the last to the first.</param>
    /// <param name="initialHidden">h before the first step of each sequence, [sequences, units]; empty for zeros.</param>
    /// <param name="preactivations">Receives the sums before g, [sequences, steps, units].</param>
    /// <param name="hidden">Receives h of each step, [sequences, steps, units].</param>
    /// <exception cref="ArgumentException">A span is too short for the shapes.</exception>
    /// <param name="lengths">
    /// Empty when every sequence has <paramref name="steps"/> steps; else each sequence's length, longest first, laid out
    /// as <see cref="LstmLayer.ForwardBatch{T}"/> describes (the reverse direction's rows at the end of each block).
    /// </param>
    /// <param name="recurrentMasks">Empty, or Keras's <c>recurrent_dropout</c> mask on the state each step reads, [1, sequences, units].</param>
    /// <param name="dropoutScratch">With the mask, working space (see <c>RecurrentDropout.ScratchSize</c>).</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ForwardBatch<T>(
        ReadOnlySpan<T> inputs, int sequences, int steps, int inputSize, int units,
        ReadOnlySpan<T> kernel, ReadOnlySpan<T> recurrentKernel, ReadOnlySpan<T> bias, Activation activation,
        bool reverse, ReadOnlySpan<T> initialHidden,
        Span<T> preactivations, Span<T> hidden, ReadOnlySpan<int> lengths = default, ReadOnlySpan<T> recurrentMasks = default, Span<T> dropoutScratch = default)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (sequences <= 0 || steps <= 0)
        {
            return;
        }

        int rows = sequences * steps;
        CheckBatch(rows, units, preactivations.Length, hidden.Length, initialHidden.Length, sequences);
        bool varying = !lengths.IsEmpty;
        bool masked = !recurrentMasks.IsEmpty;
        if (masked)
        {
            RecurrentDropout.Check(1, sequences, inputSize, units, units, recurrentMasks.Length, 0, dropoutScratch.Length);
        }

        if (varying)
        {
            BatchLengths.Check(lengths, sequences, steps);
            BatchLengths.Project(inputs, sequences, steps, inputSize, kernel, bias.Slice(0, units), units, lengths, reverse, preactivations);
        }
        else
        {
            MatrixKernels.Project(inputs, rows, inputSize, kernel, bias.Slice(0, units), preactivations);
        }

        for (int k = 0; k < steps; k++)
        {
            int t = reverse ? steps - 1 - k : k;
            int before = reverse ? t + 1 : t - 1;
            int active = varying ? BatchLengths.Active(lengths, sequences, k) : sequences;
            if (active == 0)
            {
                break;
            }

            Span<T> stepSums = preactivations.Slice(t * units);
            bool hasPrevious = k > 0 || !initialHidden.IsEmpty;
            ReadOnlySpan<T> previousRows = k > 0 ? hidden.Slice(before * units) : initialHidden;
            int previousStride = k > 0 ? steps * units : units;
            if (hasPrevious && masked)
            {
                RecurrentDropout.AddMaskedProduct(previousRows, previousStride, active, recurrentKernel, units, units, units, recurrentMasks, 0, sequences, dropoutScratch, stepSums, steps * units);
            }
            else if (hasPrevious)
            {
                MatrixKernels.AddProduct<T>(previousRows, previousStride, recurrentKernel, units, units, active, units, stepSums, steps * units);
            }

            for (int s = 0; s < active; s++)
            {
                int row = (s * steps + t) * units;
                Span<T> h = hidden.Slice(row, units);
                preactivations.Slice(row, units).CopyTo(h);
                Activations.Apply(activation, h);
            }
        }

        if (varying)
        {
            BatchLengths.ClearPadding(hidden, units, lengths, sequences, steps, reverse);
        }
    }

    /// <summary>
    /// <see cref="Backward{T}"/> for the batch <see cref="ForwardBatch{T}"/> ran: the recurrence backwards in lock step,
    /// <c>dh[t-1] = δ[t]·Uᵀ</c> for all sequences as one product, then the weight and input gradients sequence by sequence
    /// in order. The arguments up to <paramref name="hidden"/> are those of the forward call.
    /// </summary>
    /// <param name="inputs">The forward inputs, [sequences, steps, inputSize].</param>
    /// <param name="sequences">The number of sequences.</param>
    /// <param name="steps">The number of steps of every sequence.</param>
    /// <param name="inputSize">The width of one input step.</param>
    /// <param name="units">The size of the state.</param>
    /// <param name="kernel">[inputSize, units].</param>
    /// <param name="recurrentKernel">[units, units].</param>
    /// <param name="activation">The forward activation.</param>
    /// <param name="reverse">The direction the forward call ran.</param>
    /// <param name="initialHidden">The forward call's initial h, [sequences, units] (empty for zeros).</param>
    /// <param name="hidden">The hidden states the forward call kept.</param>
    /// <param name="hiddenGradients">dL/dh[t] from the layers above, [sequences, steps, units]; overwritten with δ[t].</param>
    /// <param name="inputGradients">dL/dx[t] is added here, [sequences, steps, inputSize]; empty when no layer below needs it.</param>
    /// <param name="kernelGradients">Accumulates dL/dkernel.</param>
    /// <param name="recurrentKernelGradients">Accumulates dL/drecurrent_kernel.</param>
    /// <param name="biasGradients">Accumulates dL/dbias.</param>
    /// <param name="scratch">Working space of sequences × units.</param>
    /// <exception cref="ArgumentException">A span is too short for the shapes.</exception>
    /// <param name="lengths">The forward call's lengths (empty when every sequence has <paramref name="steps"/> steps).</param>
    /// <param name="recurrentMasks">The forward call's recurrent dropout mask, or empty.</param>
    /// <param name="dropoutScratch">With the mask, working space as the forward call's.</param>
    /// <param name="initialHiddenGradients">
    /// Receives dL/d(initialHidden), [sequences, units]: the gradient a state handed in (an encoder's, to a decoder) takes
    /// back; empty for none. It needs <paramref name="initialHidden"/>.
    /// </param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void BackwardBatch<T>(
        ReadOnlySpan<T> inputs, int sequences, int steps, int inputSize, int units,
        ReadOnlySpan<T> kernel, ReadOnlySpan<T> recurrentKernel, Activation activation,
        bool reverse, ReadOnlySpan<T> initialHidden, ReadOnlySpan<T> hidden,
        Span<T> hiddenGradients, Span<T> inputGradients,
        Span<T> kernelGradients, Span<T> recurrentKernelGradients, Span<T> biasGradients,
        Span<T> scratch, ReadOnlySpan<int> lengths = default, ReadOnlySpan<T> recurrentMasks = default, Span<T> dropoutScratch = default,
        Span<T> initialHiddenGradients = default)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (sequences <= 0 || steps <= 0)
        {
            return;
        }

        bool varying = !lengths.IsEmpty;
        if (varying)
        {
            BatchLengths.Check(lengths, sequences, steps);
        }

        bool masked = !recurrentMasks.IsEmpty;
        if (masked)
        {
            RecurrentDropout.Check(1, sequences, inputSize, units, units, recurrentMasks.Length, 0, dropoutScratch.Length);
        }

        int rows = sequences * steps;
        CheckBatch(rows, units, hiddenGradients.Length, hidden.Length, initialHidden.Length, sequences);
        if (scratch.Length < sequences * units || (!inputGradients.IsEmpty && inputGradients.Length < rows * inputSize))
        {
            throw new ArgumentException($"The batch needs input gradients [{rows}, {inputSize}] (or none) and a scratch of {sequences * units}.", nameof(scratch));
        }

        bool intoInitial = !initialHiddenGradients.IsEmpty;
        if (intoInitial && (initialHiddenGradients.Length < sequences * units || initialHidden.Length < sequences * units))
        {
            throw new ArgumentException($"The gradient of the initial state needs that state, and it is [{sequences}, {units}].", nameof(initialHiddenGradients));
        }

        Span<T> nextHidden = scratch.Slice(0, sequences * units);
        nextHidden.Clear();
        for (int k = steps - 1; k >= 0; k--)
        {
            int t = reverse ? steps - 1 - k : k;
            int active = varying ? BatchLengths.Active(lengths, sequences, k) : sequences;
            if (active == 0)
            {
                continue;
            }

            for (int s = 0; s < active; s++)
            {
                int row = (s * steps + t) * units;
                Span<T> delta = hiddenGradients.Slice(row, units);
                MatrixKernels.Axpy(T.One, nextHidden.Slice(s * units, units), delta);
                Activations.BackwardRows(activation, hidden.Slice(row, units), delta, units);
            }

            // dh of the step before; the first step's goes to the initial state when asked for, else nowhere.
            nextHidden.Clear();
            if ((k > 0 || intoInitial) && masked)
            {
                RecurrentDropout.AddMaskedTransposedProduct(hiddenGradients.Slice(t * units), steps * units, active, recurrentKernel, units, units, recurrentMasks, 0, sequences, dropoutScratch, nextHidden);
            }
            else if (k > 0 || intoInitial)
            {
                MatrixKernels.AddProductTransposed<T>(hiddenGradients.Slice(t * units), steps * units, recurrentKernel, units, units, active, units, nextHidden, units);
            }
        }

        if (intoInitial)
        {
            nextHidden.CopyTo(initialHiddenGradients);
        }

        if (masked)
        {
            LstmLayer.AccumulateMaskedWeightGradients(
                inputs, sequences, steps, inputSize, units, 1, kernel, reverse, initialHidden, hiddenGradients, hidden,
                inputGradients, kernelGradients, recurrentKernelGradients, biasGradients, lengths, recurrentMasks, default, dropoutScratch);
            return;
        }

        LstmLayer.AccumulateBatchWeightGradients(
            inputs, sequences, steps, inputSize, units, units, kernel, reverse, initialHidden, hiddenGradients, hidden,
            inputGradients, kernelGradients, recurrentKernelGradients, biasGradients, lengths);
    }

    private static void CheckBatch(int rows, int units, int sums, int hidden, int initialHidden, int sequences)
    {
        if (sums < (long)rows * units || hidden < (long)rows * units || (initialHidden != 0 && initialHidden < sequences * units))
        {
            throw new ArgumentException($"The batch needs sums and hidden [{rows}, {units}] and initial states [{sequences}, {units}] (or none).", nameof(hidden));
        }
    }
}
