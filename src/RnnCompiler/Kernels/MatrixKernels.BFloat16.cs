using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace RnnCompiler.Kernels;

// The matrix products with bfloat16 weights (WeightPrecision.BFloat16): the same algorithms and summation order as the
// float kernels, each weight vector loaded at half the bytes and widened to floats in registers; x, y and the
// arithmetic stay float.
public static partial class MatrixKernels
{
    /// <summary>
    /// <c>y[j] += Σ_i x[i] · w[i · stride + j]</c> for every <c>j &lt; y.Length</c>, with <paramref name="w"/> in bfloat16
    /// (<see cref="BFloat16"/>): the float <see cref="MultiplyAdd{T}"/> on the widened weights, summed in the same order.
    /// </summary>
    /// <param name="x">The row vector, one element per matrix row.</param>
    /// <param name="w">The matrix as bfloat16 bits, starting at the first column of the block.</param>
    /// <param name="stride">The distance between two rows of <paramref name="w"/>; at least <c>y.Length</c>.</param>
    /// <param name="y">The accumulators, one per column of the block.</param>
    /// <exception cref="ArgumentException">The spans are too short for the shapes.</exception>
    public static void MultiplyAdd(ReadOnlySpan<float> x, ReadOnlySpan<ushort> w, int stride, Span<float> y)
    {
        int rows = x.Length;
        int columns = y.Length;
        if (stride < columns)
        {
            throw new ArgumentOutOfRangeException(nameof(stride), stride, $"The row stride must be at least the {columns} columns.");
        }

        if (rows == 0 || columns == 0)
        {
            return;
        }

        if (w.Length < ((long)rows - 1) * stride + columns)
        {
            throw new ArgumentException($"The matrix needs at least {((long)rows - 1) * stride + columns} elements for {rows} rows of stride {stride}; it has {w.Length}.", nameof(w));
        }

        ref float xRef = ref MemoryMarshal.GetReference(x);
        ref ushort wRef = ref MemoryMarshal.GetReference(w);
        ref float yRef = ref MemoryMarshal.GetReference(y);
        int column = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            column = MultiplyAddColumnsBFloat16<Simd512<float>, BFloat16Load512>(ref xRef, rows, ref wRef, (nuint)stride, ref yRef, columns, column);
        }

        if (Vector256.IsHardwareAccelerated)
        {
            column = MultiplyAddColumnsBFloat16<Simd256<float>, BFloat16Load256>(ref xRef, rows, ref wRef, (nuint)stride, ref yRef, columns, column);
        }

        if (Vector128.IsHardwareAccelerated)
        {
            column = MultiplyAddColumnsBFloat16<Simd128<float>, BFloat16Load128>(ref xRef, rows, ref wRef, (nuint)stride, ref yRef, columns, column);
        }

        MultiplyAddColumnsBFloat16<Scalar<float>, BFloat16LoadScalar>(ref xRef, rows, ref wRef, (nuint)stride, ref yRef, columns, column);
    }

    /// <summary>
    /// The bfloat16 form of the float <c>MultiplyAddColumnsBFloat16</c>: eight vectors of accumulators per column block,
    /// then one; a vector loads only the <c>Count</c> weights of its columns, so no read goes past the matrix.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int MultiplyAddColumnsBFloat16<TVector, TLoad>(ref float x, int rows, ref ushort w, nuint stride, ref float y, int columns, int column)
        where TVector : struct, ISimdVector<TVector, float>
        where TLoad : struct, IBFloat16Load<TVector>
    {
        int width = TVector.Count;
        nuint v = (nuint)width;
        for (; column + 8 * width <= columns; column += 8 * width)
        {
            nuint c = (nuint)column;
            TVector acc0 = TVector.Load(ref y, c);
            TVector acc1 = TVector.Load(ref y, c + v);
            TVector acc2 = TVector.Load(ref y, c + 2 * v);
            TVector acc3 = TVector.Load(ref y, c + 3 * v);
            TVector acc4 = TVector.Load(ref y, c + 4 * v);
            TVector acc5 = TVector.Load(ref y, c + 5 * v);
            TVector acc6 = TVector.Load(ref y, c + 6 * v);
            TVector acc7 = TVector.Load(ref y, c + 7 * v);
            nuint row = c;
            for (int i = 0; i < rows; i++, row += stride)
            {
                TVector xi = TVector.Create(Unsafe.Add(ref x, i));
                acc0 = TVector.MultiplyAdd(xi, TLoad.Load(ref w, row), acc0);
                acc1 = TVector.MultiplyAdd(xi, TLoad.Load(ref w, row + v), acc1);
                acc2 = TVector.MultiplyAdd(xi, TLoad.Load(ref w, row + 2 * v), acc2);
                acc3 = TVector.MultiplyAdd(xi, TLoad.Load(ref w, row + 3 * v), acc3);
                acc4 = TVector.MultiplyAdd(xi, TLoad.Load(ref w, row + 4 * v), acc4);
                acc5 = TVector.MultiplyAdd(xi, TLoad.Load(ref w, row + 5 * v), acc5);
                acc6 = TVector.MultiplyAdd(xi, TLoad.Load(ref w, row + 6 * v), acc6);
                acc7 = TVector.MultiplyAdd(xi, TLoad.Load(ref w, row + 7 * v), acc7);
            }

            TVector.Store(acc0, ref y, c);
            TVector.Store(acc1, ref y, c + v);
            TVector.Store(acc2, ref y, c + 2 * v);
            TVector.Store(acc3, ref y, c + 3 * v);
            TVector.Store(acc4, ref y, c + 4 * v);
            TVector.Store(acc5, ref y, c + 5 * v);
            TVector.Store(acc6, ref y, c + 6 * v);
            TVector.Store(acc7, ref y, c + 7 * v);
        }

        for (; column + width <= columns; column += width)
        {
            nuint c = (nuint)column;
            TVector acc = TVector.Load(ref y, c);
            nuint row = c;
            for (int i = 0; i < rows; i++, row += stride)
            {
                acc = TVector.MultiplyAdd(TVector.Create(Unsafe.Add(ref x, i)), TLoad.Load(ref w, row), acc);
            }

            TVector.Store(acc, ref y, c);
        }

        return column;
    }

    /// <summary>
    /// For every step <c>t &lt; steps</c>: <c>y[t] = bias + x[t] · w</c> with <paramref name="w"/> [inputs, outputs] in
    /// bfloat16: the float <see cref="Project{T}"/> on the widened weights, four steps per weight load, same order.
    /// </summary>
    /// <param name="x">The inputs, [steps, inputs].</param>
    /// <param name="steps">The number of rows of <paramref name="x"/> and <paramref name="y"/> to use.</param>
    /// <param name="inputs">The width of a row of <paramref name="x"/>.</param>
    /// <param name="w">The weights as bfloat16 bits, [inputs, outputs].</param>
    /// <param name="bias">The bias, [outputs], in float.</param>
    /// <param name="y">The outputs, [steps, outputs].</param>
    public static void Project(ReadOnlySpan<float> x, int steps, int inputs, ReadOnlySpan<ushort> w, ReadOnlySpan<float> bias, Span<float> y)
    {
        int outputs = bias.Length;
        if (steps <= 0)
        {
            return;
        }

        if (x.Length < steps * inputs || y.Length < steps * outputs || w.Length < inputs * outputs)
        {
            throw new ArgumentException($"Project needs x [{steps}, {inputs}], w [{inputs}, {outputs}] and y [{steps}, {outputs}].", nameof(y));
        }

        ref float xRef = ref MemoryMarshal.GetReference(x);
        ref ushort wRef = ref MemoryMarshal.GetReference(w);
        ref float bRef = ref MemoryMarshal.GetReference(bias);
        ref float yRef = ref MemoryMarshal.GetReference(y);
        int t = 0;
        for (; t + 4 <= steps && outputs > 0; t += 4)
        {
            ref float x4 = ref Unsafe.Add(ref xRef, t * inputs);
            ref float y4 = ref Unsafe.Add(ref yRef, t * outputs);
            int column = 0;
            if (Vector512.IsHardwareAccelerated)
            {
                column = ProjectFourColumnsBFloat16<Simd512<float>, BFloat16Load512>(ref x4, inputs, ref wRef, ref bRef, ref y4, outputs, column);
            }

            if (Vector256.IsHardwareAccelerated)
            {
                column = ProjectFourColumnsBFloat16<Simd256<float>, BFloat16Load256>(ref x4, inputs, ref wRef, ref bRef, ref y4, outputs, column);
            }

            if (Vector128.IsHardwareAccelerated)
            {
                column = ProjectFourColumnsBFloat16<Simd128<float>, BFloat16Load128>(ref x4, inputs, ref wRef, ref bRef, ref y4, outputs, column);
            }

            ProjectFourColumnsBFloat16<Scalar<float>, BFloat16LoadScalar>(ref x4, inputs, ref wRef, ref bRef, ref y4, outputs, column);
        }

        for (; t < steps; t++)
        {
            Span<float> row = y.Slice(t * outputs, outputs);
            bias.CopyTo(row);
            MultiplyAdd(x.Slice(t * inputs, inputs), w, outputs, row);
        }
    }

    /// <summary>The bfloat16 form of the float <c>ProjectFourColumnsBFloat16</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int ProjectFourColumnsBFloat16<TVector, TLoad>(ref float x, int inputs, ref ushort w, ref float bias, ref float y, int outputs, int column)
        where TVector : struct, ISimdVector<TVector, float>
        where TLoad : struct, IBFloat16Load<TVector>
    {
        int width = TVector.Count;
        nuint v = (nuint)width;
        nuint stride = (nuint)outputs;
        ref float x1 = ref Unsafe.Add(ref x, inputs);
        ref float x2 = ref Unsafe.Add(ref x, 2 * inputs);
        ref float x3 = ref Unsafe.Add(ref x, 3 * inputs);
        for (; column + 2 * width <= outputs; column += 2 * width)
        {
            nuint c = (nuint)column;
            TVector b0 = TVector.Load(ref bias, c), b1 = TVector.Load(ref bias, c + v);
            TVector a00 = b0, a01 = b1, a10 = b0, a11 = b1, a20 = b0, a21 = b1, a30 = b0, a31 = b1;
            nuint row = c;
            for (int i = 0; i < inputs; i++, row += stride)
            {
                TVector w0 = TLoad.Load(ref w, row);
                TVector w1 = TLoad.Load(ref w, row + v);
                TVector s = TVector.Create(Unsafe.Add(ref x, i));
                a00 = TVector.MultiplyAdd(s, w0, a00);
                a01 = TVector.MultiplyAdd(s, w1, a01);
                s = TVector.Create(Unsafe.Add(ref x1, i));
                a10 = TVector.MultiplyAdd(s, w0, a10);
                a11 = TVector.MultiplyAdd(s, w1, a11);
                s = TVector.Create(Unsafe.Add(ref x2, i));
                a20 = TVector.MultiplyAdd(s, w0, a20);
                a21 = TVector.MultiplyAdd(s, w1, a21);
                s = TVector.Create(Unsafe.Add(ref x3, i));
                a30 = TVector.MultiplyAdd(s, w0, a30);
                a31 = TVector.MultiplyAdd(s, w1, a31);
            }

            TVector.Store(a00, ref y, c);
            TVector.Store(a01, ref y, c + v);
            TVector.Store(a10, ref y, stride + c);
            TVector.Store(a11, ref y, stride + c + v);
            TVector.Store(a20, ref y, 2 * stride + c);
            TVector.Store(a21, ref y, 2 * stride + c + v);
            TVector.Store(a30, ref y, 3 * stride + c);
            TVector.Store(a31, ref y, 3 * stride + c + v);
        }

        for (; column + width <= outputs; column += width)
        {
            nuint c = (nuint)column;
            TVector a0 = TVector.Load(ref bias, c), a1 = a0, a2 = a0, a3 = a0;
            nuint row = c;
            for (int i = 0; i < inputs; i++, row += stride)
            {
                TVector w0 = TLoad.Load(ref w, row);
                a0 = TVector.MultiplyAdd(TVector.Create(Unsafe.Add(ref x, i)), w0, a0);
                a1 = TVector.MultiplyAdd(TVector.Create(Unsafe.Add(ref x1, i)), w0, a1);
                a2 = TVector.MultiplyAdd(TVector.Create(Unsafe.Add(ref x2, i)), w0, a2);
                a3 = TVector.MultiplyAdd(TVector.Create(Unsafe.Add(ref x3, i)), w0, a3);
            }

            TVector.Store(a0, ref y, c);
            TVector.Store(a1, ref y, stride + c);
            TVector.Store(a2, ref y, 2 * stride + c);
            TVector.Store(a3, ref y, 3 * stride + c);
        }

        return column;
    }

    /// <summary>
    /// <c>y = bias + x · w + h · u</c> in one pass with <paramref name="w"/> and <paramref name="u"/> in bfloat16: the float
    /// <see cref="Affine{T}"/> (a streaming step's products and bias, accumulators in registers to one store) on the
    /// widened weights, summed in the same order, so a step gives what the same step gives inside a bfloat16 sequence.
    /// </summary>
    /// <param name="x">The input row, one element per row of <paramref name="w"/>.</param>
    /// <param name="w">[x.Length, y.Length] as bfloat16 bits, row-major.</param>
    /// <param name="h">The state row, one element per row of <paramref name="u"/>; empty for no recurrent product.</param>
    /// <param name="u">[h.Length, y.Length] as bfloat16 bits, row-major; ignored when <paramref name="h"/> is empty.</param>
    /// <param name="bias">[y.Length], float.</param>
    /// <param name="y">Receives the sums; must not overlap the inputs.</param>
    /// <exception cref="ArgumentException">A span is too short for the shapes.</exception>
    public static void Affine(ReadOnlySpan<float> x, ReadOnlySpan<ushort> w, ReadOnlySpan<float> h, ReadOnlySpan<ushort> u, ReadOnlySpan<float> bias, Span<float> y)
    {
        int columns = y.Length;
        if (bias.Length < columns)
        {
            throw new ArgumentException($"The bias needs {columns} elements; it has {bias.Length}.", nameof(bias));
        }

        if (w.Length < (long)x.Length * columns)
        {
            throw new ArgumentException($"The input matrix needs [{x.Length}, {columns}] = {(long)x.Length * columns} elements; it has {w.Length}.", nameof(w));
        }

        if (u.Length < (long)h.Length * columns)
        {
            throw new ArgumentException($"The recurrent matrix needs [{h.Length}, {columns}] = {(long)h.Length * columns} elements; it has {u.Length}.", nameof(u));
        }

        ref float xRef = ref MemoryMarshal.GetReference(x);
        ref ushort wRef = ref MemoryMarshal.GetReference(w);
        ref float hRef = ref MemoryMarshal.GetReference(h);
        ref ushort uRef = ref MemoryMarshal.GetReference(u);
        ref float bRef = ref MemoryMarshal.GetReference(bias);
        ref float yRef = ref MemoryMarshal.GetReference(y);
        int xRows = x.Length, hRows = h.Length;
        int column = 0;
        if (Vector512.IsHardwareAccelerated && columns - column >= Vector512<float>.Count)
        {
            column = AffineColumnsBFloat16<Simd512<float>, BFloat16Load512>(ref xRef, xRows, ref wRef, ref hRef, hRows, ref uRef, ref bRef, ref yRef, columns, column);
        }

        if (Vector256.IsHardwareAccelerated && columns - column >= Vector256<float>.Count)
        {
            column = AffineColumnsBFloat16<Simd256<float>, BFloat16Load256>(ref xRef, xRows, ref wRef, ref hRef, hRows, ref uRef, ref bRef, ref yRef, columns, column);
        }

        if (Vector128.IsHardwareAccelerated && columns - column >= Vector128<float>.Count)
        {
            column = AffineColumnsBFloat16<Simd128<float>, BFloat16Load128>(ref xRef, xRows, ref wRef, ref hRef, hRows, ref uRef, ref bRef, ref yRef, columns, column);
        }

        if (column < columns)
        {
            AffineColumnsBFloat16<Scalar<float>, BFloat16LoadScalar>(ref xRef, xRows, ref wRef, ref hRef, hRows, ref uRef, ref bRef, ref yRef, columns, column);
        }
    }

    /// <summary>The bfloat16 form of the float <c>AffineColumnsBFloat16</c>: eight vectors of accumulators per block, then one.</summary>
    /// <remarks>Not inlined on purpose, as the float one: each width is its own method, within the JIT's inlining budget.</remarks>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int AffineColumnsBFloat16<TVector, TLoad>(ref float x, int xRows, ref ushort w, ref float h, int hRows, ref ushort u, ref float bias, ref float y, int columns, int column)
        where TVector : struct, ISimdVector<TVector, float>
        where TLoad : struct, IBFloat16Load<TVector>
    {
        int width = TVector.Count;
        nuint v = (nuint)width;
        nuint stride = (nuint)columns;
        for (; column + 8 * width <= columns; column += 8 * width)
        {
            nuint c = (nuint)column;
            TVector acc0 = TVector.Load(ref bias, c);
            TVector acc1 = TVector.Load(ref bias, c + v);
            TVector acc2 = TVector.Load(ref bias, c + 2 * v);
            TVector acc3 = TVector.Load(ref bias, c + 3 * v);
            TVector acc4 = TVector.Load(ref bias, c + 4 * v);
            TVector acc5 = TVector.Load(ref bias, c + 5 * v);
            TVector acc6 = TVector.Load(ref bias, c + 6 * v);
            TVector acc7 = TVector.Load(ref bias, c + 7 * v);
            nuint row = c;
            for (int i = 0; i < xRows; i++, row += stride)
            {
                TVector xi = TVector.Create(Unsafe.Add(ref x, i));
                acc0 = TVector.MultiplyAdd(xi, TLoad.Load(ref w, row), acc0);
                acc1 = TVector.MultiplyAdd(xi, TLoad.Load(ref w, row + v), acc1);
                acc2 = TVector.MultiplyAdd(xi, TLoad.Load(ref w, row + 2 * v), acc2);
                acc3 = TVector.MultiplyAdd(xi, TLoad.Load(ref w, row + 3 * v), acc3);
                acc4 = TVector.MultiplyAdd(xi, TLoad.Load(ref w, row + 4 * v), acc4);
                acc5 = TVector.MultiplyAdd(xi, TLoad.Load(ref w, row + 5 * v), acc5);
                acc6 = TVector.MultiplyAdd(xi, TLoad.Load(ref w, row + 6 * v), acc6);
                acc7 = TVector.MultiplyAdd(xi, TLoad.Load(ref w, row + 7 * v), acc7);
            }

            row = c;
            for (int i = 0; i < hRows; i++, row += stride)
            {
                TVector hi = TVector.Create(Unsafe.Add(ref h, i));
                acc0 = TVector.MultiplyAdd(hi, TLoad.Load(ref u, row), acc0);
                acc1 = TVector.MultiplyAdd(hi, TLoad.Load(ref u, row + v), acc1);
                acc2 = TVector.MultiplyAdd(hi, TLoad.Load(ref u, row + 2 * v), acc2);
                acc3 = TVector.MultiplyAdd(hi, TLoad.Load(ref u, row + 3 * v), acc3);
                acc4 = TVector.MultiplyAdd(hi, TLoad.Load(ref u, row + 4 * v), acc4);
                acc5 = TVector.MultiplyAdd(hi, TLoad.Load(ref u, row + 5 * v), acc5);
                acc6 = TVector.MultiplyAdd(hi, TLoad.Load(ref u, row + 6 * v), acc6);
                acc7 = TVector.MultiplyAdd(hi, TLoad.Load(ref u, row + 7 * v), acc7);
            }

            TVector.Store(acc0, ref y, c);
            TVector.Store(acc1, ref y, c + v);
            TVector.Store(acc2, ref y, c + 2 * v);
            TVector.Store(acc3, ref y, c + 3 * v);
            TVector.Store(acc4, ref y, c + 4 * v);
            TVector.Store(acc5, ref y, c + 5 * v);
            TVector.Store(acc6, ref y, c + 6 * v);
            TVector.Store(acc7, ref y, c + 7 * v);
        }

        for (; column + width <= columns; column += width)
        {
            nuint c = (nuint)column;
            TVector acc = TVector.Load(ref bias, c);
            nuint row = c;
            for (int i = 0; i < xRows; i++, row += stride)
            {
                acc = TVector.MultiplyAdd(TVector.Create(Unsafe.Add(ref x, i)), TLoad.Load(ref w, row), acc);
            }

            row = c;
            for (int i = 0; i < hRows; i++, row += stride)
            {
                acc = TVector.MultiplyAdd(TVector.Create(Unsafe.Add(ref h, i)), TLoad.Load(ref u, row), acc);
            }

            TVector.Store(acc, ref y, c);
        }

        return column;
    }
}
