using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace RnnCompiler.Kernels;

/// <summary>
/// Matrix-matrix products for the weight and input gradients of a whole sequence at once. Backpropagation through time
/// first runs the recurrence (which needs one step after another) and keeps every step's gate gradients; the weight
/// gradients are then <c>Xᵀ·Δ</c> and <c>Hᵀ·Δ</c> and the input gradients <c>Δ·Wᵀ</c>, where each weight-gradient
/// element is loaded and stored once per sequence instead of once per step, and each loaded value feeds several
/// multiply-adds held in registers.
/// </summary>
public static partial class MatrixKernels
{
    /// <summary>
    /// <c>c[i · cStride + j] += Σ_k a[k · aStride + i] · b[k · bStride + j]</c> for <c>i &lt; rows</c>,
    /// <c>j &lt; columns</c>, <c>k &lt; depth</c>: <c>C += Aᵀ·B</c> with A [depth, rows] and B [depth, columns].
    /// Each element of C sums its <c>depth</c> products in order of k, starting from its value.
    /// </summary>
    /// <param name="a">A, [depth, rows] with rows <paramref name="aStride"/> apart (e.g. the inputs of every step).</param>
    /// <param name="aStride">The distance between two rows of <paramref name="a"/>; at least <paramref name="rows"/>.</param>
    /// <param name="b">B, [depth, columns] with rows <paramref name="bStride"/> apart (e.g. the gate gradients of every step).</param>
    /// <param name="bStride">The distance between two rows of <paramref name="b"/>; at least <paramref name="columns"/>.</param>
    /// <param name="depth">The number of rows of A and B summed over (the steps).</param>
    /// <param name="rows">The rows of C.</param>
    /// <param name="columns">The columns of C.</param>
    /// <param name="c">C, [rows, columns] with rows <paramref name="cStride"/> apart; accumulated into.</param>
    /// <param name="cStride">The distance between two rows of <paramref name="c"/>; at least <paramref name="columns"/>.</param>
    /// <exception cref="ArgumentException">A span or stride is too small for the shapes.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void AddTransposedProduct<T>(
        ReadOnlySpan<T> a, int aStride, ReadOnlySpan<T> b, int bStride, int depth, int rows, int columns, Span<T> c, int cStride)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (depth <= 0 || rows <= 0 || columns <= 0)
        {
            return;
        }

        CheckOperand(a.Length, depth, rows, aStride, nameof(a));
        CheckOperand(b.Length, depth, columns, bStride, nameof(b));
        CheckOperand(c.Length, rows, columns, cStride, nameof(c));
        ref T aRef = ref MemoryMarshal.GetReference(a);
        ref T bRef = ref MemoryMarshal.GetReference(b);
        ref T cRef = ref MemoryMarshal.GetReference(c);
        var shape = new ProductShape(aStride, bStride, cStride, depth, rows, columns);
        int column = 0;
        if (VectorPaths.Use512 && Vector512<T>.IsSupported && columns >= Vector512<T>.Count)
        {
            column = TransposedProductColumns<Simd512<T>, T>(ref aRef, ref bRef, ref cRef, shape, column);
        }

        if (Vector256.IsHardwareAccelerated && Vector256<T>.IsSupported && columns - column >= Vector256<T>.Count)
        {
            column = TransposedProductColumns<Simd256<T>, T>(ref aRef, ref bRef, ref cRef, shape, column);
        }

        if (Vector128.IsHardwareAccelerated && Vector128<T>.IsSupported && columns - column >= Vector128<T>.Count)
        {
            column = TransposedProductColumns<Simd128<T>, T>(ref aRef, ref bRef, ref cRef, shape, column);
        }

        if (column < columns)
        {
            TransposedProductColumns<Scalar<T>, T>(ref aRef, ref bRef, ref cRef, shape, column);
        }
    }

    /// <summary>
    /// <c>c[r · cStride + i] += Σ_j a[r · aStride + j] · b[i · bStride + j]</c> for <c>r &lt; rows</c>,
    /// <c>i &lt; columns</c>, <c>j &lt; depth</c>: <c>C += A·Bᵀ</c> with A [rows, depth] and B [columns, depth], e.g. the
    /// input gradients of every step, <c>Δ·Wᵀ</c>, from the gate gradients Δ [steps, gates] and the kernel W [inputs, gates].
    /// Each element of C is a dot product summed lane by lane at one vector width, the lanes added at the end, then the
    /// elements past the last whole vector; the order depends only on <paramref name="depth"/> and the machine's width.
    /// </summary>
    /// <param name="a">A, [rows, depth] with rows <paramref name="aStride"/> apart.</param>
    /// <param name="aStride">The distance between two rows of <paramref name="a"/>; at least <paramref name="depth"/>.</param>
    /// <param name="b">B, [columns, depth] with rows <paramref name="bStride"/> apart.</param>
    /// <param name="bStride">The distance between two rows of <paramref name="b"/>; at least <paramref name="depth"/>.</param>
    /// <param name="depth">The length of each dot product.</param>
    /// <param name="rows">The rows of C.</param>
    /// <param name="columns">The columns of C.</param>
    /// <param name="c">C, [rows, columns] with rows <paramref name="cStride"/> apart; accumulated into.</param>
    /// <param name="cStride">The distance between two rows of <paramref name="c"/>; at least <paramref name="columns"/>.</param>
    /// <exception cref="ArgumentException">A span or stride is too small for the shapes.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void AddProductTransposed<T>(
        ReadOnlySpan<T> a, int aStride, ReadOnlySpan<T> b, int bStride, int depth, int rows, int columns, Span<T> c, int cStride)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (depth <= 0 || rows <= 0 || columns <= 0)
        {
            return;
        }

        CheckOperand(a.Length, rows, depth, aStride, nameof(a));
        CheckOperand(b.Length, columns, depth, bStride, nameof(b));
        CheckOperand(c.Length, rows, columns, cStride, nameof(c));
        ref T aRef = ref MemoryMarshal.GetReference(a);
        ref T bRef = ref MemoryMarshal.GetReference(b);
        ref T cRef = ref MemoryMarshal.GetReference(c);
        var shape = new ProductShape(aStride, bStride, cStride, depth, rows, columns);
        if (VectorPaths.Use512 && Vector512<T>.IsSupported && depth >= Vector512<T>.Count)
        {
            ProductTransposedRows<Simd512<T>, T>(ref aRef, ref bRef, ref cRef, shape);
        }
        else if (Vector256.IsHardwareAccelerated && Vector256<T>.IsSupported && depth >= Vector256<T>.Count)
        {
            ProductTransposedRows<Simd256<T>, T>(ref aRef, ref bRef, ref cRef, shape);
        }
        else if (Vector128.IsHardwareAccelerated && Vector128<T>.IsSupported && depth >= Vector128<T>.Count)
        {
            ProductTransposedRows<Simd128<T>, T>(ref aRef, ref bRef, ref cRef, shape);
        }
        else
        {
            ProductTransposedRows<Scalar<T>, T>(ref aRef, ref bRef, ref cRef, shape);
        }
    }

    /// <summary>
    /// <c>c[r · cStride + j] += Σ_k a[r · aStride + k] · b[k · bStride + j]</c> for <c>r &lt; rows</c>,
    /// <c>j &lt; columns</c>, <c>k &lt; depth</c>: <c>C += A·B</c> with A [rows, depth] and B [depth, columns], e.g. one
    /// step of a batch run in lock step, <c>gates[s] += h[s] · U</c> for every sequence s at once. Each element of C sums
    /// its products in order of k, one fused multiply-add at a time from its own value, as
    /// <see cref="MultiplyAdd{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, int, Span{T})"/> does for one row: a row of C gets the same bits whichever rows it is computed with.
    /// </summary>
    /// <param name="a">A, [rows, depth] with rows <paramref name="aStride"/> apart (e.g. each sequence's state).</param>
    /// <param name="aStride">The distance between two rows of <paramref name="a"/>; at least <paramref name="depth"/>.</param>
    /// <param name="b">B, [depth, columns] with rows <paramref name="bStride"/> apart (e.g. the recurrent kernel).</param>
    /// <param name="bStride">The distance between two rows of <paramref name="b"/>; at least <paramref name="columns"/>.</param>
    /// <param name="depth">The length of each sum.</param>
    /// <param name="rows">The rows of A and C.</param>
    /// <param name="columns">The columns of B and C.</param>
    /// <param name="c">C, [rows, columns] with rows <paramref name="cStride"/> apart; accumulated into.</param>
    /// <param name="cStride">The distance between two rows of <paramref name="c"/>; at least <paramref name="columns"/>.</param>
    /// <exception cref="ArgumentException">A span or stride is too small for the shapes.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void AddProduct<T>(
        ReadOnlySpan<T> a, int aStride, ReadOnlySpan<T> b, int bStride, int depth, int rows, int columns, Span<T> c, int cStride)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (depth <= 0 || rows <= 0 || columns <= 0)
        {
            return;
        }

        CheckOperand(a.Length, rows, depth, aStride, nameof(a));
        CheckOperand(b.Length, depth, columns, bStride, nameof(b));
        CheckOperand(c.Length, rows, columns, cStride, nameof(c));
        if (columns == 1 && bStride == 1)
        {
            // One contiguous column: a dot product per row, summed as MultiplyAdd sums one column, so a batch's rows get
            // what the one-sequence kernels give them.
            for (int row = 0; row < rows; row++)
            {
                c[row * cStride] += Dot(a.Slice(row * aStride, depth), b.Slice(0, depth));
            }

            return;
        }

        ref T aRef = ref MemoryMarshal.GetReference(a);
        ref T bRef = ref MemoryMarshal.GetReference(b);
        ref T cRef = ref MemoryMarshal.GetReference(c);
        var shape = new ProductShape(aStride, bStride, cStride, depth, rows, columns);
        int column = 0;
        if (VectorPaths.Use512 && Vector512<T>.IsSupported && columns >= Vector512<T>.Count)
        {
            column = ProductColumns<Simd512<T>, T>(ref aRef, ref bRef, ref cRef, shape, column);
        }

        if (Vector256.IsHardwareAccelerated && Vector256<T>.IsSupported && columns - column >= Vector256<T>.Count)
        {
            column = ProductColumns<Simd256<T>, T>(ref aRef, ref bRef, ref cRef, shape, column);
        }

        if (Vector128.IsHardwareAccelerated && Vector128<T>.IsSupported && columns - column >= Vector128<T>.Count)
        {
            column = ProductColumns<Simd128<T>, T>(ref aRef, ref bRef, ref cRef, shape, column);
        }

        if (column < columns)
        {
            ProductColumns<Scalar<T>, T>(ref aRef, ref bRef, ref cRef, shape, column);
        }
    }

    /// <summary><c>sums[j] += Σ_k a[k · stride + j]</c> for <c>j &lt; sums.Length</c>, <c>k &lt; depth</c>, in order of k.</summary>
    /// <param name="a">[depth, sums.Length] with rows <paramref name="stride"/> apart.</param>
    /// <param name="stride">The distance between two rows of <paramref name="a"/>.</param>
    /// <param name="depth">The number of rows summed.</param>
    /// <param name="sums">Accumulated into.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void AddColumnSums<T>(ReadOnlySpan<T> a, int stride, int depth, Span<T> sums)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (depth <= 0 || sums.IsEmpty)
        {
            return;
        }

        CheckOperand(a.Length, depth, sums.Length, stride, nameof(a));
        ref T aRef = ref MemoryMarshal.GetReference(a);
        ref T sRef = ref MemoryMarshal.GetReference(sums);
        int columns = sums.Length, column = 0;
        if (VectorPaths.Use512 && Vector512<T>.IsSupported && columns >= Vector512<T>.Count)
        {
            column = ColumnSums<Simd512<T>, T>(ref aRef, stride, depth, ref sRef, columns, column);
        }

        if (Vector256.IsHardwareAccelerated && Vector256<T>.IsSupported && columns - column >= Vector256<T>.Count)
        {
            column = ColumnSums<Simd256<T>, T>(ref aRef, stride, depth, ref sRef, columns, column);
        }

        if (Vector128.IsHardwareAccelerated && Vector128<T>.IsSupported && columns - column >= Vector128<T>.Count)
        {
            column = ColumnSums<Simd128<T>, T>(ref aRef, stride, depth, ref sRef, columns, column);
        }

        if (column < columns)
        {
            ColumnSums<Scalar<T>, T>(ref aRef, stride, depth, ref sRef, columns, column);
        }
    }

    /// <summary>
    /// <see cref="AddColumnSums{T}"/> over the columns from <paramref name="column"/> on at one width: eight vectors of
    /// sums (then one) stay in registers down all the rows, instead of one pass over the sums per row. Each sum adds the
    /// rows in order of k, so the result is that of adding row after row. Returns the first column left.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static int ColumnSums<TVector, T>(ref T a, int stride, int depth, ref T sums, int columns, int column)
        where TVector : struct, ISimdVector<TVector, T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int width = TVector.Count;
        nuint v = (nuint)width, s = (nuint)stride;
        for (; column + 8 * width <= columns; column += 8 * width)
        {
            nuint j = (nuint)column;
            TVector s0 = TVector.Load(ref sums, j), s1 = TVector.Load(ref sums, j + v), s2 = TVector.Load(ref sums, j + 2 * v), s3 = TVector.Load(ref sums, j + 3 * v);
            TVector s4 = TVector.Load(ref sums, j + 4 * v), s5 = TVector.Load(ref sums, j + 5 * v), s6 = TVector.Load(ref sums, j + 6 * v), s7 = TVector.Load(ref sums, j + 7 * v);
            nuint row = j;
            for (int k = 0; k < depth; k++, row += s)
            {
                s0 = TVector.Add(s0, TVector.Load(ref a, row));
                s1 = TVector.Add(s1, TVector.Load(ref a, row + v));
                s2 = TVector.Add(s2, TVector.Load(ref a, row + 2 * v));
                s3 = TVector.Add(s3, TVector.Load(ref a, row + 3 * v));
                s4 = TVector.Add(s4, TVector.Load(ref a, row + 4 * v));
                s5 = TVector.Add(s5, TVector.Load(ref a, row + 5 * v));
                s6 = TVector.Add(s6, TVector.Load(ref a, row + 6 * v));
                s7 = TVector.Add(s7, TVector.Load(ref a, row + 7 * v));
            }

            TVector.Store(s0, ref sums, j); TVector.Store(s1, ref sums, j + v); TVector.Store(s2, ref sums, j + 2 * v); TVector.Store(s3, ref sums, j + 3 * v);
            TVector.Store(s4, ref sums, j + 4 * v); TVector.Store(s5, ref sums, j + 5 * v); TVector.Store(s6, ref sums, j + 6 * v); TVector.Store(s7, ref sums, j + 7 * v);
        }

        for (; column + width <= columns; column += width)
        {
            nuint j = (nuint)column;
            TVector sum = TVector.Load(ref sums, j);
            nuint row = j;
            for (int k = 0; k < depth; k++, row += s)
            {
                sum = TVector.Add(sum, TVector.Load(ref a, row));
            }

            TVector.Store(sum, ref sums, j);
        }

        return column;
    }

    private static void CheckOperand(int length, int rows, int columns, int stride, string name)
    {
        if (stride < columns)
        {
            throw new ArgumentOutOfRangeException(name, stride, $"The row stride of {name} must be at least its {columns} columns.");
        }

        if (length < ((long)rows - 1) * stride + columns)
        {
            throw new ArgumentException($"{name} needs [{rows}, {columns}] with rows {stride} apart, at least {((long)rows - 1) * stride + columns} elements; it has {length}.", name);
        }
    }

    /// <summary>The sizes and strides of a product, so that each width's loop takes one argument for them.</summary>
    private readonly record struct ProductShape(int AStride, int BStride, int CStride, int Depth, int Rows, int Columns);

    /// <summary>
    /// <c>C += Aᵀ·B</c> over the columns from <paramref name="column"/> on, in blocks of two vectors of columns by four
    /// rows of C (eight accumulators: per k, two loads of B and four broadcasts of A feed eight multiply-adds), then the
    /// leftover rows, then one vector of columns; returns the first column left for a narrower vector. With 512-bit vectors
    /// the columns start in blocks of three vectors by eight rows, then four by four.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static int TransposedProductColumns<TVector, T>(ref T a, ref T b, ref T c, ProductShape shape, int column)
        where TVector : struct, ISimdVector<TVector, T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int width = TVector.Count;
        nuint v = (nuint)width;
        nuint aStride = (nuint)shape.AStride, bStride = (nuint)shape.BStride, cStride = (nuint)shape.CStride;
        int depth = shape.Depth, rows = shape.Rows, columns = shape.Columns;
        if (TVector.Count * Unsafe.SizeOf<T>() == 64 && rows >= 8)
        {
            // 512-bit vectors (32 registers): eight rows of C by three vectors of columns, 24 accumulators; per k, three
            // loads of B and eight broadcasts of A feed 24 multiply-adds. On Zen 5, 82 to 84 GMAC/s at the training
            // shapes against 61 to 75 for four rows by four vectors (below, which takes the rest).
            for (; column + 3 * width <= columns; column += 3 * width)
            {
                nuint j = (nuint)column;
                int i = 0;
                for (; i + 8 <= rows; i += 8)
                {
                    nuint c0 = (nuint)i * cStride + j;
                    TVector s00 = TVector.Load(ref c, c0), s01 = TVector.Load(ref c, c0 + v), s02 = TVector.Load(ref c, c0 + 2 * v);
                    TVector s10 = TVector.Load(ref c, c0 + cStride), s11 = TVector.Load(ref c, c0 + cStride + v), s12 = TVector.Load(ref c, c0 + cStride + 2 * v);
                    TVector s20 = TVector.Load(ref c, c0 + 2 * cStride), s21 = TVector.Load(ref c, c0 + 2 * cStride + v), s22 = TVector.Load(ref c, c0 + 2 * cStride + 2 * v);
                    TVector s30 = TVector.Load(ref c, c0 + 3 * cStride), s31 = TVector.Load(ref c, c0 + 3 * cStride + v), s32 = TVector.Load(ref c, c0 + 3 * cStride + 2 * v);
                    TVector s40 = TVector.Load(ref c, c0 + 4 * cStride), s41 = TVector.Load(ref c, c0 + 4 * cStride + v), s42 = TVector.Load(ref c, c0 + 4 * cStride + 2 * v);
                    TVector s50 = TVector.Load(ref c, c0 + 5 * cStride), s51 = TVector.Load(ref c, c0 + 5 * cStride + v), s52 = TVector.Load(ref c, c0 + 5 * cStride + 2 * v);
                    TVector s60 = TVector.Load(ref c, c0 + 6 * cStride), s61 = TVector.Load(ref c, c0 + 6 * cStride + v), s62 = TVector.Load(ref c, c0 + 6 * cStride + 2 * v);
                    TVector s70 = TVector.Load(ref c, c0 + 7 * cStride), s71 = TVector.Load(ref c, c0 + 7 * cStride + v), s72 = TVector.Load(ref c, c0 + 7 * cStride + 2 * v);
                    nuint aRow = (nuint)i, bRow = j;
                    for (int k = 0; k < depth; k++, aRow += aStride, bRow += bStride)
                    {
                        TVector b0 = TVector.Load(ref b, bRow), b1 = TVector.Load(ref b, bRow + v), b2 = TVector.Load(ref b, bRow + 2 * v);
                        TVector x = TVector.Create(Unsafe.Add(ref a, aRow));
                        s00 = TVector.MultiplyAdd(x, b0, s00); s01 = TVector.MultiplyAdd(x, b1, s01); s02 = TVector.MultiplyAdd(x, b2, s02);
                        x = TVector.Create(Unsafe.Add(ref a, aRow + 1));
                        s10 = TVector.MultiplyAdd(x, b0, s10); s11 = TVector.MultiplyAdd(x, b1, s11); s12 = TVector.MultiplyAdd(x, b2, s12);
                        x = TVector.Create(Unsafe.Add(ref a, aRow + 2));
                        s20 = TVector.MultiplyAdd(x, b0, s20); s21 = TVector.MultiplyAdd(x, b1, s21); s22 = TVector.MultiplyAdd(x, b2, s22);
                        x = TVector.Create(Unsafe.Add(ref a, aRow + 3));
                        s30 = TVector.MultiplyAdd(x, b0, s30); s31 = TVector.MultiplyAdd(x, b1, s31); s32 = TVector.MultiplyAdd(x, b2, s32);
                        x = TVector.Create(Unsafe.Add(ref a, aRow + 4));
                        s40 = TVector.MultiplyAdd(x, b0, s40); s41 = TVector.MultiplyAdd(x, b1, s41); s42 = TVector.MultiplyAdd(x, b2, s42);
                        x = TVector.Create(Unsafe.Add(ref a, aRow + 5));
                        s50 = TVector.MultiplyAdd(x, b0, s50); s51 = TVector.MultiplyAdd(x, b1, s51); s52 = TVector.MultiplyAdd(x, b2, s52);
                        x = TVector.Create(Unsafe.Add(ref a, aRow + 6));
                        s60 = TVector.MultiplyAdd(x, b0, s60); s61 = TVector.MultiplyAdd(x, b1, s61); s62 = TVector.MultiplyAdd(x, b2, s62);
                        x = TVector.Create(Unsafe.Add(ref a, aRow + 7));
                        s70 = TVector.MultiplyAdd(x, b0, s70); s71 = TVector.MultiplyAdd(x, b1, s71); s72 = TVector.MultiplyAdd(x, b2, s72);
                    }

                    TVector.Store(s00, ref c, c0); TVector.Store(s01, ref c, c0 + v); TVector.Store(s02, ref c, c0 + 2 * v);
                    TVector.Store(s10, ref c, c0 + cStride); TVector.Store(s11, ref c, c0 + cStride + v); TVector.Store(s12, ref c, c0 + cStride + 2 * v);
                    TVector.Store(s20, ref c, c0 + 2 * cStride); TVector.Store(s21, ref c, c0 + 2 * cStride + v); TVector.Store(s22, ref c, c0 + 2 * cStride + 2 * v);
                    TVector.Store(s30, ref c, c0 + 3 * cStride); TVector.Store(s31, ref c, c0 + 3 * cStride + v); TVector.Store(s32, ref c, c0 + 3 * cStride + 2 * v);
                    TVector.Store(s40, ref c, c0 + 4 * cStride); TVector.Store(s41, ref c, c0 + 4 * cStride + v); TVector.Store(s42, ref c, c0 + 4 * cStride + 2 * v);
                    TVector.Store(s50, ref c, c0 + 5 * cStride); TVector.Store(s51, ref c, c0 + 5 * cStride + v); TVector.Store(s52, ref c, c0 + 5 * cStride + 2 * v);
                    TVector.Store(s60, ref c, c0 + 6 * cStride); TVector.Store(s61, ref c, c0 + 6 * cStride + v); TVector.Store(s62, ref c, c0 + 6 * cStride + 2 * v);
                    TVector.Store(s70, ref c, c0 + 7 * cStride); TVector.Store(s71, ref c, c0 + 7 * cStride + v); TVector.Store(s72, ref c, c0 + 7 * cStride + 2 * v);
                }

                // The rows left over, one vector at a time.
                for (; i < rows; i++)
                {
                    for (nuint q = 0; q < 3 * v; q += v)
                    {
                        nuint c0 = (nuint)i * cStride + j + q;
                        TVector s = TVector.Load(ref c, c0);
                        nuint aRow = (nuint)i, bRow = j + q;
                        for (int k = 0; k < depth; k++, aRow += aStride, bRow += bStride)
                        {
                            s = TVector.MultiplyAdd(TVector.Create(Unsafe.Add(ref a, aRow)), TVector.Load(ref b, bRow), s);
                        }

                        TVector.Store(s, ref c, c0);
                    }
                }
            }
        }

        if (TVector.Count * Unsafe.SizeOf<T>() == 64)
        {
            // 512-bit vectors (32 registers): four rows of C by four vectors of columns, sixteen accumulators; per k,
            // four loads of B and four broadcasts of A feed sixteen multiply-adds.
            for (; column + 4 * width <= columns && rows >= 4; column += 4 * width)
            {
                nuint j = (nuint)column;
                int i = 0;
                for (; i + 4 <= rows; i += 4)
                {
                    nuint c0 = (nuint)i * cStride + j;
                    TVector s00 = TVector.Load(ref c, c0), s01 = TVector.Load(ref c, c0 + v), s02 = TVector.Load(ref c, c0 + 2 * v), s03 = TVector.Load(ref c, c0 + 3 * v);
                    TVector s10 = TVector.Load(ref c, c0 + 1 * cStride), s11 = TVector.Load(ref c, c0 + 1 * cStride + v), s12 = TVector.Load(ref c, c0 + 1 * cStride + 2 * v), s13 = TVector.Load(ref c, c0 + 1 * cStride + 3 * v);
                    TVector s20 = TVector.Load(ref c, c0 + 2 * cStride), s21 = TVector.Load(ref c, c0 + 2 * cStride + v), s22 = TVector.Load(ref c, c0 + 2 * cStride + 2 * v), s23 = TVector.Load(ref c, c0 + 2 * cStride + 3 * v);
                    TVector s30 = TVector.Load(ref c, c0 + 3 * cStride), s31 = TVector.Load(ref c, c0 + 3 * cStride + v), s32 = TVector.Load(ref c, c0 + 3 * cStride + 2 * v), s33 = TVector.Load(ref c, c0 + 3 * cStride + 3 * v);
                    nuint aRow = (nuint)i, bRow = j;
                    for (int k = 0; k < depth; k++, aRow += aStride, bRow += bStride)
                    {
                        TVector b0 = TVector.Load(ref b, bRow), b1 = TVector.Load(ref b, bRow + v), b2 = TVector.Load(ref b, bRow + 2 * v), b3 = TVector.Load(ref b, bRow + 3 * v);
                        TVector x0 = TVector.Create(Unsafe.Add(ref a, aRow));
                        s00 = TVector.MultiplyAdd(x0, b0, s00);
                        s01 = TVector.MultiplyAdd(x0, b1, s01);
                        s02 = TVector.MultiplyAdd(x0, b2, s02);
                        s03 = TVector.MultiplyAdd(x0, b3, s03);
                        TVector x1 = TVector.Create(Unsafe.Add(ref a, aRow + 1));
                        s10 = TVector.MultiplyAdd(x1, b0, s10);
                        s11 = TVector.MultiplyAdd(x1, b1, s11);
                        s12 = TVector.MultiplyAdd(x1, b2, s12);
                        s13 = TVector.MultiplyAdd(x1, b3, s13);
                        TVector x2 = TVector.Create(Unsafe.Add(ref a, aRow + 2));
                        s20 = TVector.MultiplyAdd(x2, b0, s20);
                        s21 = TVector.MultiplyAdd(x2, b1, s21);
                        s22 = TVector.MultiplyAdd(x2, b2, s22);
                        s23 = TVector.MultiplyAdd(x2, b3, s23);
                        TVector x3 = TVector.Create(Unsafe.Add(ref a, aRow + 3));
                        s30 = TVector.MultiplyAdd(x3, b0, s30);
                        s31 = TVector.MultiplyAdd(x3, b1, s31);
                        s32 = TVector.MultiplyAdd(x3, b2, s32);
                        s33 = TVector.MultiplyAdd(x3, b3, s33);
                    }

                    TVector.Store(s00, ref c, c0);
                    TVector.Store(s01, ref c, c0 + v);
                    TVector.Store(s02, ref c, c0 + 2 * v);
                    TVector.Store(s03, ref c, c0 + 3 * v);
                    TVector.Store(s10, ref c, c0 + 1 * cStride);
                    TVector.Store(s11, ref c, c0 + 1 * cStride + v);
                    TVector.Store(s12, ref c, c0 + 1 * cStride + 2 * v);
                    TVector.Store(s13, ref c, c0 + 1 * cStride + 3 * v);
                    TVector.Store(s20, ref c, c0 + 2 * cStride);
                    TVector.Store(s21, ref c, c0 + 2 * cStride + v);
                    TVector.Store(s22, ref c, c0 + 2 * cStride + 2 * v);
                    TVector.Store(s23, ref c, c0 + 2 * cStride + 3 * v);
                    TVector.Store(s30, ref c, c0 + 3 * cStride);
                    TVector.Store(s31, ref c, c0 + 3 * cStride + v);
                    TVector.Store(s32, ref c, c0 + 3 * cStride + 2 * v);
                    TVector.Store(s33, ref c, c0 + 3 * cStride + 3 * v);
                }

                // The rows left over, two vectors of columns at a time, as below.
                for (; i < rows; i++)
                {
                    for (nuint q = 0; q < 4 * v; q += 2 * v)
                    {
                        nuint c0 = (nuint)i * cStride + j + q;
                        TVector s0 = TVector.Load(ref c, c0), s1 = TVector.Load(ref c, c0 + v);
                        nuint aRow = (nuint)i, bRow = j + q;
                        for (int k = 0; k < depth; k++, aRow += aStride, bRow += bStride)
                        {
                            TVector x = TVector.Create(Unsafe.Add(ref a, aRow));
                            s0 = TVector.MultiplyAdd(x, TVector.Load(ref b, bRow), s0);
                            s1 = TVector.MultiplyAdd(x, TVector.Load(ref b, bRow + v), s1);
                        }

                        TVector.Store(s0, ref c, c0);
                        TVector.Store(s1, ref c, c0 + v);
                    }
                }
            }
        }

        for (; column + 2 * width <= columns; column += 2 * width)
        {
            nuint j = (nuint)column;
            int i = 0;
            for (; i + 4 <= rows; i += 4)
            {
                nuint c0 = (nuint)i * cStride + j;
                nuint c1 = c0 + cStride, c2 = c1 + cStride, c3 = c2 + cStride;
                TVector s00 = TVector.Load(ref c, c0), s01 = TVector.Load(ref c, c0 + v);
                TVector s10 = TVector.Load(ref c, c1), s11 = TVector.Load(ref c, c1 + v);
                TVector s20 = TVector.Load(ref c, c2), s21 = TVector.Load(ref c, c2 + v);
                TVector s30 = TVector.Load(ref c, c3), s31 = TVector.Load(ref c, c3 + v);
                nuint aRow = (nuint)i, bRow = j;
                for (int k = 0; k < depth; k++, aRow += aStride, bRow += bStride)
                {
                    TVector b0 = TVector.Load(ref b, bRow), b1 = TVector.Load(ref b, bRow + v);
                    TVector x = TVector.Create(Unsafe.Add(ref a, aRow));
                    s00 = TVector.MultiplyAdd(x, b0, s00);
                    s01 = TVector.MultiplyAdd(x, b1, s01);
                    x = TVector.Create(Unsafe.Add(ref a, aRow + 1));
                    s10 = TVector.MultiplyAdd(x, b0, s10);
                    s11 = TVector.MultiplyAdd(x, b1, s11);
                    x = TVector.Create(Unsafe.Add(ref a, aRow + 2));
                    s20 = TVector.MultiplyAdd(x, b0, s20);
                    s21 = TVector.MultiplyAdd(x, b1, s21);
                    x = TVector.Create(Unsafe.Add(ref a, aRow + 3));
                    s30 = TVector.MultiplyAdd(x, b0, s30);
                    s31 = TVector.MultiplyAdd(x, b1, s31);
                }

                TVector.Store(s00, ref c, c0);
                TVector.Store(s01, ref c, c0 + v);
                TVector.Store(s10, ref c, c1);
                TVector.Store(s11, ref c, c1 + v);
                TVector.Store(s20, ref c, c2);
                TVector.Store(s21, ref c, c2 + v);
                TVector.Store(s30, ref c, c3);
                TVector.Store(s31, ref c, c3 + v);
            }

            for (; i < rows; i++)
            {
                nuint c0 = (nuint)i * cStride + j;
                TVector s0 = TVector.Load(ref c, c0), s1 = TVector.Load(ref c, c0 + v);
                nuint aRow = (nuint)i, bRow = j;
                for (int k = 0; k < depth; k++, aRow += aStride, bRow += bStride)
                {
                    TVector x = TVector.Create(Unsafe.Add(ref a, aRow));
                    s0 = TVector.MultiplyAdd(x, TVector.Load(ref b, bRow), s0);
                    s1 = TVector.MultiplyAdd(x, TVector.Load(ref b, bRow + v), s1);
                }

                TVector.Store(s0, ref c, c0);
                TVector.Store(s1, ref c, c0 + v);
            }
        }

        for (; column + width <= columns; column += width)
        {
            nuint j = (nuint)column;
            for (int i = 0; i < rows; i++)
            {
                nuint c0 = (nuint)i * cStride + j;
                TVector s = TVector.Load(ref c, c0);
                nuint aRow = (nuint)i, bRow = j;
                for (int k = 0; k < depth; k++, aRow += aStride, bRow += bStride)
                {
                    s = TVector.MultiplyAdd(TVector.Create(Unsafe.Add(ref a, aRow)), TVector.Load(ref b, bRow), s);
                }

                TVector.Store(s, ref c, c0);
            }
        }

        return column;
    }

    /// <summary>
    /// <c>C += A·B</c> over the columns from <paramref name="column"/> on: blocks of four rows of C by three vectors of
    /// columns, each block of B columns reused from L1 by every block of rows, and the leftover rows; then two vectors of
    /// columns the same way; then one. Returns the first column left for a narrower vector. Every element sums its
    /// products in order of k from its own value, whichever block it falls in. With 512-bit vectors the rows start in
    /// blocks of eight.
    /// </summary>
    /// <remarks>
    /// Three vectors rather than two: 8% to 10% less time for the lock-step LSTM's forward pass on AVX2 (an in-process
    /// A/B over 400 alternated rounds).
    /// </remarks>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static int ProductColumns<TVector, T>(ref T a, ref T b, ref T c, ProductShape shape, int column)
        where TVector : struct, ISimdVector<TVector, T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int width = TVector.Count;
        nuint v = (nuint)width;
        nuint aStride = (nuint)shape.AStride, bStride = (nuint)shape.BStride, cStride = (nuint)shape.CStride;
        int depth = shape.Depth, rows = shape.Rows, columns = shape.Columns;
        if (rows >= 4)
        {
            // Twelve accumulators (sixteen registers with AVX2: twelve sums, three of B, one broadcast of A); per k, three
            // loads of B and four broadcasts feed twelve multiply-adds.
            for (; column + 3 * width <= columns; column += 3 * width)
            {
                nuint j = (nuint)column;
                int r = 0;
                if (TVector.Count * Unsafe.SizeOf<T>() == 64)
                {
                    // 512-bit vectors (32 registers): eight rows, 24 accumulators; per k, three loads of B and eight
                    // broadcasts of A feed 24 multiply-adds. On Zen 5 the lock-step H·U ran at 86 to 101 GMAC/s against
                    // 73 to 89 with four rows.
                    for (; r + 8 <= rows; r += 8)
                    {
                        nuint c0 = (nuint)r * cStride + j;
                        TVector s00 = TVector.Load(ref c, c0), s01 = TVector.Load(ref c, c0 + v), s02 = TVector.Load(ref c, c0 + 2 * v);
                        TVector s10 = TVector.Load(ref c, c0 + cStride), s11 = TVector.Load(ref c, c0 + cStride + v), s12 = TVector.Load(ref c, c0 + cStride + 2 * v);
                        TVector s20 = TVector.Load(ref c, c0 + 2 * cStride), s21 = TVector.Load(ref c, c0 + 2 * cStride + v), s22 = TVector.Load(ref c, c0 + 2 * cStride + 2 * v);
                        TVector s30 = TVector.Load(ref c, c0 + 3 * cStride), s31 = TVector.Load(ref c, c0 + 3 * cStride + v), s32 = TVector.Load(ref c, c0 + 3 * cStride + 2 * v);
                        TVector s40 = TVector.Load(ref c, c0 + 4 * cStride), s41 = TVector.Load(ref c, c0 + 4 * cStride + v), s42 = TVector.Load(ref c, c0 + 4 * cStride + 2 * v);
                        TVector s50 = TVector.Load(ref c, c0 + 5 * cStride), s51 = TVector.Load(ref c, c0 + 5 * cStride + v), s52 = TVector.Load(ref c, c0 + 5 * cStride + 2 * v);
                        TVector s60 = TVector.Load(ref c, c0 + 6 * cStride), s61 = TVector.Load(ref c, c0 + 6 * cStride + v), s62 = TVector.Load(ref c, c0 + 6 * cStride + 2 * v);
                        TVector s70 = TVector.Load(ref c, c0 + 7 * cStride), s71 = TVector.Load(ref c, c0 + 7 * cStride + v), s72 = TVector.Load(ref c, c0 + 7 * cStride + 2 * v);
                        nuint a0 = (nuint)r * aStride;
                        nuint bRow = j;
                        for (nuint k = 0; k < (nuint)depth; k++, bRow += bStride)
                        {
                            TVector b0 = TVector.Load(ref b, bRow), b1 = TVector.Load(ref b, bRow + v), b2 = TVector.Load(ref b, bRow + 2 * v);
                            nuint ak = a0 + k;
                            TVector x = TVector.Create(Unsafe.Add(ref a, ak));
                            s00 = TVector.MultiplyAdd(x, b0, s00); s01 = TVector.MultiplyAdd(x, b1, s01); s02 = TVector.MultiplyAdd(x, b2, s02);
                            x = TVector.Create(Unsafe.Add(ref a, ak + aStride));
                            s10 = TVector.MultiplyAdd(x, b0, s10); s11 = TVector.MultiplyAdd(x, b1, s11); s12 = TVector.MultiplyAdd(x, b2, s12);
                            x = TVector.Create(Unsafe.Add(ref a, ak + 2 * aStride));
                            s20 = TVector.MultiplyAdd(x, b0, s20); s21 = TVector.MultiplyAdd(x, b1, s21); s22 = TVector.MultiplyAdd(x, b2, s22);
                            x = TVector.Create(Unsafe.Add(ref a, ak + 3 * aStride));
                            s30 = TVector.MultiplyAdd(x, b0, s30); s31 = TVector.MultiplyAdd(x, b1, s31); s32 = TVector.MultiplyAdd(x, b2, s32);
                            x = TVector.Create(Unsafe.Add(ref a, ak + 4 * aStride));
                            s40 = TVector.MultiplyAdd(x, b0, s40); s41 = TVector.MultiplyAdd(x, b1, s41); s42 = TVector.MultiplyAdd(x, b2, s42);
                            x = TVector.Create(Unsafe.Add(ref a, ak + 5 * aStride));
                            s50 = TVector.MultiplyAdd(x, b0, s50); s51 = TVector.MultiplyAdd(x, b1, s51); s52 = TVector.MultiplyAdd(x, b2, s52);
                            x = TVector.Create(Unsafe.Add(ref a, ak + 6 * aStride));
                            s60 = TVector.MultiplyAdd(x, b0, s60); s61 = TVector.MultiplyAdd(x, b1, s61); s62 = TVector.MultiplyAdd(x, b2, s62);
                            x = TVector.Create(Unsafe.Add(ref a, ak + 7 * aStride));
                            s70 = TVector.MultiplyAdd(x, b0, s70); s71 = TVector.MultiplyAdd(x, b1, s71); s72 = TVector.MultiplyAdd(x, b2, s72);
                        }

                        TVector.Store(s00, ref c, c0); TVector.Store(s01, ref c, c0 + v); TVector.Store(s02, ref c, c0 + 2 * v);
                        TVector.Store(s10, ref c, c0 + cStride); TVector.Store(s11, ref c, c0 + cStride + v); TVector.Store(s12, ref c, c0 + cStride + 2 * v);
                        TVector.Store(s20, ref c, c0 + 2 * cStride); TVector.Store(s21, ref c, c0 + 2 * cStride + v); TVector.Store(s22, ref c, c0 + 2 * cStride + 2 * v);
                        TVector.Store(s30, ref c, c0 + 3 * cStride); TVector.Store(s31, ref c, c0 + 3 * cStride + v); TVector.Store(s32, ref c, c0 + 3 * cStride + 2 * v);
                        TVector.Store(s40, ref c, c0 + 4 * cStride); TVector.Store(s41, ref c, c0 + 4 * cStride + v); TVector.Store(s42, ref c, c0 + 4 * cStride + 2 * v);
                        TVector.Store(s50, ref c, c0 + 5 * cStride); TVector.Store(s51, ref c, c0 + 5 * cStride + v); TVector.Store(s52, ref c, c0 + 5 * cStride + 2 * v);
                        TVector.Store(s60, ref c, c0 + 6 * cStride); TVector.Store(s61, ref c, c0 + 6 * cStride + v); TVector.Store(s62, ref c, c0 + 6 * cStride + 2 * v);
                        TVector.Store(s70, ref c, c0 + 7 * cStride); TVector.Store(s71, ref c, c0 + 7 * cStride + v); TVector.Store(s72, ref c, c0 + 7 * cStride + 2 * v);
                    }
                }

                for (; r + 4 <= rows; r += 4)
                {
                    nuint c0 = (nuint)r * cStride + j, c1 = c0 + cStride, c2 = c1 + cStride, c3 = c2 + cStride;
                    TVector s00 = TVector.Load(ref c, c0), s01 = TVector.Load(ref c, c0 + v), s02 = TVector.Load(ref c, c0 + 2 * v);
                    TVector s10 = TVector.Load(ref c, c1), s11 = TVector.Load(ref c, c1 + v), s12 = TVector.Load(ref c, c1 + 2 * v);
                    TVector s20 = TVector.Load(ref c, c2), s21 = TVector.Load(ref c, c2 + v), s22 = TVector.Load(ref c, c2 + 2 * v);
                    TVector s30 = TVector.Load(ref c, c3), s31 = TVector.Load(ref c, c3 + v), s32 = TVector.Load(ref c, c3 + 2 * v);
                    nuint a0 = (nuint)r * aStride, a1 = a0 + aStride, a2 = a1 + aStride, a3 = a2 + aStride;
                    nuint bRow = j;
                    for (nuint k = 0; k < (nuint)depth; k++, bRow += bStride)
                    {
                        TVector b0 = TVector.Load(ref b, bRow), b1 = TVector.Load(ref b, bRow + v), b2 = TVector.Load(ref b, bRow + 2 * v);
                        TVector x = TVector.Create(Unsafe.Add(ref a, a0 + k));
                        s00 = TVector.MultiplyAdd(x, b0, s00);
                        s01 = TVector.MultiplyAdd(x, b1, s01);
                        s02 = TVector.MultiplyAdd(x, b2, s02);
                        x = TVector.Create(Unsafe.Add(ref a, a1 + k));
                        s10 = TVector.MultiplyAdd(x, b0, s10);
                        s11 = TVector.MultiplyAdd(x, b1, s11);
                        s12 = TVector.MultiplyAdd(x, b2, s12);
                        x = TVector.Create(Unsafe.Add(ref a, a2 + k));
                        s20 = TVector.MultiplyAdd(x, b0, s20);
                        s21 = TVector.MultiplyAdd(x, b1, s21);
                        s22 = TVector.MultiplyAdd(x, b2, s22);
                        x = TVector.Create(Unsafe.Add(ref a, a3 + k));
                        s30 = TVector.MultiplyAdd(x, b0, s30);
                        s31 = TVector.MultiplyAdd(x, b1, s31);
                        s32 = TVector.MultiplyAdd(x, b2, s32);
                    }

                    TVector.Store(s00, ref c, c0);
                    TVector.Store(s01, ref c, c0 + v);
                    TVector.Store(s02, ref c, c0 + 2 * v);
                    TVector.Store(s10, ref c, c1);
                    TVector.Store(s11, ref c, c1 + v);
                    TVector.Store(s12, ref c, c1 + 2 * v);
                    TVector.Store(s20, ref c, c2);
                    TVector.Store(s21, ref c, c2 + v);
                    TVector.Store(s22, ref c, c2 + 2 * v);
                    TVector.Store(s30, ref c, c3);
                    TVector.Store(s31, ref c, c3 + v);
                    TVector.Store(s32, ref c, c3 + 2 * v);
                }

                for (; r < rows; r++)
                {
                    nuint c0 = (nuint)r * cStride + j;
                    TVector s0 = TVector.Load(ref c, c0), s1 = TVector.Load(ref c, c0 + v), s2 = TVector.Load(ref c, c0 + 2 * v);
                    nuint a0 = (nuint)r * aStride;
                    nuint bRow = j;
                    for (nuint k = 0; k < (nuint)depth; k++, bRow += bStride)
                    {
                        TVector x = TVector.Create(Unsafe.Add(ref a, a0 + k));
                        s0 = TVector.MultiplyAdd(x, TVector.Load(ref b, bRow), s0);
                        s1 = TVector.MultiplyAdd(x, TVector.Load(ref b, bRow + v), s1);
                        s2 = TVector.MultiplyAdd(x, TVector.Load(ref b, bRow + 2 * v), s2);
                    }

                    TVector.Store(s0, ref c, c0);
                    TVector.Store(s1, ref c, c0 + v);
                    TVector.Store(s2, ref c, c0 + 2 * v);
                }
            }
        }

        for (; column + 2 * width <= columns; column += 2 * width)
        {
            nuint j = (nuint)column;
            int r = 0;
            for (; r + 4 <= rows; r += 4)
            {
                nuint c0 = (nuint)r * cStride + j, c1 = c0 + cStride, c2 = c1 + cStride, c3 = c2 + cStride;
                TVector s00 = TVector.Load(ref c, c0), s01 = TVector.Load(ref c, c0 + v);
                TVector s10 = TVector.Load(ref c, c1), s11 = TVector.Load(ref c, c1 + v);
                TVector s20 = TVector.Load(ref c, c2), s21 = TVector.Load(ref c, c2 + v);
                TVector s30 = TVector.Load(ref c, c3), s31 = TVector.Load(ref c, c3 + v);
                nuint a0 = (nuint)r * aStride, a1 = a0 + aStride, a2 = a1 + aStride, a3 = a2 + aStride;
                nuint bRow = j;
                for (nuint k = 0; k < (nuint)depth; k++, bRow += bStride)
                {
                    TVector b0 = TVector.Load(ref b, bRow), b1 = TVector.Load(ref b, bRow + v);
                    TVector x = TVector.Create(Unsafe.Add(ref a, a0 + k));
                    s00 = TVector.MultiplyAdd(x, b0, s00);
                    s01 = TVector.MultiplyAdd(x, b1, s01);
                    x = TVector.Create(Unsafe.Add(ref a, a1 + k));
                    s10 = TVector.MultiplyAdd(x, b0, s10);
                    s11 = TVector.MultiplyAdd(x, b1, s11);
                    x = TVector.Create(Unsafe.Add(ref a, a2 + k));
                    s20 = TVector.MultiplyAdd(x, b0, s20);
                    s21 = TVector.MultiplyAdd(x, b1, s21);
                    x = TVector.Create(Unsafe.Add(ref a, a3 + k));
                    s30 = TVector.MultiplyAdd(x, b0, s30);
                    s31 = TVector.MultiplyAdd(x, b1, s31);
                }

                TVector.Store(s00, ref c, c0);
                TVector.Store(s01, ref c, c0 + v);
                TVector.Store(s10, ref c, c1);
                TVector.Store(s11, ref c, c1 + v);
                TVector.Store(s20, ref c, c2);
                TVector.Store(s21, ref c, c2 + v);
                TVector.Store(s30, ref c, c3);
                TVector.Store(s31, ref c, c3 + v);
            }

            for (; r < rows; r++)
            {
                nuint c0 = (nuint)r * cStride + j;
                TVector s0 = TVector.Load(ref c, c0), s1 = TVector.Load(ref c, c0 + v);
                nuint a0 = (nuint)r * aStride;
                nuint bRow = j;
                for (nuint k = 0; k < (nuint)depth; k++, bRow += bStride)
                {
                    TVector x = TVector.Create(Unsafe.Add(ref a, a0 + k));
                    s0 = TVector.MultiplyAdd(x, TVector.Load(ref b, bRow), s0);
                    s1 = TVector.MultiplyAdd(x, TVector.Load(ref b, bRow + v), s1);
                }

                TVector.Store(s0, ref c, c0);
                TVector.Store(s1, ref c, c0 + v);
            }
        }

        for (; column + width <= columns; column += width)
        {
            nuint j = (nuint)column;
            for (int r = 0; r < rows; r++)
            {
                nuint c0 = (nuint)r * cStride + j;
                TVector s = TVector.Load(ref c, c0);
                nuint a0 = (nuint)r * aStride;
                nuint bRow = j;
                for (nuint k = 0; k < (nuint)depth; k++, bRow += bStride)
                {
                    s = TVector.MultiplyAdd(TVector.Create(Unsafe.Add(ref a, a0 + k)), TVector.Load(ref b, bRow), s);
                }

                TVector.Store(s, ref c, c0);
            }
        }

        return column;
    }

    /// <summary>
    /// <c>C += A·Bᵀ</c> as dot products at one width: two rows of A by four rows of B at a time (eight accumulators: per
    /// vector of depth, six loads feed eight multiply-adds), then single pairs; the lanes are summed at the end and the
    /// depth past the last whole vector is added one element at a time. With float vectors of 512 or 256 bits and no
    /// such depth, a block's accumulators are summed together in one shuffle tree (<see cref="LaneSums"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void ProductTransposedRows<TVector, T>(ref T a, ref T b, ref T c, ProductShape shape)
        where TVector : struct, ISimdVector<TVector, T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int width = TVector.Count;
        int depth = shape.Depth, rows = shape.Rows, columns = shape.Columns;
        int vectorDepth = depth - depth % width;
        nuint aStride = (nuint)shape.AStride, bStride = (nuint)shape.BStride, cStride = (nuint)shape.CStride;
        int r = 0;
        if (TVector.Count * Unsafe.SizeOf<T>() == 64)
        {
            // 512-bit vectors (32 registers): four rows of A by four rows of B, sixteen accumulators; per vector of
            // depth, eight loads feed sixteen multiply-adds. The columns past the last four go through the loop below.
            for (; r + 4 <= rows && columns >= 4; r += 4)
            {
                nuint a0 = (nuint)r * aStride, a1 = a0 + aStride, a2 = a1 + aStride, a3 = a2 + aStride;
                int i = 0;
                for (; i + 4 <= columns; i += 4)
                {
                    nuint b0 = (nuint)i * bStride, b1 = b0 + bStride, b2 = b1 + bStride, b3 = b2 + bStride;
                    TVector zero = TVector.Create(T.Zero);
                    TVector s00 = zero, s01 = zero, s02 = zero, s03 = zero;
                    TVector s10 = zero, s11 = zero, s12 = zero, s13 = zero;
                    TVector s20 = zero, s21 = zero, s22 = zero, s23 = zero;
                    TVector s30 = zero, s31 = zero, s32 = zero, s33 = zero;
                    for (nuint j = 0; j < (nuint)vectorDepth; j += (nuint)width)
                    {
                        TVector x0 = TVector.Load(ref a, a0 + j), x1 = TVector.Load(ref a, a1 + j), x2 = TVector.Load(ref a, a2 + j), x3 = TVector.Load(ref a, a3 + j);
                        TVector w0 = TVector.Load(ref b, b0 + j);
                        TVector w1 = TVector.Load(ref b, b1 + j);
                        TVector w2 = TVector.Load(ref b, b2 + j);
                        TVector w3 = TVector.Load(ref b, b3 + j);
                        s00 = TVector.MultiplyAdd(x0, w0, s00);
                        s01 = TVector.MultiplyAdd(x0, w1, s01);
                        s02 = TVector.MultiplyAdd(x0, w2, s02);
                        s03 = TVector.MultiplyAdd(x0, w3, s03);
                        s10 = TVector.MultiplyAdd(x1, w0, s10);
                        s11 = TVector.MultiplyAdd(x1, w1, s11);
                        s12 = TVector.MultiplyAdd(x1, w2, s12);
                        s13 = TVector.MultiplyAdd(x1, w3, s13);
                        s20 = TVector.MultiplyAdd(x2, w0, s20);
                        s21 = TVector.MultiplyAdd(x2, w1, s21);
                        s22 = TVector.MultiplyAdd(x2, w2, s22);
                        s23 = TVector.MultiplyAdd(x2, w3, s23);
                        s30 = TVector.MultiplyAdd(x3, w0, s30);
                        s31 = TVector.MultiplyAdd(x3, w1, s31);
                        s32 = TVector.MultiplyAdd(x3, w2, s32);
                        s33 = TVector.MultiplyAdd(x3, w3, s33);
                    }

                    nuint c0 = (nuint)(r + 0) * cStride + (nuint)i;
                    nuint c1 = (nuint)(r + 1) * cStride + (nuint)i;
                    nuint c2 = (nuint)(r + 2) * cStride + (nuint)i;
                    nuint c3 = (nuint)(r + 3) * cStride + (nuint)i;
                    if (typeof(TVector) == typeof(Simd512<float>) && vectorDepth == depth)
                    {
                        // The sixteen lane sums in one shuffle tree (LaneSums), lane 4q + p for C[r + q, i + p]; each C
                        // element gets its sum added once, as AddDot adds it.
                        Vector512<float> sums = LaneSums.Sixteen(
                            Raw(s00), Raw(s01), Raw(s02), Raw(s03), Raw(s10), Raw(s11), Raw(s12), Raw(s13),
                            Raw(s20), Raw(s21), Raw(s22), Raw(s23), Raw(s30), Raw(s31), Raw(s32), Raw(s33));
                        ref float cf = ref Unsafe.As<T, float>(ref c);
                        (Vector128.LoadUnsafe(ref cf, c0) + sums.GetLower().GetLower()).StoreUnsafe(ref cf, c0);
                        (Vector128.LoadUnsafe(ref cf, c1) + sums.GetLower().GetUpper()).StoreUnsafe(ref cf, c1);
                        (Vector128.LoadUnsafe(ref cf, c2) + sums.GetUpper().GetLower()).StoreUnsafe(ref cf, c2);
                        (Vector128.LoadUnsafe(ref cf, c3) + sums.GetUpper().GetUpper()).StoreUnsafe(ref cf, c3);
                        continue;
                    }

                    AddDot(ref c, c0, TVector.Sum(s00), ref a, a0, ref b, b0, vectorDepth, depth);
                    AddDot(ref c, c0 + 1, TVector.Sum(s01), ref a, a0, ref b, b1, vectorDepth, depth);
                    AddDot(ref c, c0 + 2, TVector.Sum(s02), ref a, a0, ref b, b2, vectorDepth, depth);
                    AddDot(ref c, c0 + 3, TVector.Sum(s03), ref a, a0, ref b, b3, vectorDepth, depth);
                    AddDot(ref c, c1, TVector.Sum(s10), ref a, a1, ref b, b0, vectorDepth, depth);
                    AddDot(ref c, c1 + 1, TVector.Sum(s11), ref a, a1, ref b, b1, vectorDepth, depth);
                    AddDot(ref c, c1 + 2, TVector.Sum(s12), ref a, a1, ref b, b2, vectorDepth, depth);
                    AddDot(ref c, c1 + 3, TVector.Sum(s13), ref a, a1, ref b, b3, vectorDepth, depth);
                    AddDot(ref c, c2, TVector.Sum(s20), ref a, a2, ref b, b0, vectorDepth, depth);
                    AddDot(ref c, c2 + 1, TVector.Sum(s21), ref a, a2, ref b, b1, vectorDepth, depth);
                    AddDot(ref c, c2 + 2, TVector.Sum(s22), ref a, a2, ref b, b2, vectorDepth, depth);
                    AddDot(ref c, c2 + 3, TVector.Sum(s23), ref a, a2, ref b, b3, vectorDepth, depth);
                    AddDot(ref c, c3, TVector.Sum(s30), ref a, a3, ref b, b0, vectorDepth, depth);
                    AddDot(ref c, c3 + 1, TVector.Sum(s31), ref a, a3, ref b, b1, vectorDepth, depth);
                    AddDot(ref c, c3 + 2, TVector.Sum(s32), ref a, a3, ref b, b2, vectorDepth, depth);
                    AddDot(ref c, c3 + 3, TVector.Sum(s33), ref a, a3, ref b, b3, vectorDepth, depth);
                }

                for (; i < columns; i++)
                {
                    nuint bi = (nuint)i * bStride;
                    for (int q = 0; q < 4; q++)
                    {
                        nuint aq = (nuint)(r + q) * aStride;
                        AddDot(ref c, (nuint)(r + q) * cStride + (nuint)i, VectorDot<TVector, T>(ref a, aq, ref b, bi, vectorDepth), ref a, aq, ref b, bi, vectorDepth, depth);
                    }
                }
            }
        }

        for (; r + 2 <= rows; r += 2)
        {
            nuint a0 = (nuint)r * aStride, a1 = a0 + aStride;
            int i = 0;
            for (; i + 4 <= columns; i += 4)
            {
                nuint b0 = (nuint)i * bStride, b1 = b0 + bStride, b2 = b1 + bStride, b3 = b2 + bStride;
                TVector zero = TVector.Create(T.Zero);
                TVector s00 = zero, s01 = zero, s02 = zero, s03 = zero, s10 = zero, s11 = zero, s12 = zero, s13 = zero;
                for (nuint j = 0; j < (nuint)vectorDepth; j += (nuint)width)
                {
                    TVector x0 = TVector.Load(ref a, a0 + j), x1 = TVector.Load(ref a, a1 + j);
                    TVector w = TVector.Load(ref b, b0 + j);
                    s00 = TVector.MultiplyAdd(x0, w, s00);
                    s10 = TVector.MultiplyAdd(x1, w, s10);
                    w = TVector.Load(ref b, b1 + j);
                    s01 = TVector.MultiplyAdd(x0, w, s01);
                    s11 = TVector.MultiplyAdd(x1, w, s11);
                    w = TVector.Load(ref b, b2 + j);
                    s02 = TVector.MultiplyAdd(x0, w, s02);
                    s12 = TVector.MultiplyAdd(x1, w, s12);
                    w = TVector.Load(ref b, b3 + j);
                    s03 = TVector.MultiplyAdd(x0, w, s03);
                    s13 = TVector.MultiplyAdd(x1, w, s13);
                }

                nuint c0 = (nuint)r * cStride + (nuint)i, c1 = c0 + cStride;
                if (typeof(TVector) == typeof(Simd256<float>) && vectorDepth == depth)
                {
                    // AVX2: the eight lane sums in one shuffle tree (LaneSums), lanes 0-3 for row r, 4-7 for row r + 1.
                    Vector256<float> sums = LaneSums.Eight(
                        Raw256(s00), Raw256(s01), Raw256(s02), Raw256(s03), Raw256(s10), Raw256(s11), Raw256(s12), Raw256(s13));
                    ref float cf = ref Unsafe.As<T, float>(ref c);
                    (Vector128.LoadUnsafe(ref cf, c0) + sums.GetLower()).StoreUnsafe(ref cf, c0);
                    (Vector128.LoadUnsafe(ref cf, c1) + sums.GetUpper()).StoreUnsafe(ref cf, c1);
                    continue;
                }

                AddDot(ref c, c0, TVector.Sum(s00), ref a, a0, ref b, b0, vectorDepth, depth);
                AddDot(ref c, c0 + 1, TVector.Sum(s01), ref a, a0, ref b, b1, vectorDepth, depth);
                AddDot(ref c, c0 + 2, TVector.Sum(s02), ref a, a0, ref b, b2, vectorDepth, depth);
                AddDot(ref c, c0 + 3, TVector.Sum(s03), ref a, a0, ref b, b3, vectorDepth, depth);
                AddDot(ref c, c1, TVector.Sum(s10), ref a, a1, ref b, b0, vectorDepth, depth);
                AddDot(ref c, c1 + 1, TVector.Sum(s11), ref a, a1, ref b, b1, vectorDepth, depth);
                AddDot(ref c, c1 + 2, TVector.Sum(s12), ref a, a1, ref b, b2, vectorDepth, depth);
                AddDot(ref c, c1 + 3, TVector.Sum(s13), ref a, a1, ref b, b3, vectorDepth, depth);
            }

            for (; i < columns; i++)
            {
                nuint bi = (nuint)i * bStride;
                AddDot(ref c, (nuint)r * cStride + (nuint)i, VectorDot<TVector, T>(ref a, a0, ref b, bi, vectorDepth), ref a, a0, ref b, bi, vectorDepth, depth);
                AddDot(ref c, (nuint)(r + 1) * cStride + (nuint)i, VectorDot<TVector, T>(ref a, a1, ref b, bi, vectorDepth), ref a, a1, ref b, bi, vectorDepth, depth);
            }
        }

        for (; r < rows; r++)
        {
            nuint a0 = (nuint)r * aStride;
            for (int i = 0; i < columns; i++)
            {
                nuint bi = (nuint)i * bStride;
                AddDot(ref c, (nuint)r * cStride + (nuint)i, VectorDot<TVector, T>(ref a, a0, ref b, bi, vectorDepth), ref a, a0, ref b, bi, vectorDepth, depth);
            }
        }
    }

    /// <summary>The lanes of one dot product over the first <paramref name="vectorDepth"/> elements, summed.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T VectorDot<TVector, T>(ref T a, nuint aStart, ref T b, nuint bStart, int vectorDepth)
        where TVector : struct, ISimdVector<TVector, T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        TVector s = TVector.Create(T.Zero);
        for (nuint j = 0; j < (nuint)vectorDepth; j += (nuint)TVector.Count)
        {
            s = TVector.MultiplyAdd(TVector.Load(ref a, aStart + j), TVector.Load(ref b, bStart + j), s);
        }

        return TVector.Sum(s);
    }

    /// <summary>A <see cref="Simd256{T}"/> of floats as the vector it wraps (for <see cref="LaneSums"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Raw256<TVector>(TVector value)
        where TVector : struct
        => Unsafe.BitCast<TVector, Vector256<float>>(value);

    /// <summary>A <see cref="Simd512{T}"/> of floats as the vector it wraps (for <see cref="LaneSums"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Raw<TVector>(TVector value)
        where TVector : struct
        => Unsafe.BitCast<TVector, Vector512<float>>(value);

    /// <summary><c>c[at] += sum + Σ a[aStart + j] · b[bStart + j]</c> over the depth past the whole vectors.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddDot<T>(ref T c, nuint at, T sum, ref T a, nuint aStart, ref T b, nuint bStart, int from, int depth)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        for (int j = from; j < depth; j++)
        {
            sum = T.FusedMultiplyAdd(Unsafe.Add(ref a, aStart + (nuint)j), Unsafe.Add(ref b, bStart + (nuint)j), sum);
        }

        Unsafe.Add(ref c, at) += sum;
    }
}
