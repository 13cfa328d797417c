using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace RnnCompiler.Kernels;

// bfloat16 weights read in pairs, for the streamed products (MatrixKernels.Streaming.cs).
//
// BFloat16Format.Load widens one vector of weights from half a vector of bfloat16: a zero-extending shuffle and a
// shift per vector, on top of the multiply-add. With AVX2 that made the bfloat16 step no faster than the float one:
// the shuffles and shifts compete with the multiply-adds for the same vector ports. Read as 32-bit lanes, a whole
// vector of bfloat16 already holds two vectors' weights, side by side: the lane holding elements 2k and 2k + 1 gives
// element 2k as a float by a shift left of 16 and element 2k + 1 by clearing the low 16 bits. No shuffle, and one load
// per two vectors. The price is that one vector of sums holds the even columns of a group of 2 × width columns and
// the other the odd ones, so the sums live in a scratch in that order while the rows stream, and y is put back in
// column order once per product (two shuffles and a blend per vector with AVX-512 or AVX2: element by element, the two
// passes took about 0.4 µs for 512 columns on Zen 5). Each column still sums the same products in the same order, so the result is bit
// for bit that of the float kernels on the widened weights.
public static partial class MatrixKernels
{
    /// <summary>The widest output the pairs handle, in columns: the scratch lives on the stack (8 KB).</summary>
    private const int MaxPairedColumns = 2048;

    /// <summary>
    /// <see cref="StreamRows{T, TWeight, TFormat}"/> for bfloat16 weights over the leading columns that make whole groups
    /// of two vectors; returns how many columns it did (0 when there is no such group, or too many columns).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int StreamBFloat16Pairs(ref float x, int xRows, ref ushort w, ref float h, int hRows, ref ushort u, nuint stride, ref float y, int columns)
    {
        if (VectorPaths.Use512)
        {
            return StreamPairsWidth<Simd512<float>>(ref x, xRows, ref w, ref h, hRows, ref u, stride, ref y, columns);
        }

        if (Vector256.IsHardwareAccelerated)
        {
            return StreamPairsWidth<Simd256<float>>(ref x, xRows, ref w, ref h, hRows, ref u, stride, ref y, columns);
        }

        if (Vector128.IsHardwareAccelerated)
        {
            return StreamPairsWidth<Simd128<float>>(ref x, xRows, ref w, ref h, hRows, ref u, stride, ref y, columns);
        }

        return 0;
    }

    /// <summary>
    /// <c>y += x · w</c> over the first <paramref name="columns"/> columns of a bfloat16 matrix packed in panels
    /// (<see cref="PackBFloat16Panels"/>), at the width the panels were cut for. Each 32-bit lane of a block holds column
    /// k in its low half and column k + width in its high half, so the two widened vectors are y's own columns and the
    /// sums need no reordering.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void StreamBFloat16Panels(ref float x, int rows, ref ushort w, ref float y, int columns)
    {
        if (VectorPaths.Use512)
        {
            StreamPairPanelsWidth<Simd512<float>>(ref x, rows, ref w, ref y, columns);
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            StreamPairPanelsWidth<Simd256<float>>(ref x, rows, ref w, ref y, columns);
        }
        else
        {
            StreamPairPanelsWidth<Simd128<float>>(ref x, rows, ref w, ref y, columns);
        }
    }

    /// <summary>
    /// <see cref="StreamBFloat16Pairs"/> at one vector width: y's paired columns into the scratch (each group of
    /// 2 × width columns as its even columns, then its odd ones), the rows of <paramref name="w"/> and then of
    /// <paramref name="u"/>, and the scratch back into y.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static int StreamPairsWidth<TVector>(ref float x, int xRows, ref ushort w, ref float h, int hRows, ref ushort u, nuint stride, ref float y, int columns)
        where TVector : struct, ISimdVector<TVector, float>
    {
        int group = 2 * TVector.Count;
        int paired = columns - columns % group;
        if (paired == 0 || paired > MaxPairedColumns)
        {
            return 0;
        }

        Span<float> scratch = stackalloc float[paired];
        ref float sums = ref scratch[0];
        SplitPairs<TVector>(ref y, ref sums, paired);
        StreamPairRows<TVector>(ref x, xRows, ref w, stride, ref sums, paired);
        StreamPairRows<TVector>(ref h, hRows, ref u, stride, ref sums, paired);
        JoinPairs<TVector>(ref sums, ref y, paired);
        return paired;
    }

    /// <summary>
    /// y's first <paramref name="paired"/> columns into the paired sums: each group of 2 × width columns as its even
    /// columns, then its odd ones. Two shuffles and a blend per vector where the width has them; element by element else.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void SplitPairs<TVector>(ref float y, ref float sums, int paired)
        where TVector : struct, ISimdVector<TVector, float>
    {
        int width = TVector.Count;
        int c = 0;
        if (typeof(TVector) == typeof(Simd512<float>))
        {
            Vector512<int> even = Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, 0, 2, 4, 6, 8, 10, 12, 14);
            Vector512<int> odd = even + Vector512<int>.One;
            Vector512<float> low = Vector512.Create(-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0).AsSingle();
            for (; c < paired; c += 32)
            {
                Vector512<float> a = Vector512.LoadUnsafe(ref y, (nuint)c), b = Vector512.LoadUnsafe(ref y, (nuint)c + 16);
                Vector512.ConditionalSelect(low, Vector512.Shuffle(a, even), Vector512.Shuffle(b, even)).StoreUnsafe(ref sums, (nuint)c);
                Vector512.ConditionalSelect(low, Vector512.Shuffle(a, odd), Vector512.Shuffle(b, odd)).StoreUnsafe(ref sums, (nuint)c + 16);
            }
        }
        else if (typeof(TVector) == typeof(Simd256<float>))
        {
            Vector256<int> even = Vector256.Create(0, 2, 4, 6, 0, 2, 4, 6);
            Vector256<int> odd = even + Vector256<int>.One;
            Vector256<float> low = Vector256.Create(-1, -1, -1, -1, 0, 0, 0, 0).AsSingle();
            for (; c < paired; c += 16)
            {
                Vector256<float> a = Vector256.LoadUnsafe(ref y, (nuint)c), b = Vector256.LoadUnsafe(ref y, (nuint)c + 8);
                Vector256.ConditionalSelect(low, Vector256.Shuffle(a, even), Vector256.Shuffle(b, even)).StoreUnsafe(ref sums, (nuint)c);
                Vector256.ConditionalSelect(low, Vector256.Shuffle(a, odd), Vector256.Shuffle(b, odd)).StoreUnsafe(ref sums, (nuint)c + 8);
            }
        }

        for (; c < paired; c += 2 * width)
        {
            for (int k = 0; k < width; k++)
            {
                Unsafe.Add(ref sums, c + k) = Unsafe.Add(ref y, c + 2 * k);
                Unsafe.Add(ref sums, c + width + k) = Unsafe.Add(ref y, c + 2 * k + 1);
            }
        }
    }

    /// <summary>The paired sums back into y's first <paramref name="paired"/> columns, in column order (the inverse of <see cref="SplitPairs{TVector}"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void JoinPairs<TVector>(ref float sums, ref float y, int paired)
        where TVector : struct, ISimdVector<TVector, float>
    {
        int width = TVector.Count;
        int c = 0;
        if (typeof(TVector) == typeof(Simd512<float>))
        {
            Vector512<int> first = Vector512.Create(0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7);
            Vector512<int> second = first + Vector512.Create(8);
            Vector512<float> evenLanes = Vector512.Create(-1, 0, -1, 0, -1, 0, -1, 0, -1, 0, -1, 0, -1, 0, -1, 0).AsSingle();
            for (; c < paired; c += 32)
            {
                Vector512<float> even = Vector512.LoadUnsafe(ref sums, (nuint)c), odd = Vector512.LoadUnsafe(ref sums, (nuint)c + 16);
                Vector512.ConditionalSelect(evenLanes, Vector512.Shuffle(even, first), Vector512.Shuffle(odd, first)).StoreUnsafe(ref y, (nuint)c);
                Vector512.ConditionalSelect(evenLanes, Vector512.Shuffle(even, second), Vector512.Shuffle(odd, second)).StoreUnsafe(ref y, (nuint)c + 16);
            }
        }
        else if (typeof(TVector) == typeof(Simd256<float>))
        {
            Vector256<int> first = Vector256.Create(0, 0, 1, 1, 2, 2, 3, 3);
            Vector256<int> second = first + Vector256.Create(4);
            Vector256<float> evenLanes = Vector256.Create(-1, 0, -1, 0, -1, 0, -1, 0).AsSingle();
            for (; c < paired; c += 16)
            {
                Vector256<float> even = Vector256.LoadUnsafe(ref sums, (nuint)c), odd = Vector256.LoadUnsafe(ref sums, (nuint)c + 8);
                Vector256.ConditionalSelect(evenLanes, Vector256.Shuffle(even, first), Vector256.Shuffle(odd, first)).StoreUnsafe(ref y, (nuint)c);
                Vector256.ConditionalSelect(evenLanes, Vector256.Shuffle(even, second), Vector256.Shuffle(odd, second)).StoreUnsafe(ref y, (nuint)c + 8);
            }
        }

        for (; c < paired; c += 2 * width)
        {
            for (int k = 0; k < width; k++)
            {
                Unsafe.Add(ref y, c + 2 * k) = Unsafe.Add(ref sums, c + k);
                Unsafe.Add(ref y, c + 2 * k + 1) = Unsafe.Add(ref sums, c + width + k);
            }
        }
    }

    /// <summary>
    /// The rows of <paramref name="w"/> into the paired sums, four rows at a time (four sequential streams, as in
    /// <see cref="StreamRowsWidth{TVector, T, TWeight, TFormat}"/>), one pair of vectors per group; the last rows one at a time.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StreamPairRows<TVector>(ref float x, int rows, ref ushort w, nuint stride, ref float sums, int columns)
        where TVector : struct, ISimdVector<TVector, float>
    {
        nuint v = (nuint)TVector.Count;
        nuint group = 2 * v;
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
            for (nuint j = 0; j < end; j += group)
            {
                TVector even = TVector.Load(ref sums, j);
                TVector odd = TVector.Load(ref sums, j + v);
                LoadPair(ref w, row0 + j, out TVector e0, out TVector o0);
                even = TVector.MultiplyAdd(x0, e0, even);
                odd = TVector.MultiplyAdd(x0, o0, odd);
                LoadPair(ref w, row1 + j, out TVector e1, out TVector o1);
                even = TVector.MultiplyAdd(x1, e1, even);
                odd = TVector.MultiplyAdd(x1, o1, odd);
                LoadPair(ref w, row2 + j, out TVector e2, out TVector o2);
                even = TVector.MultiplyAdd(x2, e2, even);
                odd = TVector.MultiplyAdd(x2, o2, odd);
                LoadPair(ref w, row3 + j, out TVector e3, out TVector o3);
                even = TVector.MultiplyAdd(x3, e3, even);
                odd = TVector.MultiplyAdd(x3, o3, odd);
                TVector.Store(even, ref sums, j);
                TVector.Store(odd, ref sums, j + v);
            }
        }

        for (; i < rows; i++)
        {
            TVector xi = TVector.Create(Unsafe.Add(ref x, i));
            nuint row = (nuint)i * stride;
            for (nuint j = 0; j < end; j += group)
            {
                LoadPair(ref w, row + j, out TVector even, out TVector odd);
                TVector.Store(TVector.MultiplyAdd(xi, even, TVector.Load(ref sums, j)), ref sums, j);
                TVector.Store(TVector.MultiplyAdd(xi, odd, TVector.Load(ref sums, j + v)), ref sums, j + v);
            }
        }
    }

    /// <summary>
    /// <see cref="StreamBFloat16Panels"/> at one width: per group of eight rows, eight broadcasts; per block of two vectors
    /// of columns, its eight rows' loads in address order into the block's two vectors of y; the rows past the last group
    /// of eight the same way, that many per block.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void StreamPairPanelsWidth<TVector>(ref float x, int rows, ref ushort w, ref float sums, int columns)
        where TVector : struct, ISimdVector<TVector, float>
    {
        nuint v = (nuint)TVector.Count;
        nuint group = 2 * v;
        nuint end = (nuint)columns;
        nuint p = 0;
        int i = 0;
        for (; i + PanelRows <= rows; i += PanelRows)
        {
            TVector x0 = TVector.Create(Unsafe.Add(ref x, i));
            TVector x1 = TVector.Create(Unsafe.Add(ref x, i + 1));
            TVector x2 = TVector.Create(Unsafe.Add(ref x, i + 2));
            TVector x3 = TVector.Create(Unsafe.Add(ref x, i + 3));
            TVector x4 = TVector.Create(Unsafe.Add(ref x, i + 4));
            TVector x5 = TVector.Create(Unsafe.Add(ref x, i + 5));
            TVector x6 = TVector.Create(Unsafe.Add(ref x, i + 6));
            TVector x7 = TVector.Create(Unsafe.Add(ref x, i + 7));
            for (nuint j = 0; j < end; j += group, p += PanelRows * group)
            {
                TVector even = TVector.Load(ref sums, j);
                TVector odd = TVector.Load(ref sums, j + v);
                LoadPair(ref w, p, out TVector e, out TVector o);
                even = TVector.MultiplyAdd(x0, e, even);
                odd = TVector.MultiplyAdd(x0, o, odd);
                LoadPair(ref w, p + group, out e, out o);
                even = TVector.MultiplyAdd(x1, e, even);
                odd = TVector.MultiplyAdd(x1, o, odd);
                LoadPair(ref w, p + 2 * group, out e, out o);
                even = TVector.MultiplyAdd(x2, e, even);
                odd = TVector.MultiplyAdd(x2, o, odd);
                LoadPair(ref w, p + 3 * group, out e, out o);
                even = TVector.MultiplyAdd(x3, e, even);
                odd = TVector.MultiplyAdd(x3, o, odd);
                LoadPair(ref w, p + 4 * group, out e, out o);
                even = TVector.MultiplyAdd(x4, e, even);
                odd = TVector.MultiplyAdd(x4, o, odd);
                LoadPair(ref w, p + 5 * group, out e, out o);
                even = TVector.MultiplyAdd(x5, e, even);
                odd = TVector.MultiplyAdd(x5, o, odd);
                LoadPair(ref w, p + 6 * group, out e, out o);
                even = TVector.MultiplyAdd(x6, e, even);
                odd = TVector.MultiplyAdd(x6, o, odd);
                LoadPair(ref w, p + 7 * group, out e, out o);
                even = TVector.MultiplyAdd(x7, e, even);
                odd = TVector.MultiplyAdd(x7, o, odd);
                TVector.Store(even, ref sums, j);
                TVector.Store(odd, ref sums, j + v);
            }
        }

        nuint height = (nuint)(rows - i);
        for (nuint j = 0; height > 0 && j < end; j += group, p += height * group)
        {
            TVector even = TVector.Load(ref sums, j);
            TVector odd = TVector.Load(ref sums, j + v);
            for (nuint r = 0; r < height; r++)
            {
                TVector xr = TVector.Create(Unsafe.Add(ref x, (nuint)i + r));
                LoadPair(ref w, p + r * group, out TVector e, out TVector o);
                even = TVector.MultiplyAdd(xr, e, even);
                odd = TVector.MultiplyAdd(xr, o, odd);
            }

            TVector.Store(even, ref sums, j);
            TVector.Store(odd, ref sums, j + v);
        }
    }

    /// <summary>
    /// The 2 × <c>TVector.Count</c> bfloat16 weights at <paramref name="offset"/> widened to two vectors: the even
    /// elements (a shift left of 16 of each 32-bit lane) and the odd ones (the lane with its low 16 bits cleared).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void LoadPair<TVector>(ref ushort source, nuint offset, out TVector even, out TVector odd)
        where TVector : struct, ISimdVector<TVector, float>
    {
        ref uint lanes = ref Unsafe.As<ushort, uint>(ref Unsafe.Add(ref source, offset));
        if (typeof(TVector) == typeof(Simd512<float>))
        {
            Vector512<uint> pair = Vector512.LoadUnsafe(ref lanes);
            even = Unsafe.BitCast<Vector512<float>, TVector>(Vector512.ShiftLeft(pair, 16).AsSingle());
            odd = Unsafe.BitCast<Vector512<float>, TVector>((pair & Vector512.Create(0xFFFF_0000u)).AsSingle());
        }
        else if (typeof(TVector) == typeof(Simd256<float>))
        {
            Vector256<uint> pair = Vector256.LoadUnsafe(ref lanes);
            even = Unsafe.BitCast<Vector256<float>, TVector>(Vector256.ShiftLeft(pair, 16).AsSingle());
            odd = Unsafe.BitCast<Vector256<float>, TVector>((pair & Vector256.Create(0xFFFF_0000u)).AsSingle());
        }
        else if (typeof(TVector) == typeof(Simd128<float>))
        {
            Vector128<uint> pair = Vector128.LoadUnsafe(ref lanes);
            even = Unsafe.BitCast<Vector128<float>, TVector>(Vector128.ShiftLeft(pair, 16).AsSingle());
            odd = Unsafe.BitCast<Vector128<float>, TVector>((pair & Vector128.Create(0xFFFF_0000u)).AsSingle());
        }
        else
        {
            even = TVector.Create(BFloat16.Widen(Unsafe.Add(ref source, offset)));
            odd = TVector.Create(BFloat16.Widen(Unsafe.Add(ref source, offset + 1)));
        }
    }
}
