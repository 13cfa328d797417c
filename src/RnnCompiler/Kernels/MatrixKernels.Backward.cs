using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

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
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void AddOuter<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> d, Span<T> w, int stride)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        CheckShape(x.Length, d.Length, w.Length, stride);
        int columns = d.Length;
        if (x.Length == 0 || columns == 0)
        {
            return;
        }

        ref T xRef = ref MemoryMarshal.GetReference(x);
        ref T dRef = ref MemoryMarshal.GetReference(d);
        ref T wRef = ref MemoryMarshal.GetReference(w);
        if (VectorPaths.Use512 && Vector512<T>.IsSupported && columns >= Vector512<T>.Count)
        {
            AddOuterRows<Simd512<T>, T>(ref xRef, x.Length, ref dRef, columns, ref wRef, (nuint)stride);
        }
        else if (Vector256.IsHardwareAccelerated && Vector256<T>.IsSupported && columns >= Vector256<T>.Count)
        {
            AddOuterRows<Simd256<T>, T>(ref xRef, x.Length, ref dRef, columns, ref wRef, (nuint)stride);
        }
        else if (Vector128.IsHardwareAccelerated && Vector128<T>.IsSupported && columns >= Vector128<T>.Count)
        {
            AddOuterRows<Simd128<T>, T>(ref xRef, x.Length, ref dRef, columns, ref wRef, (nuint)stride);
        }
        else
        {
            AddOuterRows<Scalar<T>, T>(ref xRef, x.Length, ref dRef, columns, ref wRef, (nuint)stride);
        }
    }

    /// <summary>One <see cref="Axpy{T}"/> per row with a nonzero <c>x[i]</c>, all at one width (one dispatch per call).</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void AddOuterRows<TVector, T>(ref T x, int rows, ref T d, int columns, ref T w, nuint stride)
        where TVector : struct, ISimdVector<TVector, T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        nuint row = 0;
        for (int i = 0; i < rows; i++, row += stride)
        {
            T scale = Unsafe.Add(ref x, i);
            if (scale != T.Zero)
            {
                AxpyCore<TVector, T>(scale, ref d, ref Unsafe.Add(ref w, row), columns);
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
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void MultiplyTransposedAdd<T>(ReadOnlySpan<T> d, ReadOnlySpan<T> w, int stride, Span<T> y)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        CheckShape(y.Length, d.Length, w.Length, stride);
        int columns = d.Length;
        if (y.Length == 0 || columns == 0)
        {
            return;
        }

        ref T dRef = ref MemoryMarshal.GetReference(d);
        ref T wRef = ref MemoryMarshal.GetReference(w);
        ref T yRef = ref MemoryMarshal.GetReference(y);
        if (VectorPaths.Use512 && Vector512<T>.IsSupported && columns >= Vector512<T>.Count)
        {
            MultiplyTransposedAddRows<Simd512<T>, T>(ref dRef, columns, ref wRef, (nuint)stride, ref yRef, y.Length);
        }
        else if (Vector256.IsHardwareAccelerated && Vector256<T>.IsSupported && columns >= Vector256<T>.Count)
        {
            MultiplyTransposedAddRows<Simd256<T>, T>(ref dRef, columns, ref wRef, (nuint)stride, ref yRef, y.Length);
        }
        else if (Vector128.IsHardwareAccelerated && Vector128<T>.IsSupported && columns >= Vector128<T>.Count)
        {
            MultiplyTransposedAddRows<Simd128<T>, T>(ref dRef, columns, ref wRef, (nuint)stride, ref yRef, y.Length);
        }
        else
        {
            MultiplyTransposedAddRows<Scalar<T>, T>(ref dRef, columns, ref wRef, (nuint)stride, ref yRef, y.Length);
        }
    }

    /// <summary>One <see cref="Dot{T}"/> per row, all at one width (one dispatch per call).</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void MultiplyTransposedAddRows<TVector, T>(ref T d, int columns, ref T w, nuint stride, ref T y, int rows)
        where TVector : struct, ISimdVector<TVector, T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        nuint row = 0;
        for (int i = 0; i < rows; i++, row += stride)
        {
            Unsafe.Add(ref y, i) += DotWidth<TVector, T, T, SameFormat<T>>(ref Unsafe.Add(ref w, row), ref d, columns);
        }
    }

    /// <summary><c>y += a · x</c>, fused multiply-add where the hardware has FMA.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Axpy<T>(T a, ReadOnlySpan<T> x, Span<T> y)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (y.Length < x.Length)
        {
            throw new ArgumentException($"y needs at least {x.Length} elements; it has {y.Length}.", nameof(y));
        }

        int n = x.Length;
        ref T xRef = ref MemoryMarshal.GetReference(x);
        ref T yRef = ref MemoryMarshal.GetReference(y);
        if (VectorPaths.Use512 && Vector512<T>.IsSupported && n >= Vector512<T>.Count)
        {
            AxpyWidth<Simd512<T>, T>(a, ref xRef, ref yRef, n);
        }
        else if (Vector256.IsHardwareAccelerated && Vector256<T>.IsSupported && n >= Vector256<T>.Count)
        {
            AxpyWidth<Simd256<T>, T>(a, ref xRef, ref yRef, n);
        }
        else if (Vector128.IsHardwareAccelerated && Vector128<T>.IsSupported && n >= Vector128<T>.Count)
        {
            AxpyWidth<Simd128<T>, T>(a, ref xRef, ref yRef, n);
        }
        else
        {
            AxpyWidth<Scalar<T>, T>(a, ref xRef, ref yRef, n);
        }
    }

    /// <summary>
    /// <see cref="AxpyCore{TVector, T}"/> at one width as a method of its own: inlined into <see cref="Axpy{T}"/> with the
    /// other widths, the JIT ran out of inlining budget and called the vector operations one by one (seen in a profile).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void AxpyWidth<TVector, T>(T a, ref T x, ref T y, int n)
        where TVector : struct, ISimdVector<TVector, T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        => AxpyCore<TVector, T>(a, ref x, ref y, n);

    /// <summary>
    /// <c>y[i] = a · x[i] + y[i]</c> (fused where the hardware has FMA): four vectors at a time, then one, then the tail
    /// lane by lane. Each element gets one independent operation, so the width never changes the order of anything.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AxpyCore<TVector, T>(T a, ref T x, ref T y, int n)
        where TVector : struct, ISimdVector<TVector, T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int width = TVector.Count;
        nuint v = (nuint)width;
        TVector scale = TVector.Create(a);
        int i = 0;
        for (; i + 4 * width <= n; i += 4 * width)
        {
            nuint o = (nuint)i;
            TVector y0 = TVector.MultiplyAdd(scale, TVector.Load(ref x, o), TVector.Load(ref y, o));
            TVector y1 = TVector.MultiplyAdd(scale, TVector.Load(ref x, o + v), TVector.Load(ref y, o + v));
            TVector y2 = TVector.MultiplyAdd(scale, TVector.Load(ref x, o + 2 * v), TVector.Load(ref y, o + 2 * v));
            TVector y3 = TVector.MultiplyAdd(scale, TVector.Load(ref x, o + 3 * v), TVector.Load(ref y, o + 3 * v));
            TVector.Store(y0, ref y, o);
            TVector.Store(y1, ref y, o + v);
            TVector.Store(y2, ref y, o + 2 * v);
            TVector.Store(y3, ref y, o + 3 * v);
        }

        for (; i + width <= n; i += width)
        {
            nuint o = (nuint)i;
            TVector.Store(TVector.MultiplyAdd(scale, TVector.Load(ref x, o), TVector.Load(ref y, o)), ref y, o);
        }

        for (; i < n; i++)
        {
            Unsafe.Add(ref y, i) = T.MultiplyAddEstimate(a, Unsafe.Add(ref x, i), Unsafe.Add(ref y, i));
        }
    }

    /// <summary>The dot product of two spans of equal length.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static T Dot<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (a.Length != b.Length)
        {
            throw new ArgumentException($"The spans must have equal lengths; they have {a.Length} and {b.Length}.", nameof(b));
        }

        return DotCore<T, T, SameFormat<T>>(ref MemoryMarshal.GetReference(a), ref MemoryMarshal.GetReference(b), a.Length);
    }

    /// <summary>The width ladder of <see cref="Dot{T}"/>, with <paramref name="b"/> in any <see cref="IWeightFormat{T, TWeight}"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T DotCore<T, TWeight, TFormat>(ref T a, ref TWeight b, int n)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        where TWeight : unmanaged
        where TFormat : struct, IWeightFormat<T, TWeight>
    {
        if (VectorPaths.Use512 && Vector512<T>.IsSupported && n >= Vector512<T>.Count)
        {
            return DotWidth<Simd512<T>, T, TWeight, TFormat>(ref a, ref b, n);
        }

        if (Vector256.IsHardwareAccelerated && Vector256<T>.IsSupported && n >= Vector256<T>.Count)
        {
            return DotWidth<Simd256<T>, T, TWeight, TFormat>(ref a, ref b, n);
        }

        if (Vector128.IsHardwareAccelerated && Vector128<T>.IsSupported && n >= Vector128<T>.Count)
        {
            return DotWidth<Simd128<T>, T, TWeight, TFormat>(ref a, ref b, n);
        }

        return DotWidth<Scalar<T>, T, TWeight, TFormat>(ref a, ref b, n);
    }

    /// <summary>
    /// Four independent fused accumulators over four vectors at a time (so the loop waits on FMA throughput, not its
    /// latency), then one vector at a time into the first, then <c>((acc0 + acc1) + (acc2 + acc3))</c>, the horizontal
    /// sum, and the tail lane by lane. The order depends only on the length and the width, so a given machine always
    /// gives the same result for the same input.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T DotWidth<TVector, T, TWeight, TFormat>(ref T a, ref TWeight b, int n)
        where TVector : struct, ISimdVector<TVector, T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        where TWeight : unmanaged
        where TFormat : struct, IWeightFormat<T, TWeight>
    {
        int width = TVector.Count;
        nuint v = (nuint)width;
        int i = 0;
        TVector acc0 = TVector.Create(T.Zero);
        TVector acc1 = acc0;
        TVector acc2 = acc0;
        TVector acc3 = acc0;
        for (; i + 4 * width <= n; i += 4 * width)
        {
            nuint o = (nuint)i;
            acc0 = TVector.MultiplyAdd(TVector.Load(ref a, o), TFormat.Load<TVector>(ref b, o), acc0);
            acc1 = TVector.MultiplyAdd(TVector.Load(ref a, o + v), TFormat.Load<TVector>(ref b, o + v), acc1);
            acc2 = TVector.MultiplyAdd(TVector.Load(ref a, o + 2 * v), TFormat.Load<TVector>(ref b, o + 2 * v), acc2);
            acc3 = TVector.MultiplyAdd(TVector.Load(ref a, o + 3 * v), TFormat.Load<TVector>(ref b, o + 3 * v), acc3);
        }

        for (; i + width <= n; i += width)
        {
            nuint o = (nuint)i;
            acc0 = TVector.MultiplyAdd(TVector.Load(ref a, o), TFormat.Load<TVector>(ref b, o), acc0);
        }

        T sum = TVector.Sum(TVector.Add(TVector.Add(acc0, acc1), TVector.Add(acc2, acc3)));
        for (; i < n; i++)
        {
            sum = T.MultiplyAddEstimate(Unsafe.Add(ref a, i), TFormat.Element(ref b, (nuint)i), sum);
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
