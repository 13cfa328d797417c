using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace RnnCompiler.Kernels;

// Row streaming: how MultiplyAdd and Affine read a matrix too large for L1.
//
// The column blocks of MultiplyAddColumns keep a block of y in registers and walk every row of w for it, so a weight
// matrix of [rows, columns] is read as `rows` short runs (one block wide) a whole row apart. When the matrix comes
// from L2 that pattern is what limits the step: on Zen 3 a 192 × 512 float matrix read that way ran at 51 GB/s, and
// the same products read in address order at 85 GB/s (L2 read bandwidth measured on the machine: about 88 GB/s).
// Streaming walks the matrix in address order instead, four rows at a time, and keeps y in L1: each vector of y is
// loaded, takes four rows' multiply-adds, and is stored. Every column still sums its rows in order from its own
// value with the same multiply-add, so the two orders give the same bits, and the choice between them is a matter
// of speed alone. Small matrices, which stay in L1 from one step to the next, keep the column blocks: there the
// loads and stores of y cost more than the access pattern saves.
//
// On Zen 5 four rows at a time are four short streams, which read at about 110 GB/s where one stream reads 200: a
// matrix that a model reads at every step is therefore packed in panels (MatrixKernels.Panels.cs) and read in address
// order. Row streaming serves the large matrices that stay row-major (a Dense kernel, a reset-before GRU, a bfloat16
// step's input kernel, and any caller's own).
public static partial class MatrixKernels
{
    /// <summary>
    /// The size of a product's weights, in bytes, from which it streams the rows (the size of the L1 data cache on
    /// the x64 and arm64 cores this is tuned for). Measured on Zen 3: a 16 KB matrix was faster in column blocks,
    /// 96 KB and more streamed.
    /// </summary>
    internal const int StreamingBytes = 32 * 1024;

    /// <summary>True when a product over <paramref name="rows"/> × <paramref name="columns"/> weights streams its rows.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool Streams<TWeight>(int rows, int columns)
        where TWeight : unmanaged
        => (long)rows * columns * Unsafe.SizeOf<TWeight>() >= StreamingBytes;

    /// <summary>
    /// How many leading columns <see cref="StreamRows{T, TWeight, TFormat}"/> covers: a multiple of the widest
    /// accelerated vector; 0 without vector hardware, where the column blocks do everything.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int StreamedColumns<T>(int columns)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (VectorPaths.Use512 && Vector512<T>.IsSupported)
        {
            return columns - columns % Vector512<T>.Count;
        }

        if (Vector256.IsHardwareAccelerated && Vector256<T>.IsSupported)
        {
            return columns - columns % Vector256<T>.Count;
        }

        if (Vector128.IsHardwareAccelerated && Vector128<T>.IsSupported)
        {
            return columns - columns % Vector128<T>.Count;
        }

        return 0;
    }

    /// <summary>
    /// <c>y[j] += Σ_i x[i] · w[i · stride + j] + Σ_i h[i] · u[i · stride + j]</c>, the rows of <paramref name="w"/> then
    /// those of <paramref name="u"/>, for the <paramref name="columns"/> leading columns (a multiple of the vector width
    /// that <see cref="StreamedColumns{T}"/> returned), reading both matrices in address order.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void StreamRows<T, TWeight, TFormat>(ref T x, int xRows, ref TWeight w, ref T h, int hRows, ref TWeight u, nuint stride, ref T y, int columns)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        where TWeight : unmanaged
        where TFormat : struct, IWeightFormat<T, TWeight>
    {
        int column = 0;
        if (typeof(TFormat) == typeof(BFloat16Format))
        {
            // bfloat16 reads two vectors' weights per load and widens them without a shuffle (MatrixKernels.Pairs.cs).
            column = StreamBFloat16Pairs(
                ref Unsafe.As<T, float>(ref x), xRows, ref Unsafe.As<TWeight, ushort>(ref w),
                ref Unsafe.As<T, float>(ref h), hRows, ref Unsafe.As<TWeight, ushort>(ref u),
                stride, ref Unsafe.As<T, float>(ref y), columns);
            if (column == columns)
            {
                return;
            }
        }

        nuint c = (nuint)column;
        ref TWeight wFrom = ref Unsafe.Add(ref w, c);
        ref TWeight uFrom = ref Unsafe.Add(ref u, c);
        ref T yFrom = ref Unsafe.Add(ref y, c);
        int count = columns - column;
        if (VectorPaths.Use512 && Vector512<T>.IsSupported)
        {
            StreamRowsWidth<Simd512<T>, T, TWeight, TFormat>(ref x, xRows, ref wFrom, stride, ref yFrom, count);
            StreamRowsWidth<Simd512<T>, T, TWeight, TFormat>(ref h, hRows, ref uFrom, stride, ref yFrom, count);
        }
        else if (Vector256.IsHardwareAccelerated && Vector256<T>.IsSupported)
        {
            StreamRowsWidth<Simd256<T>, T, TWeight, TFormat>(ref x, xRows, ref wFrom, stride, ref yFrom, count);
            StreamRowsWidth<Simd256<T>, T, TWeight, TFormat>(ref h, hRows, ref uFrom, stride, ref yFrom, count);
        }
        else if (Vector128.IsHardwareAccelerated && Vector128<T>.IsSupported)
        {
            StreamRowsWidth<Simd128<T>, T, TWeight, TFormat>(ref x, xRows, ref wFrom, stride, ref yFrom, count);
            StreamRowsWidth<Simd128<T>, T, TWeight, TFormat>(ref h, hRows, ref uFrom, stride, ref yFrom, count);
        }
    }

    /// <summary>
    /// <see cref="StreamRows{T, TWeight, TFormat}"/> at one vector width: four rows at a time, two vectors of y per load
    /// and store (eight independent multiply-adds per pair of loads), then one vector; the last rows one at a time.
    /// </summary>
    /// <remarks>
    /// Four rows are four sequential streams, which the prefetchers follow; eight rows with one vector of y, two rows
    /// with four, and sixteen rows were each slower on Zen 3 (55–75 GB/s against 85 GB/s).
    /// </remarks>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void StreamRowsWidth<TVector, T, TWeight, TFormat>(ref T x, int rows, ref TWeight w, nuint stride, ref T y, int columns)
        where TVector : struct, ISimdVector<TVector, T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        where TWeight : unmanaged
        where TFormat : struct, IWeightFormat<T, TWeight>
    {
        if (rows == 0)
        {
            return;
        }

        nuint v = (nuint)TVector.Count;
        nuint end = (nuint)columns;
        int i = 0;
        for (; i + 4 <= rows; i += 4)
        {
            TVector x0 = TVector.Create(Unsafe.Add(ref x, i));
            TVector x1 = TVector.Create(Unsafe.Add(ref x, i + 1));
            TVector x2 = TVector.Create(Unsafe.Add(ref x, i + 2));
            TVector x3 = TVector.Create(Unsafe.Add(ref x, i + 3));
            nuint row0 = (nuint)i * stride;
            nuint row1 = row0 + stride;
            nuint row2 = row1 + stride;
            nuint row3 = row2 + stride;
            nuint j = 0;
            for (; j + 2 * v <= end; j += 2 * v)
            {
                TVector a = TVector.Load(ref y, j);
                TVector b = TVector.Load(ref y, j + v);
                a = TVector.MultiplyAdd(x0, TFormat.Load<TVector>(ref w, row0 + j), a);
                b = TVector.MultiplyAdd(x0, TFormat.Load<TVector>(ref w, row0 + j + v), b);
                a = TVector.MultiplyAdd(x1, TFormat.Load<TVector>(ref w, row1 + j), a);
                b = TVector.MultiplyAdd(x1, TFormat.Load<TVector>(ref w, row1 + j + v), b);
                a = TVector.MultiplyAdd(x2, TFormat.Load<TVector>(ref w, row2 + j), a);
                b = TVector.MultiplyAdd(x2, TFormat.Load<TVector>(ref w, row2 + j + v), b);
                a = TVector.MultiplyAdd(x3, TFormat.Load<TVector>(ref w, row3 + j), a);
                b = TVector.MultiplyAdd(x3, TFormat.Load<TVector>(ref w, row3 + j + v), b);
                TVector.Store(a, ref y, j);
                TVector.Store(b, ref y, j + v);
            }

            if (j < end)
            {
                TVector a = TVector.Load(ref y, j);
                a = TVector.MultiplyAdd(x0, TFormat.Load<TVector>(ref w, row0 + j), a);
                a = TVector.MultiplyAdd(x1, TFormat.Load<TVector>(ref w, row1 + j), a);
                a = TVector.MultiplyAdd(x2, TFormat.Load<TVector>(ref w, row2 + j), a);
                a = TVector.MultiplyAdd(x3, TFormat.Load<TVector>(ref w, row3 + j), a);
                TVector.Store(a, ref y, j);
            }
        }

        for (; i < rows; i++)
        {
            TVector xi = TVector.Create(Unsafe.Add(ref x, i));
            nuint row = (nuint)i * stride;
            for (nuint j = 0; j < end; j += v)
            {
                TVector.Store(TVector.MultiplyAdd(xi, TFormat.Load<TVector>(ref w, row + j), TVector.Load(ref y, j)), ref y, j);
            }
        }
    }
}
