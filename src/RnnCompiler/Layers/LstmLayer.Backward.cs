using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using RnnCompiler.Kernels;

namespace RnnCompiler.Layers;

/// <summary>Backpropagation through time for the LSTM, from what <see cref="Forward{T}"/> kept.</summary>
public static partial class LstmLayer
{
    /// <summary>
    /// Runs the recurrence backwards from the last step processed to the first, then accumulates the weight gradients
    /// and (optionally) the input gradients of all steps at once. The arguments up to <paramref name="hidden"/> are
    /// those of the forward call.
    /// </summary>
    /// <remarks>
    /// The recurrence only needs, per step, the gate gradients δ[t] and <c>dh[t-1] = δ[t]·Uᵀ</c>; δ[t] is written over
    /// the step's gates once they are read, so <paramref name="gates"/> ends holding Δ, the gate gradients of every
    /// step. The rest are matrix products over the whole sequence: <c>dkernel += Xᵀ·Δ</c>,
    /// <c>drecurrent_kernel += H[t-1]ᵀ·Δ</c>, <c>dbias += Σ_t δ[t]</c>, <c>dx += Δ·kernelᵀ</c>. Each weight-gradient
    /// element is then read and written once per sequence instead of once per step (a step's rank-one updates were a
    /// read-modify-write of every gradient for one multiply-add each).
    /// </remarks>
    /// <param name="inputs">The forward inputs, [steps, inputSize].</param>
    /// <param name="steps">The number of steps.</param>
    /// <param name="inputSize">The width of one input step.</param>
    /// <param name="units">The size of the state.</param>
    /// <param name="kernel">[inputSize, 4 × units].</param>
    /// <param name="recurrentKernel">[units, 4 × units].</param>
    /// <param name="reverse">The direction the forward call ran.</param>
    /// <param name="initialHidden">The forward call's initial h (empty for zeros).</param>
    /// <param name="initialCell">The forward call's initial c (empty for zeros).</param>
    /// <param name="gates">
    /// The activated gates the forward call kept, [steps, 4 × units]; overwritten with the gate gradients (before the
    /// activations) of every step.
    /// </param>
    /// <param name="cells">The cell states the forward call kept, [steps, units].</param>
    /// <param name="hidden">The hidden states the forward call kept, [steps, units].</param>
    /// <param name="hiddenGradients">dL/dh[t] from the layers above, [steps, units]; read only.</param>
    /// <param name="inputGradients">dL/dx[t] is added here, [steps, inputSize]; empty when no layer below needs it.</param>
    /// <param name="kernelGradients">Accumulates dL/dkernel.</param>
    /// <param name="recurrentKernelGradients">Accumulates dL/drecurrent_kernel.</param>
    /// <param name="biasGradients">Accumulates dL/dbias.</param>
    /// <param name="scratch">Working space of 2 × units.</param>
    /// <param name="activation">The forward call's <c>activation</c>.</param>
    /// <param name="recurrentActivation">The forward call's <c>recurrent_activation</c>.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Backward<T>(
        ReadOnlySpan<T> inputs, int steps, int inputSize, int units,
        ReadOnlySpan<T> kernel, ReadOnlySpan<T> recurrentKernel,
        bool reverse, ReadOnlySpan<T> initialHidden, ReadOnlySpan<T> initialCell,
        Span<T> gates, ReadOnlySpan<T> cells, ReadOnlySpan<T> hidden,
        ReadOnlySpan<T> hiddenGradients, Span<T> inputGradients,
        Span<T> kernelGradients, Span<T> recurrentKernelGradients, Span<T> biasGradients,
        Span<T> scratch, Activation activation = Activation.Tanh, Activation recurrentActivation = Activation.Sigmoid)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int width = 4 * units;
        Span<T> nextHidden = scratch.Slice(0, units);
        Span<T> nextCell = scratch.Slice(units, units);
        nextHidden.Clear();
        nextCell.Clear();
        for (int k = steps - 1; k >= 0; k--)
        {
            int t = reverse ? steps - 1 - k : k;
            int before = reverse ? t + 1 : t - 1;
            ReadOnlySpan<T> previousHidden = k == 0 ? initialHidden : hidden.Slice(before * units, units);
            ReadOnlySpan<T> previousCell = k == 0 ? initialCell : cells.Slice(before * units, units);
            Span<T> delta = gates.Slice(t * width, width);
            GateGradients(delta, cells.Slice(t * units, units), hiddenGradients.Slice(t * units, units), previousCell, units, nextHidden, nextCell, delta, activation, recurrentActivation);
            nextHidden.Clear();
            if (!previousHidden.IsEmpty)
            {
                MatrixKernels.MultiplyTransposedAdd(delta, recurrentKernel, width, nextHidden);
            }
        }

        AccumulateWeightGradients(inputs, steps, inputSize, units, width, kernel, reverse, initialHidden, gates, hidden, inputGradients, kernelGradients, recurrentKernelGradients, biasGradients);
    }

    /// <summary>
    /// The gradients of a gated layer's weights and inputs from the pre-activation gradients Δ [steps, width] of every
    /// step: <c>dbias += Σ_t δ[t]</c>, <c>dkernel += Xᵀ·Δ</c>, <c>drecurrent_kernel += H[t-1]ᵀ·Δ</c> (h[t-1] of the
    /// first step processed is <paramref name="initialHidden"/>, skipped when empty), <c>dx += Δ·kernelᵀ</c>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void AccumulateWeightGradients<T>(
        ReadOnlySpan<T> inputs, int steps, int inputSize, int units, int width, ReadOnlySpan<T> kernel,
        bool reverse, ReadOnlySpan<T> initialHidden, ReadOnlySpan<T> deltas, ReadOnlySpan<T> hidden,
        Span<T> inputGradients, Span<T> kernelGradients, Span<T> recurrentKernelGradients, Span<T> biasGradients)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        AccumulateInputSideGradients(inputs, steps, inputSize, width, kernel, deltas, inputGradients, kernelGradients, biasGradients);
        AccumulateRecurrentGradients(steps, units, width, reverse, initialHidden, deltas, hidden, recurrentKernelGradients);
    }

    /// <summary>
    /// <see cref="AccumulateWeightGradients{T}"/> for a batch the lock-step backward pass left in <paramref name="deltas"/>
    /// ([sequences, steps, width]), a few sequences at a time (<see cref="SequencesPerGroup{T}"/>). Each gradient sums its
    /// terms sequence after sequence, as a loop of one-sequence calls does, so the bits are the same; but the input side
    /// (<see cref="AccumulateInputSideGradients{T}"/>) runs over a group's rows in one call: dbias and dkernel continue
    /// their sums down the rows of the group (a product keeps each element's running sum in a register from one sequence
    /// to the next), and dx's rows are independent. drecurrent_kernel pairs h[t-1] with δ[t] inside each sequence, so it
    /// goes sequence by sequence.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void AccumulateBatchWeightGradients<T>(
        ReadOnlySpan<T> inputs, int sequences, int steps, int inputSize, int units, int width, ReadOnlySpan<T> kernel,
        bool reverse, ReadOnlySpan<T> initialHidden, ReadOnlySpan<T> deltas, ReadOnlySpan<T> hidden,
        Span<T> inputGradients, Span<T> kernelGradients, Span<T> recurrentKernelGradients, Span<T> biasGradients,
        ReadOnlySpan<int> lengths = default)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (!lengths.IsEmpty)
        {
            // Sequence by sequence over its real steps only, as a one-sequence call of its length adds them.
            for (int s = 0; s < sequences; s++)
            {
                int length = lengths[s];
                int start = BatchLengths.Start(lengths, s, steps, reverse);
                AccumulateInputSideGradients(
                    inputs.Slice(s * steps * inputSize, length * inputSize), length, inputSize, width, kernel, deltas.Slice(start * width, length * width),
                    inputGradients.IsEmpty ? default : inputGradients.Slice(s * steps * inputSize, length * inputSize), kernelGradients, biasGradients);
                AccumulateRecurrentGradients(
                    length, units, width, reverse, initialHidden.IsEmpty ? default : initialHidden.Slice(s * units, units),
                    deltas.Slice(start * width, length * width), hidden.Slice(start * units, length * units), recurrentKernelGradients);
            }

            return;
        }

        int group = SequencesPerGroup<T>(steps, width);
        for (int first = 0; first < sequences; first += group)
        {
            int count = Math.Min(group, sequences - first);
            int start = first * steps, rows = count * steps;
            AccumulateInputSideGradients(
                inputs.Slice(start * inputSize, rows * inputSize), rows, inputSize, width, kernel, deltas.Slice(start * width, rows * width),
                inputGradients.IsEmpty ? default : inputGradients.Slice(start * inputSize, rows * inputSize), kernelGradients, biasGradients);
            for (int s = first; s < first + count; s++)
            {
                AccumulateRecurrentGradients(
                    steps, units, width, reverse, initialHidden.IsEmpty ? default : initialHidden.Slice(s * units, units),
                    deltas.Slice(s * steps * width, steps * width), hidden.Slice(s * steps * units, steps * units), recurrentKernelGradients);
            }
        }
    }

    /// <summary>
    /// The weight and input gradients of a batch run with recurrent dropout (LSTM and SimpleRNN), sequence by sequence
    /// over its real steps: the input side with the sequence's masked kernel (or the kernel, without input masks), the
    /// recurrent side unmasked into a scratch whose rows are then scaled by each gate's mask (see <see cref="RecurrentDropout"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void AccumulateMaskedWeightGradients<T>(
        ReadOnlySpan<T> inputs, int sequences, int steps, int inputSize, int units, int gates, ReadOnlySpan<T> kernel,
        bool reverse, ReadOnlySpan<T> initialHidden, ReadOnlySpan<T> deltas, ReadOnlySpan<T> hidden,
        Span<T> inputGradients, Span<T> kernelGradients, Span<T> recurrentKernelGradients, Span<T> biasGradients,
        ReadOnlySpan<int> lengths, ReadOnlySpan<T> recurrentMasks, ReadOnlySpan<T> inputMasks, Span<T> scratch)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int width = gates * units;
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
                AccumulateInputSideGradients(x, length, inputSize, width, kernel, d, dx, kernelGradients, biasGradients);
            }
            else
            {
                RecurrentDropout.EffectiveKernel(kernel, inputSize, units, gates, inputMasks, sequences, s, maskedKernel);
                Span<T> unmaskedKernel = block.Slice(0, inputSize * width);
                unmaskedKernel.Clear();
                AccumulateInputSideGradients(x, length, inputSize, width, maskedKernel.Slice(0, inputSize * width), d, dx, unmaskedKernel, biasGradients);
                RecurrentDropout.AddScaledBlocks<T>(unmaskedKernel, inputSize, units, gates, inputMasks, sequences, s, kernelGradients);
            }

            Span<T> unmaskedRecurrent = block.Slice(0, units * width);
            unmaskedRecurrent.Clear();
            AccumulateRecurrentGradients(
                length, units, width, reverse, initialHidden.IsEmpty ? default : initialHidden.Slice(s * units, units),
                d, hidden.Slice(start * units, length * units), unmaskedRecurrent);
            RecurrentDropout.AddScaledBlocks<T>(unmaskedRecurrent, units, units, gates, recurrentMasks, sequences, s, recurrentKernelGradients);
        }
    }

    /// <summary>
    /// How many sequences' weight gradients run as one group in the batch backward passes: as many as fit
    /// <see cref="WeightGradientGroupBytes"/> of gradients of the layer's sums, at least one. The group's gradients stay in
    /// L2 for its three products; the whole batch at once (2 MB of them for 32 × 32 steps of LSTM 128) was slower than
    /// one sequence at a time.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static int SequencesPerGroup<T>(int steps, int width)
        where T : unmanaged
        => (int)Math.Max(1, WeightGradientGroupBytes / Math.Max(1L, (long)steps * width * Unsafe.SizeOf<T>()));

    /// <summary>The bytes of gradients one group of the batch weight-gradient products reads (four sequences of LSTM 128 × 32 steps).</summary>
    private const int WeightGradientGroupBytes = 256 * 1024;

    /// <summary>
    /// The input side of <see cref="AccumulateWeightGradients{T}"/> over <paramref name="rows"/> rows of Δ (the steps of
    /// one sequence or of several in a row): <c>dbias[0, width) += Σ δ</c>, <c>dkernel += Xᵀ·Δ</c> and, unless
    /// <paramref name="inputGradients"/> is empty, <c>dx += Δ·kernelᵀ</c>. No term pairs two steps. LSTM, GRU and SimpleRNN
    /// share it.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void AccumulateInputSideGradients<T>(
        ReadOnlySpan<T> inputs, int rows, int inputSize, int width, ReadOnlySpan<T> kernel, ReadOnlySpan<T> deltas,
        Span<T> inputGradients, Span<T> kernelGradients, Span<T> biasGradients)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        MatrixKernels.AddColumnSums(deltas, width, rows, biasGradients.Slice(0, width));
        MatrixKernels.AddTransposedProduct(inputs, inputSize, deltas, width, rows, inputSize, width, kernelGradients, width);
        if (!inputGradients.IsEmpty)
        {
            MatrixKernels.AddProductTransposed(deltas, width, kernel, width, width, rows, inputSize, inputGradients, inputSize);
        }
    }

    /// <summary>
    /// <c>drecurrent_kernel += H[t-1]ᵀ·Δ</c> for one sequence: h[t-1] pairs with δ[t] (forward, rows 0..steps-2 of h with
    /// rows 1..steps-1 of Δ; reversed, the other way round), then <paramref name="initialHidden"/> with the first step
    /// processed, skipped when empty.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void AccumulateRecurrentGradients<T>(
        int steps, int units, int width, bool reverse, ReadOnlySpan<T> initialHidden, ReadOnlySpan<T> deltas, ReadOnlySpan<T> hidden,
        Span<T> recurrentKernelGradients)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (steps > 1)
        {
            int pairs = steps - 1;
            ReadOnlySpan<T> previous = hidden.Slice(reverse ? units : 0, pairs * units);
            ReadOnlySpan<T> following = deltas.Slice(reverse ? 0 : width, pairs * width);
            MatrixKernels.AddTransposedProduct(previous, units, following, width, pairs, units, width, recurrentKernelGradients, width);
        }

        if (!initialHidden.IsEmpty)
        {
            int first = reverse ? steps - 1 : 0;
            MatrixKernels.AddTransposedProduct(initialHidden, units, deltas.Slice(first * width, width), width, 1, units, width, recurrentKernelGradients, width);
        }
    }

    /// <summary>
    /// One step's gate gradients (i, f, g, o at offsets 0, u, 2u, 3u) and dL/dc for the step before, from dL/dh, the
    /// kept gates and c, with the cell's activation (tanh unless declared otherwise) recomputed by the forward pass's
    /// vectorized algorithm. Elementwise, widest vector first, then narrower ones and one lane: every width computes the
    /// same thing.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void GateGradients<T>(
        ReadOnlySpan<T> gates, ReadOnlySpan<T> cells, ReadOnlySpan<T> dh, ReadOnlySpan<T> previousCell, int units,
        Span<T> nextHidden, Span<T> nextCell, Span<T> gateGradients, Activation activation, Activation recurrentActivation)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (activation == Activation.Tanh && recurrentActivation == Activation.Sigmoid)
        {
            GateGradients<T, Activations.TanhFunction, Activations.SigmoidFunction>(gates, cells, dh, previousCell, units, nextHidden, nextCell, gateGradients);
            return;
        }

        var kernel = new GradientKernel<T>(gates, cells, dh, previousCell, units, nextHidden, nextCell, gateGradients);
        Activations.Dispatch(ref kernel, activation, recurrentActivation);
    }

    /// <summary><see cref="GateGradients{T, TCell, TGate}"/> for the activation pair <see cref="Activations.Dispatch{TKernel}"/> picks.</summary>
    private readonly ref struct GradientKernel<T>(
        ReadOnlySpan<T> gates, ReadOnlySpan<T> cells, ReadOnlySpan<T> dh, ReadOnlySpan<T> previousCell, int units,
        Span<T> nextHidden, Span<T> nextCell, Span<T> gateGradients) : IActivationPairKernel
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        private readonly ReadOnlySpan<T> _gates = gates;
        private readonly ReadOnlySpan<T> _cells = cells;
        private readonly ReadOnlySpan<T> _dh = dh;
        private readonly ReadOnlySpan<T> _previousCell = previousCell;
        private readonly Span<T> _nextHidden = nextHidden;
        private readonly Span<T> _nextCell = nextCell;
        private readonly Span<T> _gateGradients = gateGradients;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Run<TCell, TGate>()
            where TCell : struct, IActivationFunction
            where TGate : struct, IActivationFunction
            => GateGradients<T, TCell, TGate>(_gates, _cells, _dh, _previousCell, units, _nextHidden, _nextCell, _gateGradients);
    }

    /// <summary>The gate gradients through <typeparamref name="TCell"/> (g and the cell) and <typeparamref name="TGate"/> (i, f, o).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void GateGradients<T, TCell, TGate>(
        ReadOnlySpan<T> gates, ReadOnlySpan<T> cells, ReadOnlySpan<T> dh, ReadOnlySpan<T> previousCell, int units,
        Span<T> nextHidden, Span<T> nextCell, Span<T> gateGradients)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        where TCell : struct, IActivationFunction
        where TGate : struct, IActivationFunction
    {
        if (gates.Length < 4 * units || cells.Length < units || dh.Length < units || nextHidden.Length < units
            || nextCell.Length < units || gateGradients.Length < 4 * units || (!previousCell.IsEmpty && previousCell.Length < units))
        {
            throw new ArgumentException("The LSTM backward buffers are too short for the units.", nameof(units));
        }

        ref T gRef = ref MemoryMarshal.GetReference(gates);
        ref T cRef = ref MemoryMarshal.GetReference(cells);
        ref T dhRef = ref MemoryMarshal.GetReference(dh);
        ref T pcRef = ref MemoryMarshal.GetReference(previousCell);
        ref T nhRef = ref MemoryMarshal.GetReference(nextHidden);
        ref T ncRef = ref MemoryMarshal.GetReference(nextCell);
        ref T ggRef = ref MemoryMarshal.GetReference(gateGradients);
        bool hasCell = !previousCell.IsEmpty;
        int j = 0;
        if (VectorPaths.Use512 && Vector512<T>.IsSupported)
        {
            j = GateGradientsWidth<Simd512<T>, T, TCell, TGate>(ref gRef, ref cRef, ref dhRef, ref pcRef, hasCell, units, ref nhRef, ref ncRef, ref ggRef, j);
        }

        if (Vector256.IsHardwareAccelerated && Vector256<T>.IsSupported)
        {
            j = GateGradientsWidth<Simd256<T>, T, TCell, TGate>(ref gRef, ref cRef, ref dhRef, ref pcRef, hasCell, units, ref nhRef, ref ncRef, ref ggRef, j);
        }

        if (Vector128.IsHardwareAccelerated && Vector128<T>.IsSupported)
        {
            j = GateGradientsWidth<Simd128<T>, T, TCell, TGate>(ref gRef, ref cRef, ref dhRef, ref pcRef, hasCell, units, ref nhRef, ref ncRef, ref ggRef, j);
        }

        GateGradientsWidth<Scalar<T>, T, TCell, TGate>(ref gRef, ref cRef, ref dhRef, ref pcRef, hasCell, units, ref nhRef, ref ncRef, ref ggRef, j);
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static int GateGradientsWidth<TVector, T, TCell, TGate>(
        ref T gates, ref T cells, ref T dh, ref T previousCell, bool hasCell, int units,
        ref T nextHidden, ref T nextCell, ref T gateGradients, int j)
        where TVector : struct, ISimdVector<TVector, T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        where TCell : struct, IActivationFunction
        where TGate : struct, IActivationFunction
    {
        nuint u = (nuint)units;
        for (; j + TVector.Count <= units; j += TVector.Count)
        {
            nuint o = (nuint)j;
            TVector input = TVector.Load(ref gates, o);
            TVector forget = TVector.Load(ref gates, u + o);
            TVector candidate = TVector.Load(ref gates, 2 * u + o);
            TVector output = TVector.Load(ref gates, 3 * u + o);
            TVector activeCell = TCell.Invoke<TVector, T>(TVector.Load(ref cells, o));
            TVector dHidden = TVector.Add(TVector.Load(ref dh, o), TVector.Load(ref nextHidden, o));
            TVector dCell = TVector.Add(TVector.Load(ref nextCell, o), TCell.Chain<TVector, T>(TVector.Multiply(dHidden, output), activeCell));
            TVector cellBefore = hasCell ? TVector.Load(ref previousCell, o) : TVector.Create(T.Zero);
            TVector.Store(TVector.Multiply(dCell, forget), ref nextCell, o);
            TVector.Store(TGate.Chain<TVector, T>(TVector.Multiply(dCell, candidate), input), ref gateGradients, o);
            TVector.Store(TGate.Chain<TVector, T>(TVector.Multiply(dCell, cellBefore), forget), ref gateGradients, u + o);
            TVector.Store(TCell.Chain<TVector, T>(TVector.Multiply(dCell, input), candidate), ref gateGradients, 2 * u + o);
            TVector.Store(TGate.Chain<TVector, T>(TVector.Multiply(dHidden, activeCell), output), ref gateGradients, 3 * u + o);
        }

        return j;
    }

    /// <summary><c>target += values</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Accumulate<T>(Span<T> target, ReadOnlySpan<T> values)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        => MatrixKernels.Axpy(T.One, values, target);
}
