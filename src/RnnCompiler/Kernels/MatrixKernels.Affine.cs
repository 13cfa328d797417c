using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace RnnCompiler.Kernels;

public static partial class MatrixKernels
{
    /// <summary>
    /// <c>y = bias + x · w + h · u</c> in one pass: the input and the recurrent products of a streaming step with their
    /// bias, each block of accumulators kept in registers from the bias through both matrices to one store.
    /// </summary>
    /// <remarks>
    /// Each column sums the bias, then the rows of <paramref name="w"/> in order, then the rows of <paramref name="u"/>
    /// in order: the order <see cref="Project{T}"/> followed by <see cref="MultiplyAdd{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, int, Span{T})"/> uses, so a step computed here
    /// gives bit for bit what the same step gives inside a sequence.
    /// </remarks>
    /// <param name="x">The input row, one element per row of <paramref name="w"/>.</param>
    /// <param name="w">[x.Length, y.Length], row-major.</param>
    /// <param name="h">The state row, one element per row of <paramref name="u"/>; empty for no recurrent product.</param>
    /// <param name="u">[h.Length, y.Length], row-major; ignored when <paramref name="h"/> is empty.</param>
    /// <param name="bias">[y.Length].</param>
    /// <param name="y">Receives the sums; must not overlap the inputs.</param>
    /// <exception cref="ArgumentException">A span is too short for the shapes.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Affine<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> w, ReadOnlySpan<T> h, ReadOnlySpan<T> u, ReadOnlySpan<T> bias, Span<T> y)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
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

        AffineCore<T, T, SameFormat<T>>(x, ref MemoryMarshal.GetReference(w), h, ref MemoryMarshal.GetReference(u), bias, y);
    }

    /// <summary><see cref="Affine{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, ReadOnlySpan{T}, ReadOnlySpan{T}, ReadOnlySpan{T}, Span{T})"/> for weights in any <see cref="IWeightFormat{T, TWeight}"/>; shapes checked by the caller.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AffineCore<T, TWeight, TFormat>(ReadOnlySpan<T> x, ref TWeight wRef, ReadOnlySpan<T> h, ref TWeight uRef, ReadOnlySpan<T> bias, Span<T> y)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        where TWeight : unmanaged
        where TFormat : struct, IWeightFormat<T, TWeight>
    {
        int columns = y.Length;
        ref T xRef = ref MemoryMarshal.GetReference(x);
        ref T hRef = ref MemoryMarshal.GetReference(h);
        int xRows = x.Length, hRows = h.Length;
        if (columns == 1)
        {
            // One column: dot products, as MultiplyAdd and Project compute a single column.
            T sum = bias[0] + DotCore<T, TWeight, TFormat>(ref xRef, ref wRef, xRows);
            y[0] = hRows == 0 ? sum : sum + DotCore<T, TWeight, TFormat>(ref hRef, ref uRef, hRows);
            return;
        }

        ref T bRef = ref MemoryMarshal.GetReference(bias);
        ref T yRef = ref MemoryMarshal.GetReference(y);
        int column = 0;
        if (Streams<TWeight>(xRows + hRows, columns))
        {
            // Too large for L1: the vector-wide columns start from the bias and take the rows of w, then those of u, in
            // address order (MatrixKernels.Streaming.cs); the same sums in the same order as the column blocks below.
            column = StreamedColumns<T>(columns);
            bias.Slice(0, column).CopyTo(y);
            StreamRows<T, TWeight, TFormat>(ref xRef, xRows, ref wRef, ref hRef, hRows, ref uRef, (nuint)columns, ref yRef, column);
        }

        if (VectorPaths.Use512 && Vector512<T>.IsSupported && columns - column >= Vector512<T>.Count)
        {
            column = AffineColumns<Simd512<T>, T, TWeight, TFormat>(ref xRef, xRows, ref wRef, ref hRef, hRows, ref uRef, ref bRef, ref yRef, columns, column);
        }

        if (Vector256.IsHardwareAccelerated && Vector256<T>.IsSupported && columns - column >= Vector256<T>.Count)
        {
            column = AffineColumns<Simd256<T>, T, TWeight, TFormat>(ref xRef, xRows, ref wRef, ref hRef, hRows, ref uRef, ref bRef, ref yRef, columns, column);
        }

        if (Vector128.IsHardwareAccelerated && Vector128<T>.IsSupported && columns - column >= Vector128<T>.Count)
        {
            column = AffineColumns<Simd128<T>, T, TWeight, TFormat>(ref xRef, xRows, ref wRef, ref hRef, hRows, ref uRef, ref bRef, ref yRef, columns, column);
        }

        if (column < columns)
        {
            AffineColumns<Scalar<T>, T, TWeight, TFormat>(ref xRef, xRows, ref wRef, ref hRef, hRows, ref uRef, ref bRef, ref yRef, columns, column);
        }
    }

    /// <summary>
    /// The columns from <paramref name="column"/> on, eight vectors of accumulators at a time (each matrix row streams
    /// 512 bytes in one run with AVX-512), then one; returns the first column left for a narrower vector.
    /// </summary>
    /// <remarks>
    /// Not inlined on purpose: each width is its own method, so the JIT's inlining budget covers the vector operations
    /// inlined here. Inlined into the caller, the four widths together exhausted it and the one-lane path called
    /// <c>Load</c>, <c>Create</c> and <c>MultiplyAdd</c> (seen in a profile: 15% of a small model's step).
    /// </remarks>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static int AffineColumns<TVector, T, TWeight, TFormat>(ref T x, int xRows, ref TWeight w, ref T h, int hRows, ref TWeight u, ref T bias, ref T y, int columns, int column)
        where TVector : struct, ISimdVector<TVector, T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        where TWeight : unmanaged
        where TFormat : struct, IWeightFormat<T, TWeight>
    {
        int width = TVector.Count;
        nuint v = (nuint)width;
        nuint stride = (nuint)columns;
        if (TVector.Count * Unsafe.SizeOf<T>() == 64)
        {
            // 512-bit vectors (32 registers): sixteen accumulators, so each matrix row streams 1 KB in one run.
            for (; column + 16 * width <= columns; column += 16 * width)
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
                TVector acc8 = TVector.Load(ref bias, c + 8 * v);
                TVector acc9 = TVector.Load(ref bias, c + 9 * v);
                TVector acc10 = TVector.Load(ref bias, c + 10 * v);
                TVector acc11 = TVector.Load(ref bias, c + 11 * v);
                TVector acc12 = TVector.Load(ref bias, c + 12 * v);
                TVector acc13 = TVector.Load(ref bias, c + 13 * v);
                TVector acc14 = TVector.Load(ref bias, c + 14 * v);
                TVector acc15 = TVector.Load(ref bias, c + 15 * v);
                nuint row = c;
                for (int i = 0; i < xRows; i++, row += stride)
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

                nuint recurrentRow = c;
                for (int i = 0; i < hRows; i++, recurrentRow += stride)
                {
                    TVector hi = TVector.Create(Unsafe.Add(ref h, i));
                    acc0 = TVector.MultiplyAdd(hi, TFormat.Load<TVector>(ref u, recurrentRow), acc0);
                    acc1 = TVector.MultiplyAdd(hi, TFormat.Load<TVector>(ref u, recurrentRow + v), acc1);
                    acc2 = TVector.MultiplyAdd(hi, TFormat.Load<TVector>(ref u, recurrentRow + 2 * v), acc2);
                    acc3 = TVector.MultiplyAdd(hi, TFormat.Load<TVector>(ref u, recurrentRow + 3 * v), acc3);
                    acc4 = TVector.MultiplyAdd(hi, TFormat.Load<TVector>(ref u, recurrentRow + 4 * v), acc4);
                    acc5 = TVector.MultiplyAdd(hi, TFormat.Load<TVector>(ref u, recurrentRow + 5 * v), acc5);
                    acc6 = TVector.MultiplyAdd(hi, TFormat.Load<TVector>(ref u, recurrentRow + 6 * v), acc6);
                    acc7 = TVector.MultiplyAdd(hi, TFormat.Load<TVector>(ref u, recurrentRow + 7 * v), acc7);
                    acc8 = TVector.MultiplyAdd(hi, TFormat.Load<TVector>(ref u, recurrentRow + 8 * v), acc8);
                    acc9 = TVector.MultiplyAdd(hi, TFormat.Load<TVector>(ref u, recurrentRow + 9 * v), acc9);
                    acc10 = TVector.MultiplyAdd(hi, TFormat.Load<TVector>(ref u, recurrentRow + 10 * v), acc10);
                    acc11 = TVector.MultiplyAdd(hi, TFormat.Load<TVector>(ref u, recurrentRow + 11 * v), acc11);
                    acc12 = TVector.MultiplyAdd(hi, TFormat.Load<TVector>(ref u, recurrentRow + 12 * v), acc12);
                    acc13 = TVector.MultiplyAdd(hi, TFormat.Load<TVector>(ref u, recurrentRow + 13 * v), acc13);
                    acc14 = TVector.MultiplyAdd(hi, TFormat.Load<TVector>(ref u, recurrentRow + 14 * v), acc14);
                    acc15 = TVector.MultiplyAdd(hi, TFormat.Load<TVector>(ref u, recurrentRow + 15 * v), acc15);
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
                acc0 = TVector.MultiplyAdd(xi, TFormat.Load<TVector>(ref w, row), acc0);
                acc1 = TVector.MultiplyAdd(xi, TFormat.Load<TVector>(ref w, row + v), acc1);
                acc2 = TVector.MultiplyAdd(xi, TFormat.Load<TVector>(ref w, row + 2 * v), acc2);
                acc3 = TVector.MultiplyAdd(xi, TFormat.Load<TVector>(ref w, row + 3 * v), acc3);
                acc4 = TVector.MultiplyAdd(xi, TFormat.Load<TVector>(ref w, row + 4 * v), acc4);
                acc5 = TVector.MultiplyAdd(xi, TFormat.Load<TVector>(ref w, row + 5 * v), acc5);
                acc6 = TVector.MultiplyAdd(xi, TFormat.Load<TVector>(ref w, row + 6 * v), acc6);
                acc7 = TVector.MultiplyAdd(xi, TFormat.Load<TVector>(ref w, row + 7 * v), acc7);
            }

            row = c;
            for (int i = 0; i < hRows; i++, row += stride)
            {
                TVector hi = TVector.Create(Unsafe.Add(ref h, i));
                acc0 = TVector.MultiplyAdd(hi, TFormat.Load<TVector>(ref u, row), acc0);
                acc1 = TVector.MultiplyAdd(hi, TFormat.Load<TVector>(ref u, row + v), acc1);
                acc2 = TVector.MultiplyAdd(hi, TFormat.Load<TVector>(ref u, row + 2 * v), acc2);
                acc3 = TVector.MultiplyAdd(hi, TFormat.Load<TVector>(ref u, row + 3 * v), acc3);
                acc4 = TVector.MultiplyAdd(hi, TFormat.Load<TVector>(ref u, row + 4 * v), acc4);
                acc5 = TVector.MultiplyAdd(hi, TFormat.Load<TVector>(ref u, row + 5 * v), acc5);
                acc6 = TVector.MultiplyAdd(hi, TFormat.Load<TVector>(ref u, row + 6 * v), acc6);
                acc7 = TVector.MultiplyAdd(hi, TFormat.Load<TVector>(ref u, row + 7 * v), acc7);
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
            TVector acc0 = TVector.Load(ref bias, c);
            TVector acc1 = TVector.Load(ref bias, c + v);
            TVector acc2 = TVector.Load(ref bias, c + 2 * v);
            TVector acc3 = TVector.Load(ref bias, c + 3 * v);
            nuint row = c;
            for (int i = 0; i < xRows; i++, row += stride)
            {
                TVector xi = TVector.Create(Unsafe.Add(ref x, i));
                acc0 = TVector.MultiplyAdd(xi, TFormat.Load<TVector>(ref w, row), acc0);
                acc1 = TVector.MultiplyAdd(xi, TFormat.Load<TVector>(ref w, row + v), acc1);
                acc2 = TVector.MultiplyAdd(xi, TFormat.Load<TVector>(ref w, row + 2 * v), acc2);
                acc3 = TVector.MultiplyAdd(xi, TFormat.Load<TVector>(ref w, row + 3 * v), acc3);
            }

            row = c;
            for (int i = 0; i < hRows; i++, row += stride)
            {
                TVector hi = TVector.Create(Unsafe.Add(ref h, i));
                acc0 = TVector.MultiplyAdd(hi, TFormat.Load<TVector>(ref u, row), acc0);
                acc1 = TVector.MultiplyAdd(hi, TFormat.Load<TVector>(ref u, row + v), acc1);
                acc2 = TVector.MultiplyAdd(hi, TFormat.Load<TVector>(ref u, row + 2 * v), acc2);
                acc3 = TVector.MultiplyAdd(hi, TFormat.Load<TVector>(ref u, row + 3 * v), acc3);
            }

            TVector.Store(acc0, ref y, c);
            TVector.Store(acc1, ref y, c + v);
            TVector.Store(acc2, ref y, c + 2 * v);
            TVector.Store(acc3, ref y, c + 3 * v);
        }

        for (; column + 2 * width <= columns; column += 2 * width)
        {
            nuint c = (nuint)column;
            TVector acc0 = TVector.Load(ref bias, c);
            TVector acc1 = TVector.Load(ref bias, c + v);
            nuint row = c;
            for (int i = 0; i < xRows; i++, row += stride)
            {
                TVector xi = TVector.Create(Unsafe.Add(ref x, i));
                acc0 = TVector.MultiplyAdd(xi, TFormat.Load<TVector>(ref w, row), acc0);
                acc1 = TVector.MultiplyAdd(xi, TFormat.Load<TVector>(ref w, row + v), acc1);
            }

            row = c;
            for (int i = 0; i < hRows; i++, row += stride)
            {
                TVector hi = TVector.Create(Unsafe.Add(ref h, i));
                acc0 = TVector.MultiplyAdd(hi, TFormat.Load<TVector>(ref u, row), acc0);
                acc1 = TVector.MultiplyAdd(hi, TFormat.Load<TVector>(ref u, row + v), acc1);
            }

            TVector.Store(acc0, ref y, c);
            TVector.Store(acc1, ref y, c + v);
        }

        for (; column + width <= columns; column += width)
        {
            nuint c = (nuint)column;
            TVector acc = TVector.Load(ref bias, c);
            nuint row = c;
            for (int i = 0; i < xRows; i++, row += stride)
            {
                acc = TVector.MultiplyAdd(TVector.Create(Unsafe.Add(ref x, i)), TFormat.Load<TVector>(ref w, row), acc);
            }

            row = c;
            for (int i = 0; i < hRows; i++, row += stride)
            {
                acc = TVector.MultiplyAdd(TVector.Create(Unsafe.Add(ref h, i)), TFormat.Load<TVector>(ref u, row), acc);
            }

            TVector.Store(acc, ref y, c);
        }

        return column;
    }
}
