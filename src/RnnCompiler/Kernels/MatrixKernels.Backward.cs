using System;
using System.Numerics;

namespace RnnCompiler.Kernels;

/// <summary>The products backpropagation needs, in the same [input, outputs] row-major layout as the forward pass.</summary>
public static partial class MatrixKernels
{
    /// <summary>
    /// The rank-one update <c>w[i · stride + j] += x[i] · d[j]</c> for <c>i &lt; x.Length</c>, <c>j &lt; d.Length</c>:
    /// a weight gradient from one step's input and output gradient.
    /// </summary>
    /// <param name="x">The input, one element per matrix row.</param>
    /// <param name="d">The output gradient, one element per column of the block.</param>
    /// <param name="w">The gradient matrix, starting at the first column of the block.</param>
    /// <param name="stride">The distance between rows of <paramref name="w"/>.</param>
    public static void AddOuter<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> d, Span<T> w, int stride)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        CheckShape(x.Length, d.Length, w.Length, stride);
        for (int i = 0; i < x.Length; i++)
        {
            T scale = x[i];
            if (scale != T.Zero)
            {
                Axpy(scale, d, w.Slice(i * stride, d.Length));
            }
        }
    }

    /// <summary>
    /// <c>y[i] += Σ_j w[i · stride + j] · d[j]</c> for <c>i &lt; y.Length</c>: a gradient sent back through the
    /// transposed weights.
    /// </summary>
    /// <param name="d">The output gradient, one element per column of the block.</param>
    /// <param name="w">The weights, starting at the first column of the block.</param>
    /// <param name="stride">The distance between rows of <paramref name="w"/>.</param>
    /// <param name="y">The input gradient, accumulated into, one element per matrix row.</param>
    public static void MultiplyTransposedAdd<T>(ReadOnlySpan<T> d, ReadOnlySpan<T> w, int stride, Span<T> y)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        CheckShape(y.Length, d.Length, w.Length, stride);
        for (int i = 0; i < y.Length; i++)
        {
            y[i] += Dot(w.Slice(i * stride, d.Length), d);
        }
    }

    /// <summary><c>y += a · x</c>.</summary>
    public static void Axpy<T>(T a, ReadOnlySpan<T> x, Span<T> y)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (y.Length < x.Length)
        {
            throw new ArgumentException($"y needs at least {x.Length} elements; it has {y.Length}.", nameof(y));
        }

        int i = 0;
        if (Vector.IsHardwareAccelerated && Vector<T>.IsSupported)
        {
            var scale = new Vector<T>(a);
            for (; i <= x.Length - Vector<T>.Count; i += Vector<T>.Count)
            {
                (new Vector<T>(y.Slice(i)) + scale * new Vector<T>(x.Slice(i))).CopyTo(y.Slice(i));
            }
        }

        for (; i < x.Length; i++)
        {
            y[i] += a * x[i];
        }
    }

    /// <summary>The dot product of two spans of equal length.</summary>
    public static T Dot<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (a.Length != b.Length)
        {
            throw new ArgumentException($"The spans must have equal lengths; they have {a.Length} and {b.Length}.", nameof(b));
        }

        T sum = T.Zero;
        int i = 0;
        if (Vector.IsHardwareAccelerated && Vector<T>.IsSupported && a.Length >= Vector<T>.Count)
        {
            Vector<T> accumulator = Vector<T>.Zero;
            for (; i <= a.Length - Vector<T>.Count; i += Vector<T>.Count)
            {
                accumulator += new Vector<T>(a.Slice(i)) * new Vector<T>(b.Slice(i));
            }

            sum = Vector.Sum(accumulator);
        }

        for (; i < a.Length; i++)
        {
            sum += a[i] * b[i];
        }

        return sum;
    }

    private static void CheckShape(int rows, int columns, int length, int stride)
    {
        if (stride < columns)
        {
            throw new ArgumentOutOfRangeException(nameof(stride), stride, $"The row stride must be at least the {columns} columns.");
        }

        if (rows > 0 && columns > 0 && length < ((long)rows - 1) * stride + columns)
        {
            throw new ArgumentException($"The matrix needs at least {((long)rows - 1) * stride + columns} elements for {rows} rows of stride {stride}; it has {length}.", "w");
        }
    }
}
