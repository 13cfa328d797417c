using System;
using System.Numerics;
using RnnCompiler.Kernels;
using System.Runtime.CompilerServices;

namespace RnnCompiler.Layers;

/// <summary>The GRU over a training batch in lock step (see <see cref="LstmLayer.ForwardBatch{T}"/> for the layout).</summary>
public static partial class GruLayer
{
    /// <summary>
    /// <see cref="Forward{T}"/> for <paramref name="sequences"/> sequences of <paramref name="steps"/> steps at once, batch
    /// major: each step's recurrent products are one product for all sequences (two with the reset gate before: z and r,
    /// then the candidate on <c>r ⊙ h[t-1]</c>). Sequence s gets bit for bit what <see cref="Forward{T}"/> gives it.
    /// </summary>
    /// <param name="inputs">The inputs, [sequences, steps, inputSize].</param>
    /// <param name="sequences">The number of sequences.</param>
    /// <param name="steps">The number of time steps of every sequence.</param>
    /// <param name="inputSize">The width of one input step.</param>
    /// <param name="units">The size of the state.</param>
    /// <param name="kernel">[inputSize, 3 × units].</param>
    /// <param name="recurrentKernel">[units, 3 × units].</param>
    /// <param name="bias">[2 × 3 × units] when <paramref name="resetAfter"/>, else [3 × units].</param>
    /// <param name="resetAfter">Keras's <c>reset_after</c>.</param>
    /// <param name="reverse">When true the steps run from the last to the first.</param>
    /// <param name="initialHidden">h before the first step of each sequence, [sequences, units]; empty for zeros.</param>
    /// <param name="gates">Receives the activated z, r, ĥ, [sequences, steps, 3 × units].</param>
    /// <param name="candidates">Receives the candidates' recurrent parts (see <see cref="Forward{T}"/>), [sequences, steps, units].</param>
    /// <param name="hidden">Receives h of each step, [sequences, steps, units].</param>
    /// <param name="scratch">Working space of sequences × 3 × units.</param>
    /// <exception cref="ArgumentException">A span is too short for the shapes.</exception>
    /// <param name="activation">Keras's <c>activation</c>, of the candidate ĥ; tanh by default.</param>
    /// <param name="recurrentActivation">Keras's <c>recurrent_activation</c>, of the gates z and r; sigmoid by default.</param>
    /// <param name="lengths">
    /// Empty when every sequence has <paramref name="steps"/> steps; else each sequence's length, longest first, laid out
    /// as <see cref="LstmLayer.ForwardBatch{T}"/> describes (the reverse direction's rows at the end of each block).
    /// </param>
    /// <param name="recurrentMasks">
    /// Empty, or Keras's <c>recurrent_dropout</c> masks on the state each step reads, one per gate and sequence,
    /// [3, sequences, units] (gates z, r, h; reset before, h's mask is on the state that r multiplies).
    /// </param>
    /// <param name="inputMasks">Empty, or with <paramref name="recurrentMasks"/> Keras's per-gate <c>dropout</c> masks on the input, [3, sequences, inputSize].</param>
    /// <param name="dropoutScratch">With masks, working space (see <c>RecurrentDropout.ScratchSize</c>).</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ForwardBatch<T>(
        ReadOnlySpan<T> inputs, int sequences, int steps, int inputSize, int units,
        ReadOnlySpan<T> kernel, ReadOnlySpan<T> recurrentKernel, ReadOnlySpan<T> bias, bool resetAfter,
        bool reverse, ReadOnlySpan<T> initialHidden,
        Span<T> gates, Span<T> candidates, Span<T> hidden, Span<T> scratch, Activation activation = Activation.Tanh, Activation recurrentActivation = Activation.Sigmoid,
        ReadOnlySpan<int> lengths = default, ReadOnlySpan<T> recurrentMasks = default, ReadOnlySpan<T> inputMasks = default, Span<T> dropoutScratch = default)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (sequences <= 0 || steps <= 0)
        {
            return;
        }

        int width = 3 * units;
        int rows = sequences * steps;
        CheckBatch(rows, units, gates.Length, candidates.Length, hidden.Length, initialHidden.Length, sequences);
        if (scratch.Length < sequences * width)
        {
            throw new ArgumentException($"The batch needs a scratch of {sequences * width}.", nameof(scratch));
        }

        bool varying = !lengths.IsEmpty;
        bool masked = !recurrentMasks.IsEmpty;
        if (varying)
        {
            BatchLengths.Check(lengths, sequences, steps);
        }

        if (masked)
        {
            RecurrentDropout.Check(3, sequences, inputSize, units, width, recurrentMasks.Length, inputMasks.Length, dropoutScratch.Length);
        }

        Span<T> maskedRows = masked ? RecurrentDropout.RowsPart(dropoutScratch, sequences, units) : default;
        if (masked && !inputMasks.IsEmpty)
        {
            RecurrentDropout.Project(inputs, sequences, steps, inputSize, kernel, bias.Slice(0, width), units, 3, lengths, reverse, inputMasks,
                RecurrentDropout.KernelPart(dropoutScratch, sequences, inputSize, units, width), gates);
        }
        else if (varying)
        {
            BatchLengths.Project(inputs, sequences, steps, inputSize, kernel, bias.Slice(0, width), width, lengths, reverse, gates);
        }
        else
        {
            MatrixKernels.Project(inputs, rows, inputSize, kernel, bias.Slice(0, width), gates);
        }

        ReadOnlySpan<T> recurrentBias = resetAfter ? bias.Slice(width, width) : default;
        Span<T> recurrent = scratch.Slice(0, sequences * width);
        for (int k = 0; k < steps; k++)
        {
            int t = reverse ? steps - 1 - k : k;
            int before = reverse ? t + 1 : t - 1;
            int active = varying ? BatchLengths.Active(lengths, sequences, k) : sequences;
            if (active == 0)
            {
                break;
            }

            // The states before this step: the previous step's rows, or each sequence's initial state, or none.
            bool hasPrevious = k > 0 || !initialHidden.IsEmpty;
            ReadOnlySpan<T> previousRows = k > 0 ? hidden.Slice(before * units) : initialHidden;
            int previousStride = k > 0 ? steps * units : units;
            if (resetAfter)
            {
                for (int s = 0; s < active; s++)
                {
                    recurrentBias.CopyTo(recurrent.Slice(s * width, width));
                }

                if (hasPrevious && masked)
                {
                    for (int g = 0; g < 3; g++)
                    {
                        RecurrentDropout.AddMaskedProduct(previousRows, previousStride, active, recurrentKernel.Slice(g * units), width, units, units, recurrentMasks, g, sequences, maskedRows, recurrent.Slice(g * units), width);
                    }
                }
                else if (hasPrevious)
                {
                    MatrixKernels.AddProduct(previousRows, previousStride, recurrentKernel, width, units, active, width, recurrent, width);
                }

                for (int s = 0; s < active; s++)
                {
                    int row = s * steps + t;
                    UpdateResetAfter(gates.Slice(row * width, width), recurrent.Slice(s * width, width), candidates.Slice(row * units, units),
                        Previous(previousRows, previousStride, hasPrevious, s, units), hidden.Slice(row * units, units), units, activation, recurrentActivation);
                }
            }
            else
            {
                // z and r for every sequence; then the candidates' product reads r ⊙ h[t-1] (with recurrent dropout,
                // r ⊙ h[t-1] ⊙ h's mask).
                if (hasPrevious && masked)
                {
                    for (int g = 0; g < 2; g++)
                    {
                        RecurrentDropout.AddMaskedProduct(previousRows, previousStride, active, recurrentKernel.Slice(g * units), width, units, units, recurrentMasks, g, sequences, maskedRows, gates.Slice(t * width + g * units), steps * width);
                    }

                    RecurrentDropout.MaskRows(previousRows, previousStride, active, recurrentMasks, 2, sequences, units, maskedRows);
                }
                else if (hasPrevious)
                {
                    MatrixKernels.AddProduct(previousRows, previousStride, recurrentKernel, width, units, active, 2 * units, gates.Slice(t * width), steps * width);
                }

                for (int s = 0; s < active; s++)
                {
                    int row = s * steps + t;
                    ReadOnlySpan<T> reset = masked && hasPrevious ? maskedRows.Slice(s * units, units) : Previous(previousRows, previousStride, hasPrevious, s, units);
                    ResetBeforeGates(gates.Slice(row * width, width), reset, candidates.Slice(row * units, units), units, recurrentActivation);
                }

                if (hasPrevious)
                {
                    MatrixKernels.AddProduct<T>(candidates.Slice(t * units), steps * units, recurrentKernel.Slice(2 * units), width, units, active, units, gates.Slice(t * width + 2 * units), steps * width);
                }

                for (int s = 0; s < active; s++)
                {
                    int row = s * steps + t;
                    ResetBeforeUpdate(gates.Slice(row * width, width), Previous(previousRows, previousStride, hasPrevious, s, units), hidden.Slice(row * units, units), units, activation);
                }
            }
        }

        if (varying)
        {
            BatchLengths.ClearPadding(hidden, units, lengths, sequences, steps, reverse);
        }
    }

    /// <summary>
    /// <see cref="Backward{T}"/> for the batch <see cref="ForwardBatch{T}"/> ran: the recurrence backwards in lock step,
    /// the products with <c>Uᵀ</c> for all sequences at once, then the weight and input gradients sequence by sequence in
    /// order. The arguments up to <paramref name="hidden"/> are those of the forward call.
    /// </summary>
    /// <param name="inputs">The forward inputs, [sequences, steps, inputSize].</param>
    /// <param name="sequences">The number of sequences.</param>
    /// <param name="steps">The number of steps of every sequence.</param>
    /// <param name="inputSize">The width of one input step.</param>
    /// <param name="units">The size of the state.</param>
    /// <param name="kernel">[inputSize, 3 × units].</param>
    /// <param name="recurrentKernel">[units, 3 × units].</param>
    /// <param name="resetAfter">Keras's <c>reset_after</c>.</param>
    /// <param name="reverse">The direction the forward call ran.</param>
    /// <param name="initialHidden">The forward call's initial h, [sequences, units] (empty for zeros).</param>
    /// <param name="gates">The activated gates the forward call kept; overwritten with their gradients.</param>
    /// <param name="candidates">The candidates the forward call kept; reset after, overwritten with <c>r ⊙ dĥ</c>.</param>
    /// <param name="hidden">The hidden states the forward call kept.</param>
    /// <param name="hiddenGradients">dL/dh[t] from the layers above, [sequences, steps, units]; read only.</param>
    /// <param name="inputGradients">dL/dx[t] is added here, [sequences, steps, inputSize]; empty when no layer below needs it.</param>
    /// <param name="kernelGradients">Accumulates dL/dkernel.</param>
    /// <param name="recurrentKernelGradients">Accumulates dL/drecurrent_kernel.</param>
    /// <param name="biasGradients">Accumulates dL/dbias ([2, 3 × units] when reset after).</param>
    /// <param name="scratch">Working space of 2 × sequences × units.</param>
    /// <exception cref="ArgumentException">A span is too short for the shapes.</exception>
    /// <param name="activation">Keras's <c>activation</c>, of the candidate ĥ; tanh by default.</param>
    /// <param name="recurrentActivation">Keras's <c>recurrent_activation</c>, of the gates z and r; sigmoid by default.</param>
    /// <param name="lengths">The forward call's lengths (empty when every sequence has <paramref name="steps"/> steps).</param>
    /// <param name="recurrentMasks">The forward call's recurrent dropout masks, or empty.</param>
    /// <param name="inputMasks">The forward call's per-gate input dropout masks, or empty.</param>
    /// <param name="dropoutScratch">With masks, working space as the forward call's.</param>
    /// <param name="initialHiddenGradients">
    /// Receives dL/d(initialHidden), [sequences, units]: the gradient a state handed in (an encoder's, to a decoder) takes
    /// back; empty for none. It needs <paramref name="initialHidden"/>.
    /// </param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void BackwardBatch<T>(
        ReadOnlySpan<T> inputs, int sequences, int steps, int inputSize, int units,
        ReadOnlySpan<T> kernel, ReadOnlySpan<T> recurrentKernel, bool resetAfter,
        bool reverse, ReadOnlySpan<T> initialHidden,
        Span<T> gates, Span<T> candidates, ReadOnlySpan<T> hidden,
        ReadOnlySpan<T> hiddenGradients, Span<T> inputGradients,
        Span<T> kernelGradients, Span<T> recurrentKernelGradients, Span<T> biasGradients,
        Span<T> scratch, Activation activation = Activation.Tanh, Activation recurrentActivation = Activation.Sigmoid, ReadOnlySpan<int> lengths = default,
        ReadOnlySpan<T> recurrentMasks = default, ReadOnlySpan<T> inputMasks = default, Span<T> dropoutScratch = default,
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
            RecurrentDropout.Check(3, sequences, inputSize, units, 3 * units, recurrentMasks.Length, inputMasks.Length, dropoutScratch.Length);
        }

        int width = 3 * units;
        int gatesWidth = 2 * units;
        int rows = sequences * steps;
        CheckBatch(rows, units, gates.Length, candidates.Length, hidden.Length, initialHidden.Length, sequences);
        if (hiddenGradients.Length < rows * units || scratch.Length < 2 * sequences * units
            || (!inputGradients.IsEmpty && inputGradients.Length < rows * inputSize))
        {
            throw new ArgumentException($"The batch needs hidden gradients [{rows}, {units}], input gradients [{rows}, {inputSize}] (or none) and a scratch of {2 * sequences * units}.", nameof(scratch));
        }

        bool intoInitial = !initialHiddenGradients.IsEmpty;
        if (intoInitial && (initialHiddenGradients.Length < sequences * units || initialHidden.Length < sequences * units))
        {
            throw new ArgumentException($"The gradient of the initial state needs that state, and it is [{sequences}, {units}].", nameof(initialHiddenGradients));
        }

        Span<T> nextHidden = scratch.Slice(0, sequences * units);
        Span<T> resetHidden = scratch.Slice(sequences * units, sequences * units);
        nextHidden.Clear();
        for (int k = steps - 1; k >= 0; k--)
        {
            int t = reverse ? steps - 1 - k : k;
            int before = reverse ? t + 1 : t - 1;
            bool hasPrevious = k > 0 || !initialHidden.IsEmpty;
            ReadOnlySpan<T> previousRows = k > 0 ? hidden.Slice(before * units) : initialHidden;
            int previousStride = k > 0 ? steps * units : units;
            int active = varying ? BatchLengths.Active(lengths, sequences, k) : sequences;
            if (active == 0)
            {
                continue;
            }

            for (int s = 0; s < active; s++)
            {
                int row = s * steps + t;
                StateGradients(gates.Slice(row * width, width), Previous(previousRows, previousStride, hasPrevious, s, units), hiddenGradients.Slice(row * units, units), nextHidden.Slice(s * units, units), units, activation, recurrentActivation);
            }

            // Below, dh of the step before is wanted only when there is one: the first step's would go to the initial
            // state, which nothing trains.
            if (resetAfter)
            {
                for (int s = 0; s < active; s++)
                {
                    int row = s * steps + t;
                    ResetAfterGradients(gates.Slice(row * width, width), candidates.Slice(row * units, units), units, recurrentActivation);
                }

                if ((k > 0 || intoInitial) && masked)
                {
                    for (int g = 0; g < 2; g++)
                    {
                        RecurrentDropout.AddMaskedTransposedProduct(gates.Slice(t * width + g * units), steps * width, active, recurrentKernel.Slice(g * units), width, units, recurrentMasks, g, sequences, dropoutScratch, nextHidden);
                    }

                    RecurrentDropout.AddMaskedTransposedProduct(candidates.Slice(t * units), steps * units, active, recurrentKernel.Slice(gatesWidth), width, units, recurrentMasks, 2, sequences, dropoutScratch, nextHidden);
                }
                else if (k > 0 || intoInitial)
                {
                    MatrixKernels.AddProductTransposed<T>(gates.Slice(t * width), steps * width, recurrentKernel, width, gatesWidth, active, units, nextHidden, units);
                    MatrixKernels.AddProductTransposed<T>(candidates.Slice(t * units), steps * units, recurrentKernel.Slice(gatesWidth), width, units, active, units, nextHidden, units);
                }
            }
            else if (!hasPrevious)
            {
                for (int s = 0; s < active; s++)
                {
                    gates.Slice((s * steps + t) * width + units, units).Clear();
                }
            }
            else
            {
                resetHidden.Clear();
                MatrixKernels.AddProductTransposed<T>(gates.Slice(t * width + gatesWidth), steps * width, recurrentKernel.Slice(gatesWidth), width, units, active, units, resetHidden, units);
                if (masked)
                {
                    // The candidate read r ⊙ h[t-1] ⊙ m_h: scaling its gradient by m_h gives dr and dh[t-1] through it at once.
                    for (int s = 0; s < active; s++)
                    {
                        Span<T> row = resetHidden.Slice(s * units, units);
                        ReadOnlySpan<T> mask = RecurrentDropout.Mask(recurrentMasks, 2, sequences, s, units);
                        for (int j = 0; j < units; j++)
                        {
                            row[j] *= mask[j];
                        }
                    }
                }

                for (int s = 0; s < active; s++)
                {
                    int row = s * steps + t;
                    ResetBeforeGradients(gates.Slice(row * width, width), Previous(previousRows, previousStride, true, s, units), resetHidden.Slice(s * units, units), nextHidden.Slice(s * units, units), units, recurrentActivation);
                }

                if ((k > 0 || intoInitial) && masked)
                {
                    for (int g = 0; g < 2; g++)
                    {
                        RecurrentDropout.AddMaskedTransposedProduct(gates.Slice(t * width + g * units), steps * width, active, recurrentKernel.Slice(g * units), width, units, recurrentMasks, g, sequences, dropoutScratch, nextHidden);
                    }
                }
                else if (k > 0 || intoInitial)
                {
                    MatrixKernels.AddProductTransposed<T>(gates.Slice(t * width), steps * width, recurrentKernel, width, gatesWidth, active, units, nextHidden, units);
                }
            }
        }

        // After the first step (every sequence has it), the scratch holds dL/d(initial state).
        if (intoInitial)
        {
            nextHidden.CopyTo(initialHiddenGradients);
        }

        if (masked)
        {
            AccumulateMaskedWeightGradients(
                inputs, sequences, steps, inputSize, units, kernel, resetAfter, reverse, initialHidden, gates, candidates, hidden,
                inputGradients, kernelGradients, recurrentKernelGradients, biasGradients, lengths, recurrentMasks, inputMasks, dropoutScratch);
            return;
        }

        // The weight and input gradients over groups of sequences, as LstmLayer.AccumulateBatchWeightGradients adds them:
        // the input side over a group's rows in one call, the recurrent side (with reset after, also the recurrent bias)
        // sequence by sequence; every gradient still sums its terms sequence after sequence, so the bits are those of a
        // loop of one-sequence calls.
        if (varying)
        {
            // Sequence by sequence over its real steps only, as a one-sequence call of its length adds them.
            for (int s = 0; s < sequences; s++)
            {
                int length = lengths[s];
                int start = BatchLengths.Start(lengths, s, steps, reverse);
                LstmLayer.AccumulateInputSideGradients(
                    inputs.Slice(s * steps * inputSize, length * inputSize), length, inputSize, width, kernel, gates.Slice(start * width, length * width),
                    inputGradients.IsEmpty ? default : inputGradients.Slice(s * steps * inputSize, length * inputSize), kernelGradients, biasGradients);
                AccumulateRecurrentGradients(
                    length, units, resetAfter, reverse, initialHidden.IsEmpty ? default : initialHidden.Slice(s * units, units),
                    gates.Slice(start * width, length * width), candidates.Slice(start * units, length * units), hidden.Slice(start * units, length * units),
                    recurrentKernelGradients, biasGradients);
            }

            return;
        }

        int group = LstmLayer.SequencesPerGroup<T>(steps, width);
        for (int first = 0; first < sequences; first += group)
        {
            int count = Math.Min(group, sequences - first);
            int start = first * steps, groupRows = count * steps;
            LstmLayer.AccumulateInputSideGradients(
                inputs.Slice(start * inputSize, groupRows * inputSize), groupRows, inputSize, width, kernel, gates.Slice(start * width, groupRows * width),
                inputGradients.IsEmpty ? default : inputGradients.Slice(start * inputSize, groupRows * inputSize), kernelGradients, biasGradients);
            for (int s = first; s < first + count; s++)
            {
                AccumulateRecurrentGradients(
                    steps, units, resetAfter, reverse, initialHidden.IsEmpty ? default : initialHidden.Slice(s * units, units),
                    gates.Slice(s * steps * width, steps * width), candidates.Slice(s * steps * units, steps * units), hidden.Slice(s * steps * units, steps * units),
                    recurrentKernelGradients, biasGradients);
            }
        }
    }


    /// <summary>
    /// The weight and input gradients of a batch run with recurrent dropout, sequence by sequence over its real steps (see
    /// <c>LstmLayer.AccumulateMaskedWeightGradients</c>): reset before, the candidate's block pairs the kept r ⊙ h ⊙ m_h
    /// with dĥ, already masked, so only z's and r's rows are scaled.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void AccumulateMaskedWeightGradients<T>(
        ReadOnlySpan<T> inputs, int sequences, int steps, int inputSize, int units, ReadOnlySpan<T> kernel, bool resetAfter,
        bool reverse, ReadOnlySpan<T> initialHidden, ReadOnlySpan<T> deltas, ReadOnlySpan<T> candidates, ReadOnlySpan<T> hidden,
        Span<T> inputGradients, Span<T> kernelGradients, Span<T> recurrentKernelGradients, Span<T> biasGradients,
        ReadOnlySpan<int> lengths, ReadOnlySpan<T> recurrentMasks, ReadOnlySpan<T> inputMasks, Span<T> scratch)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int width = 3 * units;
        Span<T> maskedKernel = RecurrentDropout.KernelPart(scratch, sequences, inputSize, units, width);
        Span<T> block = RecurrentDropout.GradientsPart(scratch, sequences, inputSize, units, width);
        for (int s = 0; s < sequences; s++)
        {
            int length = lengths.IsEmpty ? steps : lengths[s];
            int start = lengths.IsEmpty ? s * steps : BatchLengths.Start(lengths, s, steps, reverse);
            ReadOnlySpan<T> x = inputs.Slice(s * steps * inputSize, length * inputSize);
            ReadOnlySpan<T> d = deltas.Slice(start * width, length * width);
            Span<T> dx = inputGradients.IsEmpty ? default : inputGradients.Slice(s * steps * inputSize, length * inputSize);
            if (inputMasks.IsEmpty)
            {
                LstmLayer.AccumulateInputSideGradients(x, length, inputSize, width, kernel, d, dx, kernelGradients, biasGradients);
            }
            else
            {
                RecurrentDropout.EffectiveKernel(kernel, inputSize, units, 3, inputMasks, sequences, s, maskedKernel);
                Span<T> unmaskedKernel = block.Slice(0, inputSize * width);
                unmaskedKernel.Clear();
                LstmLayer.AccumulateInputSideGradients(x, length, inputSize, width, maskedKernel.Slice(0, inputSize * width), d, dx, unmaskedKernel, biasGradients);
                RecurrentDropout.AddScaledBlocks<T>(unmaskedKernel, inputSize, units, 3, inputMasks, sequences, s, kernelGradients);
            }

            Span<T> unmaskedRecurrent = block.Slice(0, units * width);
            unmaskedRecurrent.Clear();
            AccumulateRecurrentGradients(
                length, units, resetAfter, reverse, initialHidden.IsEmpty ? default : initialHidden.Slice(s * units, units),
                d, candidates.Slice(start * units, length * units), hidden.Slice(start * units, length * units), unmaskedRecurrent, biasGradients);
            RecurrentDropout.AddScaledBlocks<T>(unmaskedRecurrent, units, units, 3, recurrentMasks, sequences, s, recurrentKernelGradients, unscaledBlock: resetAfter ? -1 : 2);
        }
    }

    /// <summary>Sequence <paramref name="sequence"/>'s state before a step, from rows <paramref name="stride"/> apart, or empty for zeros.</summary>
    private static ReadOnlySpan<T> Previous<T>(ReadOnlySpan<T> rows, int stride, bool hasPrevious, int sequence, int units) =>
        hasPrevious ? rows.Slice(sequence * stride, units) : default;

    private static void CheckBatch(int rows, int units, int gates, int candidates, int hidden, int initialHidden, int sequences)
    {
        if (gates < (long)rows * 3 * units || candidates < (long)rows * units || hidden < (long)rows * units
            || (initialHidden != 0 && initialHidden < sequences * units))
        {
            throw new ArgumentException($"The batch needs gates [{rows}, {3 * units}], candidates and hidden [{rows}, {units}] and initial states [{sequences}, {units}] (or none).", nameof(gates));
        }
    }
}
