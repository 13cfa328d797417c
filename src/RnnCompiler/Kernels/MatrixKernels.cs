using System;
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
public static partial class MatrixKernels
{
    /// <summary>
    /// <c>y[j] += Σ_i x[i] · w[i · stride + j]</c> for every <c>j &lt; y.Length</c>: a row vector times the column block
    /// of a row-major matrix whose rows are <paramref name="stride"/> elements apart.
    /// </summary>
    /// <param name="x">The row vector, one element per matrix row.</param>
    /// <param name="w">The matrix, starting at the first column of the block.</param>
    /// <param name="stride">The distance between two rows of <paramref name="w"/>; at least <c>y.Length</c>.</param>
    /// <param name="y">The accumulators, one per column of the block.</param>
    /// <exception cref="ArgumentException">The spans are too short for the shapes.</exception>
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

        ref T xRef = ref MemoryMarshal.GetReference(x);
        ref T wRef = ref MemoryMarshal.GetReference(w);
        ref T yRef = ref MemoryMarshal.GetReference(y);
        int column = 0;
        if (Vector512.IsHardwareAccelerated && Vector512<T>.IsSupported)
        {
            column = MultiplyAddColumns<Simd512<T>, T>(ref xRef, rows, ref wRef, (nuint)stride, ref yRef, columns, column);
        }

        if (Vector256.IsHardwareAccelerated && Vector256<T>.IsSupported)
        {
            column = MultiplyAddColumns<Simd256<T>, T>(ref xRef, rows, ref wRef, (nuint)stride, ref yRef, columns, column);
        }

        if (Vector128.IsHardwareAccelerated && Vector128<T>.IsSupported)
        {
            column = MultiplyAddColumns<Simd128<T>, T>(ref xRef, rows, ref wRef, (nuint)stride, ref yRef, columns, column);
        }

        MultiplyAddColumns<Scalar<T>, T>(ref xRef, rows, ref wRef, (nuint)stride, ref yRef, columns, column);
    }

    /// <summary>
    /// Processes the columns from <paramref name="column"/> on, four vectors of accumulators at a time and then one,
    /// and returns the first column it left for a narrower vector.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int MultiplyAddColumns<TVector, T>(ref T x, int rows, ref T w, nuint stride, ref T y, int columns, int column)
        where TVector : struct, ISimdVector<TVector, T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int width = TVector.Count;
        for (; column + 4 * width <= columns; column += 4 * width)
        {
            nuint c = (nuint)column;
            TVector acc0 = TVector.Load(ref y, c);
            TVector acc1 = TVector.Load(ref y, c + (nuint)width);
            TVector acc2 = TVector.Load(ref y, c + (nuint)(2 * width));
            TVector acc3 = TVector.Load(ref y, c + (nuint)(3 * width));
            nuint row = c;
            for (int i = 0; i < rows; i++, row += stride)
            {
                TVector xi = TVector.Create(Unsafe.Add(ref x, i));
                acc0 = TVector.MultiplyAdd(xi, TVector.Load(ref w, row), acc0);
                acc1 = TVector.MultiplyAdd(xi, TVector.Load(ref w, row + (nuint)width), acc1);
                acc2 = TVector.MultiplyAdd(xi, TVector.Load(ref w, row + (nuint)(2 * width)), acc2);
                acc3 = TVector.MultiplyAdd(xi, TVector.Load(ref w, row + (nuint)(3 * width)), acc3);
            }

            TVector.Store(acc0, ref y, c);
            TVector.Store(acc1, ref y, c + (nuint)width);
            TVector.Store(acc2, ref y, c + (nuint)(2 * width));
            TVector.Store(acc3, ref y, c + (nuint)(3 * width));
        }

        for (; column + width <= columns; column += width)
        {
            nuint c = (nuint)column;
            TVector acc = TVector.Load(ref y, c);
            nuint row = c;
            for (int i = 0; i < rows; i++, row += stride)
            {
                acc = TVector.MultiplyAdd(TVector.Create(Unsafe.Add(ref x, i)), TVector.Load(ref w, row), acc);
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

        for (int t = 0; t < steps; t++)
        {
            Span<T> row = y.Slice(t * outputs, outputs);
            bias.CopyTo(row);
            MultiplyAdd(x.Slice(t * inputs, inputs), w, outputs, row);
        }
    }
}
