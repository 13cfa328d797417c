using System;
using System.ComponentModel;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace RnnCompiler.Kernels;

/// <summary>
/// Matrix products in Keras's weight layout ([input, outputs] row-major), shared by every generated model.
/// The layout suits a broadcast-and-multiply-add form: each input element scales one weight row into the accumulators,
/// so no horizontal sums are needed.
/// </summary>
/// <remarks>Called by generated code; not meant to be called directly.</remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public static partial class MatrixKernels
{
    /// <summary>
    /// <c>y[j] += Σ_i x[i] · w[i · stride + j]</c> for every <c>j &lt; y.Length</c>: a row vector times the column block
    /// of a row-major matrix whose rows are <paramref name="stride"/> elements apart.
    /// </summary>
    /// <param name="x">The row vector, one element per matrix row.</param>
    /// <param name="w">The matrix, starting at the first column of the block.</param>
    /// <param name="stride">The distance between two rows of <paramref name="w"/>; at least <c>y.Length</c>.</param>
    /// <param name="y">The accumulators, one per column of the block; must not overlap the inputs.</param>
    /// <exception cref="ArgumentException">The spans are too short for the shapes.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void MultiplyAdd<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> w, int stride, Span<T> y)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
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

        if (columns == 1 && stride == 1)
        {
            // One contiguous column: a dot product, with independent accumulators, instead of one chain of rows.
            y[0] += Dot(x, w.Slice(0, rows));
            return;
        }

        MultiplyAddCore<T, T, SameFormat<T>>(ref MemoryMarshal.GetReference(x), rows, ref MemoryMarshal.GetReference(w), (nuint)stride, ref MemoryMarshal.GetReference(y), columns);
    }

    /// <summary>The width ladder of <see cref="MultiplyAdd{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, int, Span{T})"/>, for weights in any <see cref="IWeightFormat{T, TWeight}"/>; shapes checked by the caller.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void MultiplyAddCore<T, TWeight, TFormat>(ref T xRef, int rows, ref TWeight wRef, nuint stride, ref T yRef, int columns)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        where TWeight : unmanaged
        where TFormat : struct, IWeightFormat<T, TWeight>
    {
        int column = 0;
        if (Streams<TWeight>(rows, columns))
        {
            // Too large for L1: the vector-wide columns in address order (MatrixKernels.Streaming.cs), the rest below.
            column = StreamedColumns<T>(columns);
            StreamRows<T, TWeight, TFormat>(ref xRef, rows, ref wRef, ref xRef, hRows: 0, ref wRef, stride, ref yRef, column); // no second matrix
        }

        if (VectorPaths.Use512 && Vector512<T>.IsSupported && columns - column >= Vector512<T>.Count)
        {
            column = MultiplyAddColumns<Simd512<T>, T, TWeight, TFormat>(ref xRef, rows, ref wRef, stride, ref yRef, columns, column);
        }

        if (Vector256.IsHardwareAccelerated && Vector256<T>.IsSupported && columns - column >= Vector256<T>.Count)
        {
            column = MultiplyAddColumns<Simd256<T>, T, TWeight, TFormat>(ref xRef, rows, ref wRef, stride, ref yRef, columns, column);
        }

        if (Vector128.IsHardwareAccelerated && Vector128<T>.IsSupported && columns - column >= Vector128<T>.Count)
        {
            column = MultiplyAddColumns<Simd128<T>, T, TWeight, TFormat>(ref xRef, rows, ref wRef, stride, ref yRef, columns, column);
        }

        if (column < columns)
        {
            MultiplyAddColumns<Scalar<T>, T, TWeight, TFormat>(ref xRef, rows, ref wRef, stride, ref yRef, columns, column);
        }
    }

    /// <summary>
    /// Processes the columns from <paramref name="column"/> on, eight vectors of accumulators at a time (each weight row
    /// then streams 8 vectors, 512 bytes with AVX-512, in one run), then one, and returns the first column it left for a
    /// narrower vector. Every column sums its rows in order, so the width never changes a result.
    /// </summary>
    /// <remarks>Not inlined on purpose, as <see cref="ProjectFourColumns{TVector, T, TWeight, TFormat}"/>: each width keeps its own inlining budget.</remarks>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static int MultiplyAddColumns<TVector, T, TWeight, TFormat>(ref T x, int rows, ref TWeight w, nuint stride, ref T y, int columns, int column)
        where TVector : struct, ISimdVector<TVector, T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        where TWeight : unmanaged
        where TFormat : struct, IWeightFormat<T, TWeight>
    {
        int width = TVector.Count;
        nuint v = (nuint)width;
        if (TVector.Count * Unsafe.SizeOf<T>() == 64)
        {
            // 512-bit vectors (32 registers): sixteen accumulators, so each weight row streams 1 KB in one run.
            for (; column + 16 * width <= columns; column += 16 * width)
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
                TVector acc8 = TVector.Load(ref y, c + 8 * v);
                TVector acc9 = TVector.Load(ref y, c + 9 * v);
                TVector acc10 = TVector.Load(ref y, c + 10 * v);
                TVector acc11 = TVector.Load(ref y, c + 11 * v);
                TVector acc12 = TVector.Load(ref y, c + 12 * v);
                TVector acc13 = TVector.Load(ref y, c + 13 * v);
                TVector acc14 = TVector.Load(ref y, c + 14 * v);
                TVector acc15 = TVector.Load(ref y, c + 15 * v);
                nuint row = c;
                for (int i = 0; i < rows; i++, row += stride)
                {
                    TVector xi = TVector.Create(Unsafe.Add(ref x, i));
                    acc0 = TVector.MultiplyAdd(xi, TFormat.Load<TVector>(ref w, row), acc0);
                    acc1 = TVector.MultiplyAdd(xi, TFormat.Load<TVector>(ref w, row + v), acc1);
                    acc2 = TVector.MultiplyAdd(xi, TFormat.Load<TVector>(ref w, row + 2 * v), acc2);
                    acc3 = TVector.MultiplyAdd(xi, TFormat.Load<TVector>(ref w, row + 3 * v), acc3);
                    acc4 = TVector.MultiplyAdd(xi, TFormat.Load<TVector>(ref w, row + 4 * v), acc4);
                    acc5 = TVector.MultiplyAdd(xi, TFormat.Load<TVector>(ref w, row + 5 * v), acc5);
                    acc6 = TVector.MultiplyAdd(xi, TFormat.Load<TVector>(ref w, row + 6 * v), acc6);
                    acc7 = TVector.MultiplyAdd(xi, TFormat.Load<TVector>(ref w, row + 7 * v), acc7);
                    acc8 = TVector.MultiplyAdd(xi, TFormat.Load<TVector>(ref w, row + 8 * v), acc8);
                    acc9 = TVector.MultiplyAdd(xi, TFormat.Load<TVector>(ref w, row + 9 * v), acc9);
                    acc10 = TVector.MultiplyAdd(xi, TFormat.Load<TVector>(ref w, row + 10 * v), acc10);
                    acc11 = TVector.MultiplyAdd(xi, TFormat.Load<TVector>(ref w, row + 11 * v), acc11);
                    acc12 = TVector.MultiplyAdd(xi, TFormat.Load<TVector>(ref w, row + 12 * v), acc12);
                    acc13 = TVector.MultiplyAdd(xi, TFormat.Load<TVector>(ref w, row + 13 * v), acc13);
                    acc14 = TVector.MultiplyAdd(xi, TFormat.Load<TVector>(ref w, row + 14 * v), acc14);
                    acc15 = TVector.MultiplyAdd(xi, TFormat.Load<TVector>(ref w, row + 15 * v), acc15);
                }

                TVector.Store(acc0, ref y, c);
                TVector.Store(acc1, ref y, c + v);
                TVector.Store(acc2, ref y, c + 2 * v);
                TVector.Store(acc3, ref y, c + 3 * v);
                TVector.Store(acc4, ref y, c + 4 * v);
                TVector.Store(acc5, ref y, c + 5 * v);
                TVector.Store(acc6, ref y, c + 6 * v);
                TVector.Store(acc7, ref y, c + 7 * v);
                TVector.Store(acc8, ref y, c + 8 * v);
                TVector.Store(acc9, ref y, c + 9 * v);
                TVector.Store(acc10, ref y, c + 10 * v);
                TVector.Store(acc11, ref y, c + 11 * v);
                TVector.Store(acc12, ref y, c + 12 * v);
                TVector.Store(acc13, ref y, c + 13 * v);
                TVector.Store(acc14, ref y, c + 14 * v);
                TVector.Store(acc15, ref y, c + 15 * v);
            }
        }

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
                acc0 = TVector.MultiplyAdd(xi, TFormat.Load<TVector>(ref w, row), acc0);
                acc1 = TVector.MultiplyAdd(xi, TFormat.Load<TVector>(ref w, row + v), acc1);
                acc2 = TVector.MultiplyAdd(xi, TFormat.Load<TVector>(ref w, row + 2 * v), acc2);
                acc3 = TVector.MultiplyAdd(xi, TFormat.Load<TVector>(ref w, row + 3 * v), acc3);
                acc4 = TVector.MultiplyAdd(xi, TFormat.Load<TVector>(ref w, row + 4 * v), acc4);
                acc5 = TVector.MultiplyAdd(xi, TFormat.Load<TVector>(ref w, row + 5 * v), acc5);
                acc6 = TVector.MultiplyAdd(xi, TFormat.Load<TVector>(ref w, row + 6 * v), acc6);
                acc7 = TVector.MultiplyAdd(xi, TFormat.Load<TVector>(ref w, row + 7 * v), acc7);
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

        // Four vectors, then two, at a time for what is left: as many independent chains of multiply-adds as fit.
        for (; column + 4 * width <= columns; column += 4 * width)
        {
            nuint c = (nuint)column;
            TVector acc0 = TVector.Load(ref y, c);
            TVector acc1 = TVector.Load(ref y, c + v);
            TVector acc2 = TVector.Load(ref y, c + 2 * v);
            TVector acc3 = TVector.Load(ref y, c + 3 * v);
            nuint row = c;
            for (int i = 0; i < rows; i++, row += stride)
            {
                TVector xi = TVector.Create(Unsafe.Add(ref x, i));
                acc0 = TVector.MultiplyAdd(xi, TFormat.Load<TVector>(ref w, row), acc0);
                acc1 = TVector.MultiplyAdd(xi, TFormat.Load<TVector>(ref w, row + v), acc1);
                acc2 = TVector.MultiplyAdd(xi, TFormat.Load<TVector>(ref w, row + 2 * v), acc2);
                acc3 = TVector.MultiplyAdd(xi, TFormat.Load<TVector>(ref w, row + 3 * v), acc3);
            }

            TVector.Store(acc0, ref y, c);
            TVector.Store(acc1, ref y, c + v);
            TVector.Store(acc2, ref y, c + 2 * v);
            TVector.Store(acc3, ref y, c + 3 * v);
        }

        for (; column + 2 * width <= columns; column += 2 * width)
        {
            nuint c = (nuint)column;
            TVector acc0 = TVector.Load(ref y, c);
            TVector acc1 = TVector.Load(ref y, c + v);
            nuint row = c;
            for (int i = 0; i < rows; i++, row += stride)
            {
                TVector xi = TVector.Create(Unsafe.Add(ref x, i));
                acc0 = TVector.MultiplyAdd(xi, TFormat.Load<TVector>(ref w, row), acc0);
                acc1 = TVector.MultiplyAdd(xi, TFormat.Load<TVector>(ref w, row + v), acc1);
            }

            TVector.Store(acc0, ref y, c);
            TVector.Store(acc1, ref y, c + v);
        }

        for (; column + width <= columns; column += width)
        {
            nuint c = (nuint)column;
            TVector acc = TVector.Load(ref y, c);
            nuint row = c;
            for (int i = 0; i < rows; i++, row += stride)
            {
                acc = TVector.MultiplyAdd(TVector.Create(Unsafe.Add(ref x, i)), TFormat.Load<TVector>(ref w, row), acc);
            }

            TVector.Store(acc, ref y, c);
        }

        return column;
    }

    /// <summary>
    /// For every step <c>t &lt; steps</c>: <c>y[t] = bias + x[t] · w</c>, with <paramref name="x"/> [steps, inputs],
    /// <paramref name="w"/> [inputs, outputs] and <paramref name="y"/> [steps, outputs], all row-major.
    /// </summary>
    /// <param name="x">The inputs, [steps, inputs].</param>
    /// <param name="steps">The number of rows of <paramref name="x"/> and <paramref name="y"/> to use.</param>
    /// <param name="inputs">The width of a row of <paramref name="x"/>.</param>
    /// <param name="w">The weights, [inputs, outputs].</param>
    /// <param name="bias">The bias, [outputs].</param>
    /// <param name="y">The outputs, [steps, outputs].</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Project<T>(ReadOnlySpan<T> x, int steps, int inputs, ReadOnlySpan<T> w, ReadOnlySpan<T> bias, Span<T> y)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
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

        ProjectCore<T, T, SameFormat<T>>(x, steps, inputs, ref MemoryMarshal.GetReference(w), bias, y);
    }

    /// <summary>
    /// <see cref="Project{T}"/> for weights in any <see cref="IWeightFormat{T, TWeight}"/>; shapes checked by the caller.
    /// Four steps at a time: each weight vector is loaded once for four rows of x (a quarter of the weight traffic).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ProjectCore<T, TWeight, TFormat>(ReadOnlySpan<T> x, int steps, int inputs, ref TWeight wRef, ReadOnlySpan<T> bias, Span<T> y)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        where TWeight : unmanaged
        where TFormat : struct, IWeightFormat<T, TWeight>
    {
        int outputs = bias.Length;
        ref T xRef = ref MemoryMarshal.GetReference(x);
        ref T bRef = ref MemoryMarshal.GetReference(bias);
        ref T yRef = ref MemoryMarshal.GetReference(y);
        int t = 0;

        // One output is a dot product per step (see MultiplyAdd), done by the loop after this one.
        for (; t + 4 <= steps && outputs > 1; t += 4)
        {
            ref T x4 = ref Unsafe.Add(ref xRef, t * inputs);
            ref T y4 = ref Unsafe.Add(ref yRef, t * outputs);
            int column = 0;
            if (VectorPaths.Use512 && Vector512<T>.IsSupported && outputs - column >= Vector512<T>.Count)
            {
                column = ProjectFourColumns<Simd512<T>, T, TWeight, TFormat>(ref x4, inputs, ref wRef, ref bRef, ref y4, outputs, column);
            }

            if (Vector256.IsHardwareAccelerated && Vector256<T>.IsSupported && outputs - column >= Vector256<T>.Count)
            {
                column = ProjectFourColumns<Simd256<T>, T, TWeight, TFormat>(ref x4, inputs, ref wRef, ref bRef, ref y4, outputs, column);
            }

            if (Vector128.IsHardwareAccelerated && Vector128<T>.IsSupported && outputs - column >= Vector128<T>.Count)
            {
                column = ProjectFourColumns<Simd128<T>, T, TWeight, TFormat>(ref x4, inputs, ref wRef, ref bRef, ref y4, outputs, column);
            }

            if (column < outputs)
            {
                ProjectFourColumns<Scalar<T>, T, TWeight, TFormat>(ref x4, inputs, ref wRef, ref bRef, ref y4, outputs, column);
            }
        }

        for (; t < steps; t++)
        {
            Span<T> row = y.Slice(t * outputs, outputs);
            bias.CopyTo(row);
            if (outputs == 1)
            {
                row[0] += DotCore<T, TWeight, TFormat>(ref Unsafe.Add(ref xRef, t * inputs), ref wRef, inputs);
            }
            else
            {
                MultiplyAddCore<T, TWeight, TFormat>(ref Unsafe.Add(ref xRef, t * inputs), inputs, ref wRef, (nuint)outputs, ref MemoryMarshal.GetReference(row), outputs);
            }
        }
    }

    /// <summary>
    /// <c>y[s] = bias + x[s] · w</c> for the four rows s of <paramref name="x"/> and <paramref name="y"/>, three vectors
    /// of columns at a time, then two, then one; returns the first column left for a narrower vector. Rows are summed in
    /// order, as <see cref="MultiplyAdd{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, int, Span{T})"/> sums them, so the results are the same as four separate products.
    /// </summary>
    /// <remarks>
    /// Not inlined on purpose: inlined into a generated training method, the JIT ran out of inlining budget here and
    /// called the vector operations (<c>MultiplyAdd</c>, <c>Load</c>) one by one (seen in a profile of training).
    /// </remarks>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static int ProjectFourColumns<TVector, T, TWeight, TFormat>(ref T x, int inputs, ref TWeight w, ref T bias, ref T y, int outputs, int column)
        where TVector : struct, ISimdVector<TVector, T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        where TWeight : unmanaged
        where TFormat : struct, IWeightFormat<T, TWeight>
    {
        int width = TVector.Count;
        nuint v = (nuint)width;
        nuint stride = (nuint)outputs;
        ref T x1 = ref Unsafe.Add(ref x, inputs);
        ref T x2 = ref Unsafe.Add(ref x, 2 * inputs);
        ref T x3 = ref Unsafe.Add(ref x, 3 * inputs);
        // Three vectors of columns first (twelve accumulators: per input, three weight loads and four broadcasts feed twelve
        // multiply-adds; 3% to 8% less time for the lock-step forward pass on AVX2), then two, then one.
        for (; column + 3 * width <= outputs; column += 3 * width)
        {
            nuint c = (nuint)column;
            TVector b0 = TVector.Load(ref bias, c), b1 = TVector.Load(ref bias, c + v), b2 = TVector.Load(ref bias, c + 2 * v);
            TVector a00 = b0, a01 = b1, a02 = b2, a10 = b0, a11 = b1, a12 = b2, a20 = b0, a21 = b1, a22 = b2, a30 = b0, a31 = b1, a32 = b2;
            nuint row = c;
            for (int i = 0; i < inputs; i++, row += stride)
            {
                TVector w0 = TFormat.Load<TVector>(ref w, row);
                TVector w1 = TFormat.Load<TVector>(ref w, row + v);
                TVector w2 = TFormat.Load<TVector>(ref w, row + 2 * v);
                TVector s = TVector.Create(Unsafe.Add(ref x, i));
                a00 = TVector.MultiplyAdd(s, w0, a00);
                a01 = TVector.MultiplyAdd(s, w1, a01);
                a02 = TVector.MultiplyAdd(s, w2, a02);
                s = TVector.Create(Unsafe.Add(ref x1, i));
                a10 = TVector.MultiplyAdd(s, w0, a10);
                a11 = TVector.MultiplyAdd(s, w1, a11);
                a12 = TVector.MultiplyAdd(s, w2, a12);
                s = TVector.Create(Unsafe.Add(ref x2, i));
                a20 = TVector.MultiplyAdd(s, w0, a20);
                a21 = TVector.MultiplyAdd(s, w1, a21);
                a22 = TVector.MultiplyAdd(s, w2, a22);
                s = TVector.Create(Unsafe.Add(ref x3, i));
                a30 = TVector.MultiplyAdd(s, w0, a30);
                a31 = TVector.MultiplyAdd(s, w1, a31);
                a32 = TVector.MultiplyAdd(s, w2, a32);
            }

            TVector.Store(a00, ref y, c);
            TVector.Store(a01, ref y, c + v);
            TVector.Store(a02, ref y, c + 2 * v);
            TVector.Store(a10, ref y, stride + c);
            TVector.Store(a11, ref y, stride + c + v);
            TVector.Store(a12, ref y, stride + c + 2 * v);
            TVector.Store(a20, ref y, 2 * stride + c);
            TVector.Store(a21, ref y, 2 * stride + c + v);
            TVector.Store(a22, ref y, 2 * stride + c + 2 * v);
            TVector.Store(a30, ref y, 3 * stride + c);
            TVector.Store(a31, ref y, 3 * stride + c + v);
            TVector.Store(a32, ref y, 3 * stride + c + 2 * v);
        }

        for (; column + 2 * width <= outputs; column += 2 * width)
        {
            nuint c = (nuint)column;
            TVector b0 = TVector.Load(ref bias, c), b1 = TVector.Load(ref bias, c + v);
            TVector a00 = b0, a01 = b1, a10 = b0, a11 = b1, a20 = b0, a21 = b1, a30 = b0, a31 = b1;
            nuint row = c;
            for (int i = 0; i < inputs; i++, row += stride)
            {
                TVector w0 = TFormat.Load<TVector>(ref w, row);
                TVector w1 = TFormat.Load<TVector>(ref w, row + v);
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
                TVector w0 = TFormat.Load<TVector>(ref w, row);
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
}
