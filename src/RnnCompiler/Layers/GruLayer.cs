using System;
using System.Diagnostics.CodeAnalysis;
using System.ComponentModel;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using RnnCompiler.Kernels;

namespace RnnCompiler.Layers;

/// <summary>
/// The GRU recurrence in Keras's layout: kernel [input, 3 × units], recurrent_kernel [units, 3 × units], gate column
/// blocks z, r, h; bias [2, 3 × units] (input bias, recurrent bias) when the reset gate applies after the recurrent
/// product (<c>reset_after=True</c>, PyTorch's form), [3 × units] when before.
/// <code>
/// z = σ(x·Wz + h·Uz + b)   r = σ(x·Wr + h·Ur + b)
/// after:  ĥ = tanh(x·Wh + bh + r ⊙ (h·Uh + b'h))     before: ĥ = tanh(x·Wh + (r ⊙ h)·Uh + bh)
/// h[t] = z ⊙ h[t-1] + (1 - z) ⊙ ĥ
/// </code>
/// </summary>
/// <remarks>Called by generated code; not meant to be called directly.</remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public static partial class GruLayer
{
    /// <summary>Runs the layer over <paramref name="steps"/> steps, keeping what backpropagation through time reads.</summary>
    /// <param name="inputs">The inputs, [steps, inputSize].</param>
    /// <param name="steps">The number of time steps.</param>
    /// <param name="inputSize">The width of one input step.</param>
    /// <param name="units">The size of the state.</param>
    /// <param name="kernel">[inputSize, 3 × units].</param>
    /// <param name="recurrentKernel">[units, 3 × units].</param>
    /// <param name="bias">[2 × 3 × units] when <paramref name="resetAfter"/>, else [3 × units].</param>
    /// <param name="resetAfter">Keras's <c>reset_after</c>.</param>
    /// <param name="reverse">When true the steps run from the last to the first.</param>
    /// <param name="initialHidden">h before the first step processed, [units]; empty for zeros.</param>
    /// <param name="gates">Receives the activated z, r, ĥ of each step, [steps, 3 × units].</param>
    /// <param name="candidates">
    /// Receives, per step, <c>h·Uh + b'h</c> (reset after) or <c>r ⊙ h[t-1]</c> (reset before), [steps, units].
    /// </param>
    /// <param name="hidden">Receives h of each step, [steps, units]; row t belongs to input step t in both directions.</param>
    /// <param name="scratch">Working space of 3 × units.</param>
    /// <param name="recurrentLayout">
    /// How <paramref name="recurrentKernel"/> is laid out: Keras's row-major layout, or (reset after only) a copy packed by
    /// <see cref="MatrixKernels.PackPanels{T}"/> (the same results, read in address order). The kernel is always row-major.
    /// </param>
    /// <exception cref="ArgumentException">Panels with reset before, whose candidate product reads a block of the columns.</exception>
    /// <param name="activation">Keras's <c>activation</c>, of the candidate ĥ; tanh by default.</param>
    /// <param name="recurrentActivation">Keras's <c>recurrent_activation</c>, of the gates z and r; sigmoid by default.</param>
    [SuppressMessage("ApiDesign", "RS0026:Do not add multiple public overloads with optional parameters", Justification = "Called by generated code only; the float and bfloat16 overloads differ in their weight types, so no call is ambiguous.")]
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Forward<T>(
        ReadOnlySpan<T> inputs, int steps, int inputSize, int units,
        ReadOnlySpan<T> kernel, ReadOnlySpan<T> recurrentKernel, ReadOnlySpan<T> bias, bool resetAfter,
        bool reverse, ReadOnlySpan<T> initialHidden,
        Span<T> gates, Span<T> candidates, Span<T> hidden, Span<T> scratch, MatrixLayout recurrentLayout = MatrixLayout.RowMajor, Activation activation = Activation.Tanh, Activation recurrentActivation = Activation.Sigmoid)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        CheckLayout(resetAfter, recurrentLayout, nameof(recurrentLayout));
        int width = 3 * units;
        MatrixKernels.Project(inputs, steps, inputSize, kernel, bias.Slice(0, width), gates);
        ReadOnlySpan<T> recurrentBias = resetAfter ? bias.Slice(width, width) : default;
        Span<T> recurrent = scratch.Slice(0, width);
        ReadOnlySpan<T> previous = initialHidden;
        for (int k = 0; k < steps; k++)
        {
            int t = reverse ? steps - 1 - k : k;
            Span<T> g = gates.Slice(t * width, width);
            Span<T> candidate = candidates.Slice(t * units, units);
            Span<T> h = hidden.Slice(t * units, units);
            if (resetAfter)
            {
                // The recurrent product of all three gates, with its own bias, before any gate is applied.
                recurrentBias.CopyTo(recurrent);
                if (!previous.IsEmpty)
                {
                    MatrixKernels.MultiplyAdd(previous.Slice(0, units), recurrentKernel, width, recurrent, recurrentLayout);
                }

                // Gates, candidate and the new state, fused into one pass over the units.
                UpdateResetAfter(g, recurrent, candidate, previous.IsEmpty ? previous : previous.Slice(0, units), h, units, activation, recurrentActivation);
            }
            else
            {
                // z and r first; the candidate's recurrent product then reads r ⊙ h[t-1].
                if (!previous.IsEmpty)
                {
                    MatrixKernels.MultiplyAdd(previous.Slice(0, units), recurrentKernel, width, g.Slice(0, 2 * units));
                }

                ResetBeforeGates(g, previous, candidate, units, recurrentActivation);
                if (!previous.IsEmpty)
                {
                    MatrixKernels.MultiplyAdd(candidate, recurrentKernel.Slice(2 * units), width, g.Slice(2 * units, units));
                }

                ResetBeforeUpdate(g, previous, h, units, activation);
            }

            previous = h;
        }
    }

    /// <summary>
    /// Reset before, the gates of one step once z and r hold their sums: <c>z = σ(·)</c>, <c>r = σ(·)</c> in place, and
    /// the candidate's recurrent input <c>r ⊙ h[t-1]</c> (zeros for a zero state) into <paramref name="candidate"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ResetBeforeGates<T>(Span<T> g, ReadOnlySpan<T> previous, Span<T> candidate, int units, Activation recurrentActivation)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        Span<T> zr = g.Slice(0, 2 * units);
        Activations.Apply(recurrentActivation, zr);
        for (int j = 0; j < units; j++)
        {
            candidate[j] = previous.IsEmpty ? T.Zero : g[units + j] * previous[j];
        }
    }

    /// <summary>Reset before, the rest of one step once ĥ holds its sum: <c>ĥ = tanh(·)</c> in place, <c>h = z ⊙ h[t-1] + (1 − z) ⊙ ĥ</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ResetBeforeUpdate<T>(Span<T> g, ReadOnlySpan<T> previous, Span<T> h, int units, Activation activation)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        Span<T> proposal = g.Slice(2 * units, units);
        Activations.Apply(activation, proposal);
        for (int j = 0; j < units; j++)
        {
            T z = g[j];
            T before = previous.IsEmpty ? T.Zero : previous[j];
            h[j] = z * before + (T.One - z) * g[2 * units + j];
        }
    }

    /// <summary>
    /// One streaming step from the carried state, overwriting <paramref name="hidden"/>. Reset after: the input part
    /// <c>x·W + b</c> and the recurrent part <c>h·U + b'</c> are one register-blocked pass each, then gates, candidate and
    /// state are one fused pass. Gives bit for bit what <see cref="Forward{T}"/> gives for one step from the same state.
    /// </summary>
    /// <param name="input">The input of this step, [inputSize].</param>
    /// <param name="inputSize">The width of the input.</param>
    /// <param name="units">The size of the state.</param>
    /// <param name="kernel">[inputSize, 3 × units].</param>
    /// <param name="recurrentKernel">[units, 3 × units].</param>
    /// <param name="bias">[2 × 3 × units] when <paramref name="resetAfter"/>, else [3 × units].</param>
    /// <param name="resetAfter">Keras's <c>reset_after</c>.</param>
    /// <param name="hidden">h: the state before the step in, the state after it out, [units].</param>
    /// <param name="gates">Receives the activated z, r, ĥ, [3 × units].</param>
    /// <param name="candidates">Receives <c>h·Uh + b'h</c> (reset after) or <c>r ⊙ h[t-1]</c> (reset before), [units].</param>
    /// <param name="scratch">Working space of 3 × units.</param>
    /// <param name="kernelLayout">
    /// How <paramref name="kernel"/> is laid out: Keras's row-major layout, or (reset after only) a copy packed by
    /// <see cref="MatrixKernels.PackPanels{T}"/> (the same results, read in address order).
    /// </param>
    /// <param name="recurrentLayout">How <paramref name="recurrentKernel"/> is laid out, likewise.</param>
    /// <exception cref="ArgumentException">Panels with reset before, whose candidate product reads a block of the columns.</exception>
    /// <param name="activation">Keras's <c>activation</c>, of the candidate ĥ; tanh by default.</param>
    /// <param name="recurrentActivation">Keras's <c>recurrent_activation</c>, of the gates z and r; sigmoid by default.</param>
    [SuppressMessage("ApiDesign", "RS0026:Do not add multiple public overloads with optional parameters", Justification = "Called by generated code only; the float and bfloat16 overloads differ in their weight types, so no call is ambiguous.")]
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Step<T>(
        ReadOnlySpan<T> input, int inputSize, int units,
        ReadOnlySpan<T> kernel, ReadOnlySpan<T> recurrentKernel, ReadOnlySpan<T> bias, bool resetAfter,
        Span<T> hidden, Span<T> gates, Span<T> candidates, Span<T> scratch,
        MatrixLayout kernelLayout = MatrixLayout.RowMajor, MatrixLayout recurrentLayout = MatrixLayout.RowMajor, Activation activation = Activation.Tanh, Activation recurrentActivation = Activation.Sigmoid)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        CheckLayout(resetAfter, kernelLayout, nameof(kernelLayout));
        CheckLayout(resetAfter, recurrentLayout, nameof(recurrentLayout));
        if (!resetAfter)
        {
            // The candidate's recurrent product reads r ⊙ h[t-1], so it cannot share the pass with z and r.
            Forward(input, 1, inputSize, units, kernel, recurrentKernel, bias, resetAfter, reverse: false, hidden, gates, candidates, hidden, scratch,
                MatrixLayout.RowMajor, activation, recurrentActivation);
            return;
        }

        int width = 3 * units;
        Span<T> g = gates.Slice(0, width);
        Span<T> recurrent = scratch.Slice(0, width);
        bool rowMajor = (kernelLayout == MatrixLayout.RowMajor || !MatrixKernels.UsesPanels<T>(inputSize, width))
            && (recurrentLayout == MatrixLayout.RowMajor || !MatrixKernels.UsesPanels<T>(units, width));
        // The two-vector step is Keras's default activations only; other pairs take the general path.
        if (rowMajor && activation == Activation.Tanh && recurrentActivation == Activation.Sigmoid && hidden.Length >= units && candidates.Length >= units && bias.Length >= 2 * width && input.Length >= inputSize
            && kernel.Length >= (long)inputSize * width && recurrentKernel.Length >= (long)units * width)
        {
            // A state of exactly two vectors (32 floats with AVX-512, 16 with AVX2): both products in registers in one method.
            if (VectorPaths.Use512 && Vector512<T>.IsSupported && units == 2 * Vector512<T>.Count)
            {
                StepTwoVectors<Simd512<T>, T>(input.Slice(0, inputSize), kernel, recurrentKernel, bias, hidden, g, candidates, recurrent);
                return;
            }

            if (Vector256.IsHardwareAccelerated && Vector256<T>.IsSupported && units == 2 * Vector256<T>.Count)
            {
                StepTwoVectors<Simd256<T>, T>(input.Slice(0, inputSize), kernel, recurrentKernel, bias, hidden, g, candidates, recurrent);
                return;
            }
        }

        MatrixKernels.Affine(input.Slice(0, inputSize), kernel, default, default, bias.Slice(0, width), g, kernelLayout, MatrixLayout.RowMajor);
        MatrixKernels.Affine(hidden.Slice(0, units), recurrentKernel, default, default, bias.Slice(width, width), recurrent, recurrentLayout, MatrixLayout.RowMajor);
        UpdateResetAfter(g, recurrent, candidates, hidden, hidden, units, activation, recurrentActivation);
    }

    /// <summary>
    /// A reset-after <see cref="Step{T}"/> for a state of exactly two vectors: <c>x·W + b</c> and <c>h·U + b'</c> in six
    /// accumulators each (a gate's two vectors of units), every sum in the order <c>MatrixKernels.Affine</c> uses, stored
    /// and handed to the general path's <see cref="UpdateColumns{TVector, T, TCell, TGate}"/>; so the bits are those of the general path,
    /// without its argument checks and dispatch. Shapes are checked by the caller.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void StepTwoVectors<TVector, T>(
        ReadOnlySpan<T> input, ReadOnlySpan<T> kernel, ReadOnlySpan<T> recurrentKernel, ReadOnlySpan<T> bias,
        Span<T> hidden, Span<T> gates, Span<T> candidates, Span<T> recurrent)
        where TVector : struct, ISimdVector<TVector, T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        nuint v = (nuint)TVector.Count;
        nuint units = 2 * v;
        nuint stride = 3 * units;
        ref T b = ref MemoryMarshal.GetReference(bias);
        ref T h = ref MemoryMarshal.GetReference(hidden);
        ref T g = ref MemoryMarshal.GetReference(gates);
        ref T r = ref MemoryMarshal.GetReference(recurrent);

        // x·W + b into the gates, h·U + b' into the recurrent part; h is overwritten only after both.
        SixVectorSums<TVector, T>(ref MemoryMarshal.GetReference(input), (nuint)input.Length, ref MemoryMarshal.GetReference(kernel), stride, ref b, ref g);
        SixVectorSums<TVector, T>(ref h, units, ref MemoryMarshal.GetReference(recurrentKernel), stride, ref Unsafe.Add(ref b, stride), ref r);
        UpdateColumns<TVector, T, Activations.TanhFunction, Activations.SigmoidFunction>(ref g, ref r, ref MemoryMarshal.GetReference(candidates), ref h, true, ref h, (int)units, 0);
    }

    /// <summary>
    /// <c>destination = start + a·M</c> over six vectors of columns (a reset-after GRU's three gates, two vectors each):
    /// <paramref name="count"/> rows of M, <paramref name="stride"/> apart, each scaled by its element of a and added in
    /// row order, as <c>MatrixKernels.Affine</c> sums a column block.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void SixVectorSums<TVector, T>(ref T a, nuint count, ref T m, nuint stride, ref T start, ref T destination)
        where TVector : struct, ISimdVector<TVector, T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        nuint v = (nuint)TVector.Count;
        TVector s0 = TVector.Load(ref start, 0), s1 = TVector.Load(ref start, v), s2 = TVector.Load(ref start, 2 * v);
        TVector s3 = TVector.Load(ref start, 3 * v), s4 = TVector.Load(ref start, 4 * v), s5 = TVector.Load(ref start, 5 * v);
        nuint row = 0;
        for (nuint k = 0; k < count; k++, row += stride)
        {
            TVector ak = TVector.Create(Unsafe.Add(ref a, k));
            s0 = TVector.MultiplyAdd(ak, TVector.Load(ref m, row), s0);
            s1 = TVector.MultiplyAdd(ak, TVector.Load(ref m, row + v), s1);
            s2 = TVector.MultiplyAdd(ak, TVector.Load(ref m, row + 2 * v), s2);
            s3 = TVector.MultiplyAdd(ak, TVector.Load(ref m, row + 3 * v), s3);
            s4 = TVector.MultiplyAdd(ak, TVector.Load(ref m, row + 4 * v), s4);
            s5 = TVector.MultiplyAdd(ak, TVector.Load(ref m, row + 5 * v), s5);
        }

        TVector.Store(s0, ref destination, 0); TVector.Store(s1, ref destination, v); TVector.Store(s2, ref destination, 2 * v);
        TVector.Store(s3, ref destination, 3 * v); TVector.Store(s4, ref destination, 4 * v); TVector.Store(s5, ref destination, 5 * v);
    }

    private static void CheckLayout(bool resetAfter, MatrixLayout layout, string name)
    {
        if (!resetAfter && layout != MatrixLayout.RowMajor)
        {
            throw new ArgumentException("Reset before reads the candidate's block of the recurrent kernel on its own, so its kernels must be row-major.", name);
        }
    }

    /// <summary>
    /// One reset-after step from the input part <paramref name="g"/> (x·W + b, [3 × units]) and the recurrent part
    /// <paramref name="recurrent"/> (h·U + b', [3 × units]): <c>z = σ(gz + rz)</c>, <c>r = σ(gr + rr)</c>,
    /// <c>ĥ = tanh(gh + r ⊙ rh)</c> into <paramref name="g"/>, <c>rh</c> into <paramref name="candidate"/>, and
    /// <c>h = z ⊙ h[t-1] + (1 − z) ⊙ ĥ</c>. <paramref name="previous"/> is empty for a zero state and may be <paramref name="h"/> itself.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void UpdateResetAfter<T>(Span<T> g, ReadOnlySpan<T> recurrent, Span<T> candidate, ReadOnlySpan<T> previous, Span<T> h, int units, Activation activation, Activation recurrentActivation)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (activation == Activation.Tanh && recurrentActivation == Activation.Sigmoid)
        {
            UpdateResetAfter<T, Activations.TanhFunction, Activations.SigmoidFunction>(g, recurrent, candidate, previous, h, units);
            return;
        }

        var kernel = new ResetAfterKernel<T>(g, recurrent, candidate, previous, h, units);
        Activations.Dispatch(ref kernel, activation, recurrentActivation);
    }

    /// <summary><see cref="UpdateResetAfter{T, TCell, TGate}"/> for the activation pair <see cref="Activations.Dispatch{TKernel}"/> picks.</summary>
    private readonly ref struct ResetAfterKernel<T>(Span<T> g, ReadOnlySpan<T> recurrent, Span<T> candidate, ReadOnlySpan<T> previous, Span<T> h, int units) : IActivationPairKernel
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        private readonly Span<T> _g = g;
        private readonly ReadOnlySpan<T> _recurrent = recurrent;
        private readonly Span<T> _candidate = candidate;
        private readonly ReadOnlySpan<T> _previous = previous;
        private readonly Span<T> _h = h;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Run<TCell, TGate>()
            where TCell : struct, IActivationFunction
            where TGate : struct, IActivationFunction
            => UpdateResetAfter<T, TCell, TGate>(_g, _recurrent, _candidate, _previous, _h, units);
    }

    /// <summary>The reset-after update with <typeparamref name="TCell"/> for ĥ and <typeparamref name="TGate"/> for z and r.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void UpdateResetAfter<T, TCell, TGate>(Span<T> g, ReadOnlySpan<T> recurrent, Span<T> candidate, ReadOnlySpan<T> previous, Span<T> h, int units)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        where TCell : struct, IActivationFunction
        where TGate : struct, IActivationFunction
    {
        if (g.Length < 3 * units || recurrent.Length < 3 * units || candidate.Length < units || h.Length < units || (!previous.IsEmpty && previous.Length < units))
        {
            throw new ArgumentException($"A GRU step needs gates [{3 * units}], candidates and hidden [{units}].", nameof(g));
        }

        ref T gRef = ref MemoryMarshal.GetReference(g);
        ref T recurrentRef = ref MemoryMarshal.GetReference(recurrent);
        ref T candidateRef = ref MemoryMarshal.GetReference(candidate);
        ref T hRef = ref MemoryMarshal.GetReference(h);
        bool hasPrevious = !previous.IsEmpty;
        ref T previousRef = ref hasPrevious ? ref MemoryMarshal.GetReference(previous) : ref hRef;
        int j = 0;
        if (VectorPaths.Use512 && Vector512<T>.IsSupported && units - j >= Vector512<T>.Count)
        {
            j = UpdateColumns<Simd512<T>, T, TCell, TGate>(ref gRef, ref recurrentRef, ref candidateRef, ref previousRef, hasPrevious, ref hRef, units, j);
        }

        if (Vector256.IsHardwareAccelerated && Vector256<T>.IsSupported && units - j >= Vector256<T>.Count)
        {
            j = UpdateColumns<Simd256<T>, T, TCell, TGate>(ref gRef, ref recurrentRef, ref candidateRef, ref previousRef, hasPrevious, ref hRef, units, j);
        }

        if (Vector128.IsHardwareAccelerated && Vector128<T>.IsSupported && units - j >= Vector128<T>.Count)
        {
            j = UpdateColumns<Simd128<T>, T, TCell, TGate>(ref gRef, ref recurrentRef, ref candidateRef, ref previousRef, hasPrevious, ref hRef, units, j);
        }

        if (j < units)
        {
            UpdateColumns<Scalar<T>, T, TCell, TGate>(ref gRef, ref recurrentRef, ref candidateRef, ref previousRef, hasPrevious, ref hRef, units, j);
        }
    }

    /// <summary>Units from <paramref name="j"/> on, one vector of each gate at a time; returns the first unit left over.</summary>
    /// <remarks>
    /// Not inlined on purpose: each width is its own method, so the JIT's inlining budget covers the activations
    /// inlined here. Inlined into the caller, the four widths together exhaust it and even Load and Store become calls.
    /// </remarks>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static int UpdateColumns<TVector, T, TCell, TGate>(ref T g, ref T recurrent, ref T candidate, ref T previous, bool hasPrevious, ref T h, int units, int j)
        where TVector : struct, ISimdVector<TVector, T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        where TCell : struct, IActivationFunction
        where TGate : struct, IActivationFunction
    {
        int width = TVector.Count;
        nuint u = (nuint)units;
        TVector one = TVector.Create(T.One);
        for (; j + width <= units; j += width)
        {
            nuint o = (nuint)j;
            TVector z = TGate.Invoke<TVector, T>(TVector.Add(TVector.Load(ref g, o), TVector.Load(ref recurrent, o)));
            TVector r = TGate.Invoke<TVector, T>(TVector.Add(TVector.Load(ref g, u + o), TVector.Load(ref recurrent, u + o)));
            TVector recurrentCandidate = TVector.Load(ref recurrent, 2 * u + o);
            TVector proposal = TCell.Invoke<TVector, T>(TVector.MultiplyAdd(r, recurrentCandidate, TVector.Load(ref g, 2 * u + o)));
            TVector.Store(z, ref g, o);
            TVector.Store(r, ref g, u + o);
            TVector.Store(proposal, ref g, 2 * u + o);
            TVector.Store(recurrentCandidate, ref candidate, o);
            TVector state = TVector.Multiply(TVector.Subtract(one, z), proposal);
            if (hasPrevious)
            {
                state = TVector.MultiplyAdd(z, TVector.Load(ref previous, o), state);
            }

            TVector.Store(state, ref h, o);
        }

        return j;
    }
}
