using System;
using System.Numerics;
using RnnCompiler.Kernels;
using System.Runtime.CompilerServices;

namespace RnnCompiler.Layers;

/// <summary>
/// The LSTM over a training batch in lock step: step t of every sequence runs together, so the recurrent products are
/// matrix products with one row per sequence, and each row of the recurrent kernel is read once per step for the
/// whole batch instead of once per sequence.
/// </summary>
/// <remarks>
/// Buffers are batch-major, [sequences, steps, …]: sequence s occupies one contiguous block, laid out exactly as a
/// one-sequence call of <see cref="Forward{T}"/> lays it out, so layers without a batched pass can run sequence by
/// sequence over the same buffers. Initial states are [sequences, units], one row per sequence.
/// </remarks>
public static partial class LstmLayer
{
    /// <summary>
    /// <see cref="Forward{T}"/> for <paramref name="sequences"/> sequences of <paramref name="steps"/> steps at once: the
    /// input projection of every step of every sequence is one product, then each step adds <c>h[t-1]·U</c> for all
    /// sequences as one product (<see cref="MatrixKernels.AddProduct{T}"/>) and updates their states. Every element is
    /// summed in the order of the one-sequence pass, so sequence s gets bit for bit what <see cref="Forward{T}"/> gives it.
    /// </summary>
    /// <param name="inputs">The inputs, [sequences, steps, inputSize].</param>
    /// <param name="sequences">The number of sequences.</param>
    /// <param name="steps">The number of time steps of every sequence.</param>
    /// <param name="inputSize">The width of one input step.</param>
    /// <param name="units">The size of the state.</param>
    /// <param name="kernel">[inputSize, 4 × units].</param>
    /// <param name="recurrentKernel">[units, 4 × units].</param>
    /// <param name="bias">[4 × units].</param>
    /// <param name="reverse">When true the steps run from the last to the first.</param>
    /// <param name="initialHidden">h before the first step of each sequence, [sequences, units]; empty for zeros.</param>
    /// <param name="initialCell">c before the first step of each sequence, [sequences, units]; empty for zeros.</param>
    /// <param name="gates">Receives the activated gates, [sequences, steps, 4 × units].</param>
    /// <param name="cells">Receives c of each step, [sequences, steps, units].</param>
    /// <param name="hidden">Receives h of each step, [sequences, steps, units].</param>
    /// <param name="activation">Keras's <c>activation</c>; tanh by default.</param>
    /// <param name="recurrentActivation">Keras's <c>recurrent_activation</c>; sigmoid by default.</param>
    /// <param name="lengths">
    /// Empty when every sequence has <paramref name="steps"/> steps; else each sequence's length, longest first, laid out
    /// as packed sequences are here: the real steps at the start of each block of inputs and, for the reverse direction,
    /// at the end of each block of <paramref name="gates"/>, <paramref name="cells"/> and <paramref name="hidden"/> (their
    /// other rows are zeroed). Each step is one product over the sequences still running.
    /// </param>
    /// <param name="recurrentMasks">
    /// Empty, or Keras's <c>recurrent_dropout</c> masks on the state each step reads, one per gate and sequence,
    /// [4, sequences, units] (gates i, f, c, o).
    /// </param>
    /// <param name="inputMasks">Empty, or with <paramref name="recurrentMasks"/> Keras's per-gate <c>dropout</c> masks on the input, [4, sequences, inputSize].</param>
    /// <param name="dropoutScratch">With masks, working space (see <c>RecurrentDropout.ScratchSize</c>): sequences × units + (inputSize + max(inputSize, units)) × 4 × units.</param>
    /// <exception cref="ArgumentException">A span is too short for the shapes, or a length is out of order or range.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ForwardBatch<T>(
        ReadOnlySpan<T> inputs, int sequences, int steps, int inputSize, int units,
        ReadOnlySpan<T> kernel, ReadOnlySpan<T> recurrentKernel, ReadOnlySpan<T> bias,
        bool reverse, ReadOnlySpan<T> initialHidden, ReadOnlySpan<T> initialCell,
        Span<T> gates, Span<T> cells, Span<T> hidden,
        Activation activation = Activation.Tanh, Activation recurrentActivation = Activation.Sigmoid, ReadOnlySpan<int> lengths = default,
        ReadOnlySpan<T> recurrentMasks = default, ReadOnlySpan<T> inputMasks = default, Span<T> dropoutScratch = default)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (sequences <= 0 || steps <= 0)
        {
            return;
        }

        int width = 4 * units;
        int rows = sequences * steps;
        CheckBatch(rows, units, width, gates.Length, cells.Length, hidden.Length, initialHidden.Length, initialCell.Length, sequences);
        bool varying = !lengths.IsEmpty;
        bool masked = !recurrentMasks.IsEmpty;
        if (varying)
        {
            BatchLengths.Check(lengths, sequences, steps);
        }

        if (masked)
        {
            RecurrentDropout.Check(4, sequences, inputSize, units, width, recurrentMasks.Length, inputMasks.Length, dropoutScratch.Length);
        }

        Span<T> maskedRows = masked ? RecurrentDropout.RowsPart(dropoutScratch, sequences, units) : default;
        Span<T> maskedKernel = masked ? RecurrentDropout.KernelPart(dropoutScratch, sequences, inputSize, units, width) : default;

        if (!inputMasks.IsEmpty && masked)
        {
            RecurrentDropout.Project(inputs, sequences, steps, inputSize, kernel, bias.Slice(0, width), units, 4, lengths, reverse, inputMasks, maskedKernel, gates);
        }
        else if (varying)
        {
            BatchLengths.Project(inputs, sequences, steps, inputSize, kernel, bias.Slice(0, width), width, lengths, reverse, gates);
        }
        else
        {
            MatrixKernels.Project(inputs, rows, inputSize, kernel, bias.Slice(0, width), gates);
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

            Span<T> stepGates = gates.Slice(t * width);
            bool hasPrevious = k > 0 || !initialHidden.IsEmpty;
            ReadOnlySpan<T> previousRows = k > 0 ? hidden.Slice(before * units) : initialHidden;
            int previousStride = k > 0 ? steps * units : units;
            if (hasPrevious && masked)
            {
                for (int g = 0; g < 4; g++)
                {
                    RecurrentDropout.AddMaskedProduct(previousRows, previousStride, active, recurrentKernel.Slice(g * units), width, units, units, recurrentMasks, g, sequences, maskedRows, stepGates.Slice(g * units), steps * width);
                }
            }
            else if (hasPrevious)
            {
                MatrixKernels.AddProduct<T>(previousRows, previousStride, recurrentKernel, width, units, active, width, stepGates, steps * width);
            }

            for (int s = 0; s < active; s++)
            {
                int row = s * steps + t;
                ReadOnlySpan<T> previousCell = k > 0 ? cells.Slice((s * steps + before) * units, units)
                    : initialCell.IsEmpty ? default : initialCell.Slice(s * units, units);
                ActivateAndUpdate(gates.Slice(row * width, width), previousCell, cells.Slice(row * units, units), hidden.Slice(row * units, units), units, activation, recurrentActivation);
            }
        }

        if (varying)
        {
            BatchLengths.ClearPadding(cells, units, lengths, sequences, steps, reverse);
            BatchLengths.ClearPadding(hidden, units, lengths, sequences, steps, reverse);
        }
    }

    /// <summary>
    /// <see cref="Backward{T}"/> for the batch <see cref="ForwardBatch{T}"/> ran: the recurrence runs backwards in lock
    /// step, <c>dh[t-1] = δ[t]·Uᵀ</c> for all sequences as one product
    /// (<see cref="MatrixKernels.AddProductTransposed{T}"/>), then the weight and input gradients are added over groups of
    /// sequences, each gradient summing its terms sequence after sequence, as a loop of one-sequence calls adds them (the
    /// same bits). The arguments up to <paramref name="hidden"/> are those of the forward call.
    /// </summary>
    /// <param name="inputs">The forward inputs, [sequences, steps, inputSize].</param>
    /// <param name="sequences">The number of sequences.</param>
    /// <param name="steps">The number of steps of every sequence.</param>
    /// <param name="inputSize">The width of one input step.</param>
    /// <param name="units">The size of the state.</param>
    /// <param name="kernel">[inputSize, 4 × units].</param>
    /// <param name="recurrentKernel">[units, 4 × units].</param>
    /// <param name="reverse">The direction the forward call ran.</param>
    /// <param name="initialHidden">The forward call's initial h, [sequences, units] (empty for zeros).</param>
    /// <param name="initialCell">The forward call's initial c, [sequences, units] (empty for zeros).</param>
    /// <param name="gates">The activated gates the forward call kept; overwritten with the gate gradients.</param>
    /// <param name="cells">The cell states the forward call kept.</param>
    /// <param name="hidden">The hidden states the forward call kept.</param>
    /// <param name="hiddenGradients">dL/dh[t] from the layers above, [sequences, steps, units]; read only.</param>
    /// <param name="inputGradients">dL/dx[t] is added here, [sequences, steps, inputSize]; empty when no layer below needs it.</param>
    /// <param name="kernelGradients">Accumulates dL/dkernel.</param>
    /// <param name="recurrentKernelGradients">Accumulates dL/drecurrent_kernel.</param>
    /// <param name="biasGradients">Accumulates dL/dbias.</param>
    /// <param name="scratch">Working space of 2 × sequences × units.</param>
    /// <param name="activation">The forward call's <c>activation</c>.</param>
    /// <param name="recurrentActivation">The forward call's <c>recurrent_activation</c>.</param>
    /// <param name="lengths">The forward call's lengths (empty when every sequence has <paramref name="steps"/> steps).</param>
    /// <param name="recurrentMasks">The forward call's recurrent dropout masks, or empty.</param>
    /// <param name="inputMasks">The forward call's per-gate input dropout masks, or empty.</param>
    /// <param name="dropoutScratch">With masks, working space as the forward call's.</param>
    /// <param name="initialHiddenGradients">
    /// Receives dL/d(initialHidden), [sequences, units]: the gradient a state handed in (an encoder's, to a decoder) takes
    /// back; empty for none. It needs <paramref name="initialHidden"/>.
    /// </param>
    /// <param name="initialCellGradients">Receives dL/d(initialCell), [sequences, units]; empty for none. It needs <paramref name="initialCell"/>.</param>
    /// <param name="finalCellGradients">
    /// dL/d(each sequence's cell state after its last step), [sequences, units], from outside the layer (a decoder that
    /// starts from it); empty for none. The final hidden state's gradient comes in <paramref name="hiddenGradients"/> at
    /// the sequence's last step.
    /// </param>
    /// <exception cref="ArgumentException">A span is too short for the shapes, or a length is out of order or range.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void BackwardBatch<T>(
        ReadOnlySpan<T> inputs, int sequences, int steps, int inputSize, int units,
        ReadOnlySpan<T> kernel, ReadOnlySpan<T> recurrentKernel,
        bool reverse, ReadOnlySpan<T> initialHidden, ReadOnlySpan<T> initialCell,
        Span<T> gates, ReadOnlySpan<T> cells, ReadOnlySpan<T> hidden,
        ReadOnlySpan<T> hiddenGradients, Span<T> inputGradients,
        Span<T> kernelGradients, Span<T> recurrentKernelGradients, Span<T> biasGradients,
        Span<T> scratch, Activation activation = Activation.Tanh, Activation recurrentActivation = Activation.Sigmoid, ReadOnlySpan<int> lengths = default,
        ReadOnlySpan<T> recurrentMasks = default, ReadOnlySpan<T> inputMasks = default, Span<T> dropoutScratch = default,
        Span<T> initialHiddenGradients = default, Span<T> initialCellGradients = default, ReadOnlySpan<T> finalCellGradients = default)
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
            RecurrentDropout.Check(4, sequences, inputSize, units, 4 * units, recurrentMasks.Length, inputMasks.Length, dropoutScratch.Length);
        }

        int states = sequences * units;
        if ((!initialHiddenGradients.IsEmpty && (initialHiddenGradients.Length < states || initialHidden.Length < states))
            || (!initialCellGradients.IsEmpty && (initialCellGradients.Length < states || initialCell.Length < states))
            || (!finalCellGradients.IsEmpty && finalCellGradients.Length < states))
        {
            throw new ArgumentException($"The gradients of the initial states need those states, and each state gradient is [{sequences}, {units}].", nameof(initialHiddenGradients));
        }

        int width = 4 * units;
        int rows = sequences * steps;
        CheckBatch(rows, units, width, gates.Length, cells.Length, hidden.Length, initialHidden.Length, initialCell.Length, sequences);
        if (hiddenGradients.Length < rows * units || scratch.Length < 2 * sequences * units
            || (!inputGradients.IsEmpty && inputGradients.Length < rows * inputSize))
        {
            throw new ArgumentException($"The batch needs hidden gradients [{rows}, {units}], input gradients [{rows}, {inputSize}] (or none) and a scratch of {2 * sequences * units}.", nameof(scratch));
        }

        Span<T> nextHidden = scratch.Slice(0, sequences * units);
        Span<T> nextCell = scratch.Slice(sequences * units, sequences * units);
        nextHidden.Clear();
        nextCell.Clear();
        if (!finalCellGradients.IsEmpty)
        {
            // Each sequence's cell gradient starts with what reaches its final state from outside; it is read at the
            // sequence's last step, and no step before that touches its row.
            finalCellGradients.Slice(0, states).CopyTo(nextCell);
        }

        bool intoInitial = !initialHiddenGradients.IsEmpty;
        for (int k = steps - 1; k >= 0; k--)
        {
            int t = reverse ? steps - 1 - k : k;
            int before = reverse ? t + 1 : t - 1;
            int active = varying ? BatchLengths.Active(lengths, sequences, k) : sequences;
            if (active == 0)
            {
                continue;
            }

            for (int s = 0; s < active; s++)
            {
                int row = s * steps + t;
                ReadOnlySpan<T> previousCell = k > 0 ? cells.Slice((s * steps + before) * units, units)
                    : initialCell.IsEmpty ? default : initialCell.Slice(s * units, units);
                Span<T> delta = gates.Slice(row * width, width);
                GateGradients(delta, cells.Slice(row * units, units), hiddenGradients.Slice(row * units, units), previousCell, units,
                    nextHidden.Slice(s * units, units), nextCell.Slice(s * units, units), delta, activation, recurrentActivation);
            }

            // dh of the step before; the first step's goes to the initial state when asked for, else nowhere.
            nextHidden.Clear();
            if ((k > 0 || intoInitial) && masked)
            {
                for (int g = 0; g < 4; g++)
                {
                    RecurrentDropout.AddMaskedTransposedProduct(gates.Slice(t * width + g * units), steps * width, active, recurrentKernel.Slice(g * units), width, units, recurrentMasks, g, sequences, dropoutScratch, nextHidden);
                }
            }
            else if (k > 0 || intoInitial)
            {
                MatrixKernels.AddProductTransposed<T>(gates.Slice(t * width), steps * width, recurrentKernel, width, width, active, units, nextHidden, units);
            }
        }

        // After the first step (every sequence has it), the scratch holds dL/d(the initial states).
        if (intoInitial)
        {
            nextHidden.CopyTo(initialHiddenGradients);
        }

        if (!initialCellGradients.IsEmpty)
        {
            nextCell.CopyTo(initialCellGradients);
        }

        if (masked)
        {
            AccumulateMaskedWeightGradients(
                inputs, sequences, steps, inputSize, units, 4, kernel, reverse, initialHidden, gates, hidden,
                inputGradients, kernelGradients, recurrentKernelGradients, biasGradients, lengths, recurrentMasks, inputMasks, dropoutScratch);
            return;
        }

        AccumulateBatchWeightGradients(
            inputs, sequences, steps, inputSize, units, width, kernel, reverse, initialHidden, gates, hidden,
            inputGradients, kernelGradients, recurrentKernelGradients, biasGradients, lengths);
    }

    private static void CheckBatch(int rows, int units, int width, int gates, int cells, int hidden, int initialHidden, int initialCell, int sequences)
    {
        if (gates < (long)rows * width || cells < (long)rows * units || hidden < (long)rows * units
            || (initialHidden != 0 && initialHidden < sequences * units) || (initialCell != 0 && initialCell < sequences * units))
        {
            throw new ArgumentException($"The batch needs gates [{rows}, {width}], cells and hidden [{rows}, {units}] and initial states [{sequences}, {units}] (or none).", nameof(gates));
        }
    }
}
