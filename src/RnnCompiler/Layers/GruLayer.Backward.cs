using System;
using System.Numerics;
using RnnCompiler.Kernels;
using System.Runtime.CompilerServices;

namespace RnnCompiler.Layers;

/// <summary>Backpropagation through time for the GRU, in both reset modes, from what <see cref="Forward{T}"/> kept.</summary>
public static partial class GruLayer
{
    /// <summary>
    /// Runs the recurrence backwards, then accumulates the weight gradients and (optionally) the input gradients of all
    /// steps at once (see <see cref="LstmLayer.Backward{T}"/>). The arguments up to <paramref name="hidden"/> are those
    /// of the forward call.
    /// </summary>
    /// <remarks>
    /// Each step's gradients before the activations of z, r and ĥ (the input side) are written over the step's row of
    /// <paramref name="gates"/>; reset after, the recurrent side differs only in ĥ's block (<c>r ⊙ dĥ</c>), which is
    /// written over the step's row of <paramref name="candidates"/>. Reset before, the candidates (<c>r ⊙ h[t-1]</c>)
    /// are the inputs of ĥ's recurrent block and are read, not written.
    /// </remarks>
    /// <param name="inputs">The forward inputs, [steps, inputSize].</param>
    /// <param name="steps">The number of steps.</param>
    /// <param name="inputSize">The width of one input step.</param>
    /// <param name="units">The size of the state.</param>
    /// <param name="kernel">[inputSize, 3 × units].</param>
    /// <param name="recurrentKernel">[units, 3 × units].</param>
    /// <param name="resetAfter">Keras's <c>reset_after</c>.</param>
    /// <param name="reverse">The direction the forward call ran.</param>
    /// <param name="initialHidden">The forward call's initial h (empty for zeros).</param>
    /// <param name="gates">The activated z, r, ĥ the forward call kept, [steps, 3 × units]; overwritten with their gradients before the activations.</param>
    /// <param name="candidates">The recurrent candidate parts the forward call kept, [steps, units]; reset after, overwritten with <c>r ⊙ dĥ</c>.</param>
    /// <param name="hidden">The hidden states the forward call kept, [steps, units].</param>
    /// <param name="hiddenGradients">dL/dh[t] from the layers above, [steps, units]; read only.</param>
    /// <param name="inputGradients">dL/dx[t] is added here, [steps, inputSize]; empty when no layer below needs it.</param>
    /// <param name="kernelGradients">Accumulates dL/dkernel.</param>
    /// <param name="recurrentKernelGradients">Accumulates dL/drecurrent_kernel.</param>
    /// <param name="biasGradients">Accumulates dL/dbias ([2, 3 × units] when reset after).</param>
    /// <param name="scratch">Working space of 2 × units.</param>
    /// <param name="activation">Keras's <c>activation</c>, of the candidate ĥ; tanh by default.</param>
    /// <param name="recurrentActivation">Keras's <c>recurrent_activation</c>, of the gates z and r; sigmoid by default.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Backward<T>(
        ReadOnlySpan<T> inputs, int steps, int inputSize, int units,
        ReadOnlySpan<T> kernel, ReadOnlySpan<T> recurrentKernel, bool resetAfter,
        bool reverse, ReadOnlySpan<T> initialHidden,
        Span<T> gates, Span<T> candidates, ReadOnlySpan<T> hidden,
        ReadOnlySpan<T> hiddenGradients, Span<T> inputGradients,
        Span<T> kernelGradients, Span<T> recurrentKernelGradients, Span<T> biasGradients,
        Span<T> scratch, Activation activation = Activation.Tanh, Activation recurrentActivation = Activation.Sigmoid)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int width = 3 * units;
        int gatesWidth = 2 * units;
        Span<T> nextHidden = scratch.Slice(0, units);
        Span<T> resetHidden = scratch.Slice(units, units);
        nextHidden.Clear();
        for (int k = steps - 1; k >= 0; k--)
        {
            int t = reverse ? steps - 1 - k : k;
            int before = reverse ? t + 1 : t - 1;
            ReadOnlySpan<T> previous = k == 0 ? initialHidden : hidden.Slice(before * units, units);
            Span<T> g = gates.Slice(t * width, width);
            Span<T> candidate = candidates.Slice(t * units, units);
            ReadOnlySpan<T> dh = hiddenGradients.Slice(t * units, units);

            StateGradients(g, previous, dh, nextHidden, units, activation, recurrentActivation);
            if (resetAfter)
            {
                ResetAfterGradients(g, candidate, units, recurrentActivation);
                if (!previous.IsEmpty)
                {
                    MatrixKernels.MultiplyTransposedAdd(g.Slice(0, gatesWidth), recurrentKernel, width, nextHidden);
                    MatrixKernels.MultiplyTransposedAdd(candidate, recurrentKernel.Slice(gatesWidth), width, nextHidden);
                }
            }
            else if (previous.IsEmpty)
            {
                g.Slice(units, units).Clear();
            }
            else
            {
                // ĥ = tanh(x·Wh + (r ⊙ h[t-1])·Uh + bh): the candidate kept is r ⊙ h[t-1].
                resetHidden.Clear();
                MatrixKernels.MultiplyTransposedAdd(g.Slice(gatesWidth, units), recurrentKernel.Slice(gatesWidth), width, resetHidden);
                ResetBeforeGradients(g, previous, resetHidden, nextHidden, units, recurrentActivation);
                MatrixKernels.MultiplyTransposedAdd(g.Slice(0, gatesWidth), recurrentKernel, width, nextHidden);
            }
        }

        AccumulateWeightGradients(inputs, steps, inputSize, units, kernel, resetAfter, reverse, initialHidden, gates, candidates, hidden, inputGradients, kernelGradients, recurrentKernelGradients, biasGradients);
    }

    /// <summary>
    /// Through <c>h = z ⊙ h[t-1] + (1 − z) ⊙ ĥ</c> and <c>ĥ = tanh(·)</c> for one step: with dL/dh = <paramref name="dh"/> +
    /// <paramref name="nextHidden"/>, z's and ĥ's gradients before their activations over z and ĥ in <paramref name="g"/>,
    /// and dL/dh[t-1]'s direct part <c>dL/dh ⊙ z</c> over <paramref name="nextHidden"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void StateGradients<T>(Span<T> g, ReadOnlySpan<T> previous, ReadOnlySpan<T> dh, Span<T> nextHidden, int units, Activation activation, Activation recurrentActivation)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (activation == Activation.Tanh && recurrentActivation == Activation.Sigmoid)
        {
            StateGradients<T, Activations.TanhFunction, Activations.SigmoidFunction>(g, previous, dh, nextHidden, units);
            return;
        }

        var kernel = new StateGradientKernel<T>(g, previous, dh, nextHidden, units);
        Activations.Dispatch(ref kernel, activation, recurrentActivation);
    }

    /// <summary><see cref="StateGradients{T, TCell, TGate}"/> for the activation pair <see cref="Activations.Dispatch{TKernel}"/> picks.</summary>
    private readonly ref struct StateGradientKernel<T>(Span<T> g, ReadOnlySpan<T> previous, ReadOnlySpan<T> dh, Span<T> nextHidden, int units) : IActivationPairKernel
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        private readonly Span<T> _g = g;
        private readonly ReadOnlySpan<T> _previous = previous;
        private readonly ReadOnlySpan<T> _dh = dh;
        private readonly Span<T> _nextHidden = nextHidden;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Run<TCell, TGate>()
            where TCell : struct, IActivationFunction
            where TGate : struct, IActivationFunction
            => StateGradients<T, TCell, TGate>(_g, _previous, _dh, _nextHidden, units);
    }

    /// <summary><see cref="StateGradients{T}"/> through <typeparamref name="TCell"/> (ĥ) and <typeparamref name="TGate"/> (z).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void StateGradients<T, TCell, TGate>(Span<T> g, ReadOnlySpan<T> previous, ReadOnlySpan<T> dh, Span<T> nextHidden, int units)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        where TCell : struct, IActivationFunction
        where TGate : struct, IActivationFunction
    {
        for (int j = 0; j < units; j++)
        {
            T z = g[j];
            T proposal = g[2 * units + j];
            T previousValue = previous.IsEmpty ? T.Zero : previous[j];
            T dHidden = dh[j] + nextHidden[j];
            nextHidden[j] = dHidden * z;
            g[j] = Activations.Chain<TGate, T>(dHidden * (previousValue - proposal), z);
            g[2 * units + j] = Activations.Chain<TCell, T>(dHidden * (T.One - z), proposal);
        }
    }

    /// <summary>Reset after, <c>ĥ = tanh(x·Wh + bh + r ⊙ (h·Uh + b'h))</c>: r's gradient over r, and <c>r ⊙ dĥ</c> over the kept <c>h·Uh + b'h</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ResetAfterGradients<T>(Span<T> g, Span<T> candidate, int units, Activation recurrentActivation)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        // Keras's default gates keep their inline chain rule (the bits Activations.Chain gives, without its switch per unit).
        bool sigmoid = recurrentActivation == Activation.Sigmoid;
        for (int j = 0; j < units; j++)
        {
            T r = g[units + j];
            T dProposal = g[2 * units + j];
            g[units + j] = sigmoid ? dProposal * candidate[j] * r * (T.One - r) : Activations.Chain(recurrentActivation, dProposal * candidate[j], r);
            candidate[j] = dProposal * r;
        }
    }

    /// <summary>Reset before, from <c>dL/d(r ⊙ h[t-1]) = dĥ·Uhᵀ</c> in <paramref name="resetHidden"/>: r's gradient over r, and <c>⊙ r</c> added to dL/dh[t-1].</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ResetBeforeGradients<T>(Span<T> g, ReadOnlySpan<T> previous, ReadOnlySpan<T> resetHidden, Span<T> nextHidden, int units, Activation recurrentActivation)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        // Keras's default gates keep their inline chain rule (the bits Activations.Chain gives, without its switch per unit).
        bool sigmoid = recurrentActivation == Activation.Sigmoid;
        for (int j = 0; j < units; j++)
        {
            T r = g[units + j];
            g[units + j] = sigmoid ? resetHidden[j] * previous[j] * r * (T.One - r) : Activations.Chain(recurrentActivation, resetHidden[j] * previous[j], r);
            nextHidden[j] += resetHidden[j] * r;
        }
    }

    /// <summary>
    /// The weight and input gradients of a sequence from the gradients its recurrence left in <paramref name="deltas"/>
    /// (the gates, [steps, 3 × units]) and <paramref name="candidates"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void AccumulateWeightGradients<T>(
        ReadOnlySpan<T> inputs, int steps, int inputSize, int units, ReadOnlySpan<T> kernel, bool resetAfter,
        bool reverse, ReadOnlySpan<T> initialHidden, ReadOnlySpan<T> deltas, ReadOnlySpan<T> candidates, ReadOnlySpan<T> hidden,
        Span<T> inputGradients, Span<T> kernelGradients, Span<T> recurrentKernelGradients, Span<T> biasGradients)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        // The weight and input gradients of every step at once. The input side is the same in both modes.
        LstmLayer.AccumulateInputSideGradients(inputs, steps, inputSize, 3 * units, kernel, deltas, inputGradients, kernelGradients, biasGradients);
        AccumulateRecurrentGradients(steps, units, resetAfter, reverse, initialHidden, deltas, candidates, hidden, recurrentKernelGradients, biasGradients);
    }

    /// <summary>
    /// The recurrent side of <see cref="AccumulateWeightGradients{T}"/> for one sequence: drecurrent_kernel (h[t-1] pairs
    /// with step t's gradients) and, with reset after, the recurrent bias.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void AccumulateRecurrentGradients<T>(
        int steps, int units, bool resetAfter, bool reverse, ReadOnlySpan<T> initialHidden, ReadOnlySpan<T> deltas,
        ReadOnlySpan<T> candidates, ReadOnlySpan<T> hidden, Span<T> recurrentKernelGradients, Span<T> biasGradients)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int width = 3 * units;
        int gatesWidth = 2 * units;
        deltas = deltas.Slice(0, steps * width);

        // z and r: h[t-1] with their gradients, as for the LSTM's gates.
        AddRecurrentGradients(hidden, initialHidden, steps, units, reverse, deltas, width, gatesWidth, recurrentKernelGradients);
        if (resetAfter)
        {
            // ĥ's recurrent block and bias b'h: h[t-1] with r ⊙ dĥ; b'z and b'r equal the input side's.
            MatrixKernels.AddColumnSums(deltas, width, steps, biasGradients.Slice(width, gatesWidth));
            MatrixKernels.AddColumnSums(candidates, units, steps, biasGradients.Slice(width + gatesWidth, units));
            AddRecurrentGradients(hidden, initialHidden, steps, units, reverse, candidates, units, units, recurrentKernelGradients.Slice(gatesWidth));
        }
        else
        {
            // ĥ's recurrent block: its input at step t is the kept r ⊙ h[t-1] (zero where h[t-1] was), with dĥ.
            MatrixKernels.AddTransposedProduct(candidates, units, deltas.Slice(gatesWidth), width, steps, units, units, recurrentKernelGradients.Slice(gatesWidth), width);
        }
    }

    /// <summary>
    /// <c>drecurrent_kernel[:, block] += H[t-1]ᵀ · D</c> over the steps, where row t of <paramref name="gradients"/> (rows
    /// <paramref name="stride"/> apart, <paramref name="columns"/> used) pairs with the state before step t: h of the
    /// neighbouring step, or <paramref name="initialHidden"/> (skipped when empty) for the first step processed.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void AddRecurrentGradients<T>(
        ReadOnlySpan<T> hidden, ReadOnlySpan<T> initialHidden, int steps, int units, bool reverse,
        ReadOnlySpan<T> gradients, int stride, int columns, Span<T> recurrentKernelGradients)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int width = 3 * units;
        if (steps > 1)
        {
            int pairs = steps - 1;
            ReadOnlySpan<T> previous = hidden.Slice(reverse ? units : 0, pairs * units);
            ReadOnlySpan<T> following = gradients.Slice(reverse ? 0 : stride);
            MatrixKernels.AddTransposedProduct(previous, units, following, stride, pairs, units, columns, recurrentKernelGradients, width);
        }

        if (!initialHidden.IsEmpty)
        {
            int first = reverse ? steps - 1 : 0;
            MatrixKernels.AddTransposedProduct(initialHidden, units, gradients.Slice(first * stride), stride, 1, units, columns, recurrentKernelGradients, width);
        }
    }
}
