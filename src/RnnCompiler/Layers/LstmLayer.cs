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
/// The LSTM recurrence in Keras's layout: kernel [input, 4 × units], recurrent_kernel [units, 4 × units],
/// bias [4 × units], gate column blocks i, f, c, o.
/// <code>
/// i = σ(x·Wi + h·Ui + bi)   f = σ(x·Wf + h·Uf + bf)   g = tanh(x·Wc + h·Uc + bc)   o = σ(x·Wo + h·Uo + bo)
/// c[t] = f ⊙ c[t-1] + i ⊙ g                           h[t] = o ⊙ tanh(c[t])
/// </code>
/// </summary>
/// <remarks>Called by generated code; not meant to be called directly.</remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public static partial class LstmLayer
{
    /// <summary>
    /// Runs the layer over <paramref name="steps"/> steps, keeping every step's activated gates, cell and hidden state
    /// (what backpropagation through time reads). Streaming is the same call with one step, the state spans passed as
    /// both the initial state and the outputs.
    /// </summary>
    /// <param name="inputs">The inputs, [steps, inputSize].</param>
    /// <param name="steps">The number of time steps.</param>
    /// <param name="inputSize">The width of one input step.</param>
    /// <param name="units">The size of the state.</param>
    /// <param name="kernel">[inputSize, 4 × units].</param>
    /// <param name="recurrentKernel">[units, 4 × units].</param>
    /// <param name="bias">[4 × units].</param>
    /// <param name="reverse">When true the steps run from the last to the first (the backward half of a bidirectional layer).</param>
    /// <param name="initialHidden">h before the first step processed, [units]; empty for zeros.</param>
    /// <param name="initialCell">c before the first step processed, [units]; empty for zeros.</param>
    /// <param name="gates">Receives the activated gates i, f, g, o of each step, [steps, 4 × units].</param>
    /// <param name="cells">Receives c of each step, [steps, units].</param>
    /// <param name="hidden">Receives h of each step, [steps, units]; row t belongs to input step t in both directions.</param>
    /// <param name="recurrentLayout">
    /// How <paramref name="recurrentKernel"/> is laid out: Keras's row-major layout, or a copy packed by
    /// <see cref="MatrixKernels.PackPanels{T}"/> (the same results, read in address order). The kernel is always row-major.
    /// </param>
    /// <param name="activation">Keras's <c>activation</c>: of the candidate g and of the cell in h; tanh by default.</param>
    /// <param name="recurrentActivation">Keras's <c>recurrent_activation</c>: of the gates i, f and o; sigmoid by default.</param>
    [SuppressMessage("ApiDesign", "RS0026:Do not add multiple public overloads with optional parameters", Justification = "Called by generated code only; the float and bfloat16 overloads differ in their weight types, so no call is ambiguous.")]
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Forward<T>(
        ReadOnlySpan<T> inputs, int steps, int inputSize, int units,
        ReadOnlySpan<T> kernel, ReadOnlySpan<T> recurrentKernel, ReadOnlySpan<T> bias,
        bool reverse, ReadOnlySpan<T> initialHidden, ReadOnlySpan<T> initialCell,
        Span<T> gates, Span<T> cells, Span<T> hidden, MatrixLayout recurrentLayout = MatrixLayout.RowMajor,
        Activation activation = Activation.Tanh, Activation recurrentActivation = Activation.Sigmoid)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int width = 4 * units;
        MatrixKernels.Project(inputs, steps, inputSize, kernel, bias.Slice(0, width), gates);
        ReadOnlySpan<T> previousHidden = initialHidden;
        ReadOnlySpan<T> previousCell = initialCell;
        for (int k = 0; k < steps; k++)
        {
            int t = reverse ? steps - 1 - k : k;
            Span<T> g = gates.Slice(t * width, width);
            if (!previousHidden.IsEmpty)
            {
                MatrixKernels.MultiplyAdd(previousHidden.Slice(0, units), recurrentKernel, width, g, recurrentLayout);
            }

            Span<T> c = cells.Slice(t * units, units);
            Span<T> h = hidden.Slice(t * units, units);
            ActivateAndUpdate(g, previousCell.IsEmpty ? previousCell : previousCell.Slice(0, units), c, h, units, activation, recurrentActivation);
            previousHidden = h;
            previousCell = c;
        }
    }

    /// <summary>
    /// One streaming step from the carried state: <c>gates = x·W + h·U + b</c> in one pass over both matrices (each block
    /// of gate sums stays in registers from the bias to the store), then the fused gate and state update, which
    /// overwrites <paramref name="hidden"/> and <paramref name="cell"/>. Gives bit for bit what <see cref="Forward{T}"/>
    /// gives for one step from the same state.
    /// </summary>
    /// <param name="input">The input of this step, [inputSize].</param>
    /// <param name="inputSize">The width of the input.</param>
    /// <param name="units">The size of the state.</param>
    /// <param name="kernel">[inputSize, 4 × units].</param>
    /// <param name="recurrentKernel">[units, 4 × units].</param>
    /// <param name="bias">[4 × units].</param>
    /// <param name="hidden">h: the state before the step in, the state after it out, [units].</param>
    /// <param name="cell">c: the cell before the step in, the cell after it out, [units].</param>
    /// <param name="gates">Receives the activated gates i, f, g, o, [4 × units].</param>
    /// <param name="kernelLayout">
    /// How <paramref name="kernel"/> is laid out: Keras's row-major layout, or a copy packed by
    /// <see cref="MatrixKernels.PackPanels{T}"/> (the same results, read in address order).
    /// </param>
    /// <param name="recurrentLayout">How <paramref name="recurrentKernel"/> is laid out, likewise.</param>
    /// <param name="activation">Keras's <c>activation</c>: of the candidate g and of the cell in h; tanh by default.</param>
    /// <param name="recurrentActivation">Keras's <c>recurrent_activation</c>: of the gates i, f and o; sigmoid by default.</param>
    [SuppressMessage("ApiDesign", "RS0026:Do not add multiple public overloads with optional parameters", Justification = "Called by generated code only; the float and bfloat16 overloads differ in their weight types, so no call is ambiguous.")]
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Step<T>(
        ReadOnlySpan<T> input, int inputSize, int units,
        ReadOnlySpan<T> kernel, ReadOnlySpan<T> recurrentKernel, ReadOnlySpan<T> bias,
        Span<T> hidden, Span<T> cell, Span<T> gates,
        MatrixLayout kernelLayout = MatrixLayout.RowMajor, MatrixLayout recurrentLayout = MatrixLayout.RowMajor,
        Activation activation = Activation.Tanh, Activation recurrentActivation = Activation.Sigmoid)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int width = 4 * units;
        Span<T> g = gates.Slice(0, width);
        ReadOnlySpan<T> x = input.Slice(0, inputSize);
        bool rowMajor = (kernelLayout == MatrixLayout.RowMajor || !MatrixKernels.UsesPanels<T>(inputSize, width))
            && (recurrentLayout == MatrixLayout.RowMajor || !MatrixKernels.UsesPanels<T>(units, width));
        // The one- and two-vector steps are Keras's default activations only; other pairs take the general path.
        if (rowMajor && activation == Activation.Tanh && recurrentActivation == Activation.Sigmoid && hidden.Length >= units && cell.Length >= units && bias.Length >= width
            && kernel.Length >= (long)inputSize * width && recurrentKernel.Length >= (long)units * width)
        {
            // A state of exactly one vector: the whole step in one method, the four gate sums in registers throughout.
            if (VectorPaths.Use512 && Vector512<T>.IsSupported && units == Vector512<T>.Count)
            {
                StepOneVector<Simd512<T>, T>(x, kernel, recurrentKernel, bias, hidden, cell, g);
                return;
            }

            if (Vector256.IsHardwareAccelerated && Vector256<T>.IsSupported && units == Vector256<T>.Count)
            {
                StepOneVector<Simd256<T>, T>(x, kernel, recurrentKernel, bias, hidden, cell, g);
                return;
            }

            // Two vectors (32 floats with AVX-512, 16 with AVX2): the same in eight accumulators.
            if (VectorPaths.Use512 && Vector512<T>.IsSupported && units == 2 * Vector512<T>.Count)
            {
                StepTwoVectors<Simd512<T>, T>(x, kernel, recurrentKernel, bias, hidden, cell, g);
                return;
            }

            if (Vector256.IsHardwareAccelerated && Vector256<T>.IsSupported && units == 2 * Vector256<T>.Count)
            {
                StepTwoVectors<Simd256<T>, T>(x, kernel, recurrentKernel, bias, hidden, cell, g);
                return;
            }
        }

        MatrixKernels.Affine(x, kernel, hidden.Slice(0, units), recurrentKernel, bias.Slice(0, width), g, kernelLayout, recurrentLayout);
        ActivateAndUpdate(g, cell, cell, hidden, units, activation, recurrentActivation);
    }

    /// <summary>
    /// <see cref="Step{T}"/> for a state of exactly one vector (8 floats with AVX2, 16 with AVX-512): the bias, the input
    /// rows and the state rows summed into four gate accumulators, activated and used for the state update without
    /// leaving registers, in one call instead of four. Each sum runs in the order <c>MatrixKernels.Affine</c> uses and the
    /// update is <see cref="UpdateVector{TVector, T, TCell, TGate}"/>, so the result is bit for bit that of the general path; shapes
    /// are checked by the caller.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void StepOneVector<TVector, T>(ReadOnlySpan<T> input, ReadOnlySpan<T> kernel, ReadOnlySpan<T> recurrentKernel, ReadOnlySpan<T> bias, Span<T> hidden, Span<T> cell, Span<T> gates)
        where TVector : struct, ISimdVector<TVector, T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        nuint v = (nuint)TVector.Count;
        nuint stride = 4 * v;
        ref T x = ref MemoryMarshal.GetReference(input);
        ref T w = ref MemoryMarshal.GetReference(kernel);
        ref T u = ref MemoryMarshal.GetReference(recurrentKernel);
        ref T b = ref MemoryMarshal.GetReference(bias);
        ref T h = ref MemoryMarshal.GetReference(hidden);
        ref T c = ref MemoryMarshal.GetReference(cell);
        ref T g = ref MemoryMarshal.GetReference(gates);
        TVector inputSum = TVector.Load(ref b, 0);
        TVector forgetSum = TVector.Load(ref b, v);
        TVector candidateSum = TVector.Load(ref b, 2 * v);
        TVector outputSum = TVector.Load(ref b, 3 * v);
        nuint row = 0;
        for (int k = 0; k < input.Length; k++, row += stride)
        {
            TVector xk = TVector.Create(Unsafe.Add(ref x, k));
            inputSum = TVector.MultiplyAdd(xk, TVector.Load(ref w, row), inputSum);
            forgetSum = TVector.MultiplyAdd(xk, TVector.Load(ref w, row + v), forgetSum);
            candidateSum = TVector.MultiplyAdd(xk, TVector.Load(ref w, row + 2 * v), candidateSum);
            outputSum = TVector.MultiplyAdd(xk, TVector.Load(ref w, row + 3 * v), outputSum);
        }

        row = 0;
        for (int k = 0; k < TVector.Count; k++, row += stride)
        {
            TVector hk = TVector.Create(Unsafe.Add(ref h, k));
            inputSum = TVector.MultiplyAdd(hk, TVector.Load(ref u, row), inputSum);
            forgetSum = TVector.MultiplyAdd(hk, TVector.Load(ref u, row + v), forgetSum);
            candidateSum = TVector.MultiplyAdd(hk, TVector.Load(ref u, row + 2 * v), candidateSum);
            outputSum = TVector.MultiplyAdd(hk, TVector.Load(ref u, row + 3 * v), outputSum);
        }

        UpdateVector<TVector, T, Activations.TanhFunction, Activations.SigmoidFunction>(inputSum, forgetSum, candidateSum, outputSum, ref g, v, 0, ref c, hasCell: true, ref c, ref h);
    }

    /// <summary>
    /// <see cref="StepOneVector{TVector, T}"/> for a state of exactly two vectors: eight gate accumulators (each gate's
    /// two vectors of units), every sum in the order of <c>MatrixKernels.Affine</c>'s eight-vector column block, then
    /// the general path's <see cref="UpdateColumns{TVector, T, TCell, TGate}"/>; so the bits are those of the general path, without
    /// its argument checks and dispatch (LSTM 1→32 step 145 → 126 ns on Zen 5). All eight sums are stored before h is
    /// overwritten.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void StepTwoVectors<TVector, T>(ReadOnlySpan<T> input, ReadOnlySpan<T> kernel, ReadOnlySpan<T> recurrentKernel, ReadOnlySpan<T> bias, Span<T> hidden, Span<T> cell, Span<T> gates)
        where TVector : struct, ISimdVector<TVector, T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        nuint v = (nuint)TVector.Count;
        nuint units = 2 * v;
        nuint stride = 4 * units;
        ref T x = ref MemoryMarshal.GetReference(input);
        ref T w = ref MemoryMarshal.GetReference(kernel);
        ref T u = ref MemoryMarshal.GetReference(recurrentKernel);
        ref T b = ref MemoryMarshal.GetReference(bias);
        ref T h = ref MemoryMarshal.GetReference(hidden);
        ref T c = ref MemoryMarshal.GetReference(cell);
        ref T g = ref MemoryMarshal.GetReference(gates);
        TVector input0 = TVector.Load(ref b, 0), input1 = TVector.Load(ref b, v);
        TVector forget0 = TVector.Load(ref b, 2 * v), forget1 = TVector.Load(ref b, 3 * v);
        TVector candidate0 = TVector.Load(ref b, 4 * v), candidate1 = TVector.Load(ref b, 5 * v);
        TVector output0 = TVector.Load(ref b, 6 * v), output1 = TVector.Load(ref b, 7 * v);
        nuint row = 0;
        for (int k = 0; k < input.Length; k++, row += stride)
        {
            TVector xk = TVector.Create(Unsafe.Add(ref x, k));
            input0 = TVector.MultiplyAdd(xk, TVector.Load(ref w, row), input0);
            input1 = TVector.MultiplyAdd(xk, TVector.Load(ref w, row + v), input1);
            forget0 = TVector.MultiplyAdd(xk, TVector.Load(ref w, row + 2 * v), forget0);
            forget1 = TVector.MultiplyAdd(xk, TVector.Load(ref w, row + 3 * v), forget1);
            candidate0 = TVector.MultiplyAdd(xk, TVector.Load(ref w, row + 4 * v), candidate0);
            candidate1 = TVector.MultiplyAdd(xk, TVector.Load(ref w, row + 5 * v), candidate1);
            output0 = TVector.MultiplyAdd(xk, TVector.Load(ref w, row + 6 * v), output0);
            output1 = TVector.MultiplyAdd(xk, TVector.Load(ref w, row + 7 * v), output1);
        }

        row = 0;
        for (nuint k = 0; k < units; k++, row += stride)
        {
            TVector hk = TVector.Create(Unsafe.Add(ref h, k));
            input0 = TVector.MultiplyAdd(hk, TVector.Load(ref u, row), input0);
            input1 = TVector.MultiplyAdd(hk, TVector.Load(ref u, row + v), input1);
            forget0 = TVector.MultiplyAdd(hk, TVector.Load(ref u, row + 2 * v), forget0);
            forget1 = TVector.MultiplyAdd(hk, TVector.Load(ref u, row + 3 * v), forget1);
            candidate0 = TVector.MultiplyAdd(hk, TVector.Load(ref u, row + 4 * v), candidate0);
            candidate1 = TVector.MultiplyAdd(hk, TVector.Load(ref u, row + 5 * v), candidate1);
            output0 = TVector.MultiplyAdd(hk, TVector.Load(ref u, row + 6 * v), output0);
            output1 = TVector.MultiplyAdd(hk, TVector.Load(ref u, row + 7 * v), output1);
        }

        // The update as the general path runs it (UpdateColumns, its own method: both vectors' activations inlined here
        // exhaust the JIT's inlining budget, and the step took 2.4 times as long).
        TVector.Store(input0, ref g, 0);
        TVector.Store(input1, ref g, v);
        TVector.Store(forget0, ref g, 2 * v);
        TVector.Store(forget1, ref g, 3 * v);
        TVector.Store(candidate0, ref g, 4 * v);
        TVector.Store(candidate1, ref g, 5 * v);
        TVector.Store(output0, ref g, 6 * v);
        TVector.Store(output1, ref g, 7 * v);
        UpdateColumns<TVector, T, Activations.TanhFunction, Activations.SigmoidFunction>(ref g, ref c, true, ref c, ref h, (int)units, 0);
    }

    /// <summary>
    /// The gate activations and the state update of one step, fused into one pass over the units:
    /// g = (i, f, c, o) pre-activations in, activated gates out; <c>c = f ⊙ c[t-1] + i ⊙ g</c>; <c>h = o ⊙ tanh(c)</c>.
    /// <paramref name="previousCell"/> is empty for a zero state, and may be <paramref name="c"/> itself (streaming).
    /// Keras's default activations go straight to their compiled loops; another pair through
    /// <see cref="Activations.Dispatch{TKernel}"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ActivateAndUpdate<T>(Span<T> g, ReadOnlySpan<T> previousCell, Span<T> c, Span<T> h, int units, Activation activation, Activation recurrentActivation)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (activation == Activation.Tanh && recurrentActivation == Activation.Sigmoid)
        {
            ActivateAndUpdate<T, Activations.TanhFunction, Activations.SigmoidFunction>(g, previousCell, c, h, units);
            return;
        }

        var kernel = new UpdateKernel<T>(g, previousCell, c, h, units);
        Activations.Dispatch(ref kernel, activation, recurrentActivation);
    }

    /// <summary><see cref="ActivateAndUpdate{T, TCell, TGate}"/> for the activation pair <see cref="Activations.Dispatch{TKernel}"/> picks.</summary>
    private readonly ref struct UpdateKernel<T>(Span<T> g, ReadOnlySpan<T> previousCell, Span<T> c, Span<T> h, int units) : IActivationPairKernel
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        private readonly Span<T> _g = g;
        private readonly ReadOnlySpan<T> _previousCell = previousCell;
        private readonly Span<T> _c = c;
        private readonly Span<T> _h = h;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Run<TCell, TGate>()
            where TCell : struct, IActivationFunction
            where TGate : struct, IActivationFunction
            => ActivateAndUpdate<T, TCell, TGate>(_g, _previousCell, _c, _h, units);
    }

    /// <summary>The fused update with <typeparamref name="TCell"/> for g and the cell, <typeparamref name="TGate"/> for i, f and o.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ActivateAndUpdate<T, TCell, TGate>(Span<T> g, ReadOnlySpan<T> previousCell, Span<T> c, Span<T> h, int units)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        where TCell : struct, IActivationFunction
        where TGate : struct, IActivationFunction
    {
        if (g.Length < 4 * units || c.Length < units || h.Length < units || (!previousCell.IsEmpty && previousCell.Length < units))
        {
            throw new ArgumentException($"An LSTM step needs gates [{4 * units}], cells and hidden [{units}].", nameof(g));
        }

        ref T gRef = ref MemoryMarshal.GetReference(g);
        ref T cRef = ref MemoryMarshal.GetReference(c);
        ref T hRef = ref MemoryMarshal.GetReference(h);
        bool hasCell = !previousCell.IsEmpty;
        ref T previousRef = ref hasCell ? ref MemoryMarshal.GetReference(previousCell) : ref cRef;
        int j = 0;
        if (VectorPaths.Use512 && Vector512<T>.IsSupported && units - j >= Vector512<T>.Count)
        {
            j = UpdateColumns<Simd512<T>, T, TCell, TGate>(ref gRef, ref previousRef, hasCell, ref cRef, ref hRef, units, j);
        }

        if (Vector256.IsHardwareAccelerated && Vector256<T>.IsSupported && units - j >= Vector256<T>.Count)
        {
            j = UpdateColumns<Simd256<T>, T, TCell, TGate>(ref gRef, ref previousRef, hasCell, ref cRef, ref hRef, units, j);
        }

        if (Vector128.IsHardwareAccelerated && Vector128<T>.IsSupported && units - j >= Vector128<T>.Count)
        {
            j = UpdateColumns<Simd128<T>, T, TCell, TGate>(ref gRef, ref previousRef, hasCell, ref cRef, ref hRef, units, j);
        }

        if (j < units)
        {
            UpdateColumns<Scalar<T>, T, TCell, TGate>(ref gRef, ref previousRef, hasCell, ref cRef, ref hRef, units, j);
        }
    }

    /// <summary>
    /// Units from <paramref name="j"/> on, in whole vectors; returns the first unit left over. Three passes over those
    /// units: σ of i and f, then tanh of g and σ of o, stored over the sums; then the cell and h from the stored gates.
    /// </summary>
    /// <remarks>
    /// <para>Not inlined on purpose: each width is its own method, so the JIT's inlining budget covers the activations
    /// inlined here. Inlined into the caller, the four widths together exhaust it and even Load and Store become calls.</para>
    /// <para>In passes rather than all five activations of a vector in one loop body: with those in one body the JIT
    /// kept every polynomial constant of σ and tanh in a register and spilled them on AVX2 (16 registers); two
    /// activations per body fit. The LSTM 1 → 32 step took 15% less time (measured on Zen 3). Each unit computes the
    /// same operations in the same order as <see cref="UpdateVector{TVector, T, TCell, TGate}"/>, so the bits are those of the
    /// one-vector step.</para>
    /// </remarks>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static int UpdateColumns<TVector, T, TCell, TGate>(ref T g, ref T previousCell, bool hasCell, ref T c, ref T h, int units, int j)
        where TVector : struct, ISimdVector<TVector, T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        where TCell : struct, IActivationFunction
        where TGate : struct, IActivationFunction
    {
        int width = TVector.Count;
        nuint u = (nuint)units;
        int end = j + (units - j) / width * width;
        for (int k = j; k < end; k += width)
        {
            nuint o = (nuint)k;
            TVector.Store(TGate.Invoke<TVector, T>(TVector.Load(ref g, o)), ref g, o);
            TVector.Store(TGate.Invoke<TVector, T>(TVector.Load(ref g, u + o)), ref g, u + o);
        }

        for (int k = j; k < end; k += width)
        {
            nuint o = (nuint)k;
            TVector.Store(TCell.Invoke<TVector, T>(TVector.Load(ref g, 2 * u + o)), ref g, 2 * u + o);
            TVector.Store(TGate.Invoke<TVector, T>(TVector.Load(ref g, 3 * u + o)), ref g, 3 * u + o);
        }

        for (int k = j; k < end; k += width)
        {
            nuint o = (nuint)k;
            TVector cell = TVector.Multiply(TVector.Load(ref g, o), TVector.Load(ref g, 2 * u + o));
            if (hasCell)
            {
                cell = TVector.MultiplyAdd(TVector.Load(ref g, u + o), TVector.Load(ref previousCell, o), cell);
            }

            TVector.Store(cell, ref c, o);
            TVector.Store(TVector.Multiply(TVector.Load(ref g, 3 * u + o), TCell.Invoke<TVector, T>(cell)), ref h, o);
        }

        return end;
    }

    /// <summary>
    /// One vector of units from the four gate sums: i, f, o = σ and g = tanh stored as the activated gates (column
    /// blocks <paramref name="units"/> apart, from <paramref name="offset"/>), <c>c = f ⊙ c[t-1] + i ⊙ g</c>,
    /// <c>h = o ⊙ tanh(c)</c>: the one-vector step's update. <see cref="UpdateColumns{TVector, T, TCell, TGate}"/> computes the same operations
    /// in the same order in passes over the units, so both give the same bits.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void UpdateVector<TVector, T, TCell, TGate>(
        TVector inputSum, TVector forgetSum, TVector candidateSum, TVector outputSum,
        ref T g, nuint units, nuint offset, ref T previousCell, bool hasCell, ref T c, ref T h)
        where TVector : struct, ISimdVector<TVector, T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        where TCell : struct, IActivationFunction
        where TGate : struct, IActivationFunction
    {
        TVector input = TGate.Invoke<TVector, T>(inputSum);
        TVector forget = TGate.Invoke<TVector, T>(forgetSum);
        TVector candidate = TCell.Invoke<TVector, T>(candidateSum);
        TVector output = TGate.Invoke<TVector, T>(outputSum);
        TVector.Store(input, ref g, offset);
        TVector.Store(forget, ref g, units + offset);
        TVector.Store(candidate, ref g, 2 * units + offset);
        TVector.Store(output, ref g, 3 * units + offset);
        TVector cell = TVector.Multiply(input, candidate);
        if (hasCell)
        {
            cell = TVector.MultiplyAdd(forget, TVector.Load(ref previousCell, offset), cell);
        }

        TVector.Store(cell, ref c, offset);
        TVector.Store(TVector.Multiply(output, TCell.Invoke<TVector, T>(cell)), ref h, offset);
    }
}
