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
    /// in order: the order <see cref="Project{T}"/> followed by <see cref="MultiplyAdd{T}"/> uses, so a step computed here
    /// gives bit for bit what the same step gives inside a sequence.
    /// </remarks>
    /// <param name="x">The input row, one element per row of <paramref name="w"/>.</param>
    /// <param name="w">[x.Length, y.Length], row-major.</param>
    /// <param name="h">The state row, one element per row of <paramref name="u"/>; empty for no recurrent product.</param>
    /// <param name="u">[h.Length, y.Length], row-major; ignored when <paramref name="h"/> is empty.</param>
    /// <param name="bias">[y.Length].</param>
    /// <param name="y">Receives the sums; must not overlap the inputs.</param>
    /// <exception cref="ArgumentException">A span is too short for the shapes.</exception>
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

        ref T xRef = ref MemoryMarshal.GetReference(x);
        ref T wRef = ref MemoryMarshal.GetReference(w);
        ref T hRef = ref MemoryMarshal.GetReference(h);
        ref T uRef = ref MemoryMarshal.GetReference(u);
        ref T bRef = ref MemoryMarshal.GetReference(bias);
        ref T yRef = ref MemoryMarshal.GetReference(y);
        int xRows = x.Length, hRows = h.Length;
        int column = 0;
        if (Vector512.IsHardwareAccelerated && Vector512<T>.IsSupported && columns - column >= Vector512<T>.Count)
        {
            column = AffineColumns<Simd512<T>, T>(ref xRef, xRows, ref wRef, ref hRef, hRows, ref uRef, ref bRef, ref yRef, columns, column);
        }

        if (Vector256.IsHardwareAccelerated && Vector256<T>.IsSupported && columns - column >= Vector256<T>.Count)
        {
            column = AffineColumns<Simd256<T>, T>(ref xRef, xRows, ref wRef, ref hRef, hRows, ref uRef, ref bRef, ref yRef, columns, column);
        }

        if (Vector128.IsHardwareAccelerated && Vector128<T>.IsSupported && columns - column >= Vector128<T>.Count)
        {
            column = AffineColumns<Simd128<T>, T>(ref xRef, xRows, ref wRef, ref hRef, hRows, ref uRef, ref bRef, ref yRef, columns, column);
        }

        if (column < columns)
        {
            AffineColumns<Scalar<T>, T>(ref xRef, xRows, ref wRef, ref hRef, hRows, ref uRef, ref bRef, ref yRef, columns, column);
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
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int AffineColumns<TVector, T>(ref T x, int xRows, ref T w, ref T h, int hRows, ref T u, ref T bias, ref T y, int columns, int column)
        where TVector : struct, ISimdVector<TVector, T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
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
                acc0 = TVector.MultiplyAdd(xi, TVector.Load(ref w, row), acc0);
                acc1 = TVector.MultiplyAdd(xi, TVector.Load(ref w, row + v), acc1);
                acc2 = TVector.MultiplyAdd(xi, TVector.Load(ref w, row + 2 * v), acc2);
                acc3 = TVector.MultiplyAdd(xi, TVector.Load(ref w, row + 3 * v), acc3);
                acc4 = TVector.MultiplyAdd(xi, TVector.Load(ref w, row + 4 * v), acc4);
                acc5 = TVector.MultiplyAdd(xi, TVector.Load(ref w, row + 5 * v), acc5);
                acc6 = TVector.MultiplyAdd(xi, TVector.Load(ref w, row + 6 * v), acc6);
                acc7 = TVector.MultiplyAdd(xi, TVector.Load(ref w, row + 7 * v), acc7);
            }

            row = c;
            for (int i = 0; i < hRows; i++, row += stride)
            {
                TVector hi = TVector.Create(Unsafe.Add(ref h, i));
                acc0 = TVector.MultiplyAdd(hi, TVector.Load(ref u, row), acc0);
                acc1 = TVector.MultiplyAdd(hi, TVector.Load(ref u, row + v), acc1);
                acc2 = TVector.MultiplyAdd(hi, TVector.Load(ref u, row + 2 * v), acc2);
                acc3 = TVector.MultiplyAdd(hi, TVector.Load(ref u, row + 3 * v), acc3);
                acc4 = TVector.MultiplyAdd(hi, TVector.Load(ref u, row + 4 * v), acc4);
                acc5 = TVector.MultiplyAdd(hi, TVector.Load(ref u, row + 5 * v), acc5);
                acc6 = TVector.MultiplyAdd(hi, TVector.Load(ref u, row + 6 * v), acc6);
                acc7 = TVector.MultiplyAdd(hi, TVector.Load(ref u, row + 7 * v), acc7);
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
                acc = TVector.MultiplyAdd(TVector.Create(Unsafe.Add(ref x, i)), TVector.Load(ref w, row), acc);
            }

            row = c;
            for (int i = 0; i < hRows; i++, row += stride)
            {
                acc = TVector.MultiplyAdd(TVector.Create(Unsafe.Add(ref h, i)), TVector.Load(ref u, row), acc);
            }

            TVector.Store(acc, ref y, c);
        }

        return column;
    }
}
