using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace RnnCompiler.Kernels;

// Panels: a weight matrix laid out so that a streamed product reads it in address order.
//
// Row streaming (MatrixKernels.Streaming.cs) reads a row-major matrix four rows at a time: four runs of two vectors,
// each a whole row (2 KB for 512 columns) from the next. The hardware prefetchers see four short streams that restart
// every row group. On Zen 5 that pattern read a 384 KB matrix from L2 at 106–115 GB/s, where one sequential stream
// read 184–214 GB/s. In panel order the same product reads one stream: the rows in groups of eight and, within a
// group, blocks of two vectors of columns, each block holding its eight rows' runs one after the other. Eight rows by
// two vectors read that way ran at 161–178 GB/s in the same micro-benchmark (eight rows by one vector 152–167, four
// rows by two vectors 137, eight rows by four vectors 115: its 32 broadcasts, sums and loads do not fit the registers).
//
// The columns past the last whole vector (past the last whole pair of vectors for bfloat16) follow the panels as a
// row-major block, read by the column blocks as the row-major kernels read those columns.
//
// bfloat16 panels hold two columns per 32-bit lane, as the paired kernel reads them (MatrixKernels.Pairs.cs), but column
// k and column k + width of a block rather than 2k and 2k + 1: widened, the lanes give y's own two vectors of columns, so
// the sums need none of the even-and-odd reordering of the row-major pairs (two scalar passes over y per product, about
// 0.4 µs for 512 columns on Zen 5).
//
// Every column still sums its rows in order, one multiply-add at a time from its own value, so a product over panels
// gives bit for bit what the row-major kernels give. The layout depends on the widest vector the machine accelerates,
// so it is never stored: a model packs its kernels once (PackPanels) into a copy that Predict and Step read.
public static partial class MatrixKernels
{
    /// <summary>The rows of one panel: each block of columns holds this many rows' runs back to back.</summary>
    private const int PanelRows = 8;

    /// <summary>
    /// True when <see cref="PackPanels{T}"/> reorders a [<paramref name="rows"/>, <paramref name="columns"/>] matrix on
    /// this machine: the matrix is large enough to be read from L2 (32 KB or more, as for row streaming), there is vector
    /// hardware, and it has at least one vector of columns. Otherwise the packed copy is the matrix as it is, and the
    /// products read it as <see cref="MatrixLayout.RowMajor"/>.
    /// </summary>
    /// <param name="rows">The rows of the matrix.</param>
    /// <param name="columns">The columns of the matrix.</param>
    /// <returns>Whether the matrix is held in panels.</returns>
    public static bool UsesPanels<T>(int rows, int columns)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        => PanelColumns<T>(rows, columns) > 0;

    /// <summary>
    /// The leading columns that a packed [<paramref name="rows"/>, <paramref name="columns"/>] matrix holds in panels, a
    /// whole number of vectors; 0 when it is not packed. The columns past them (fewer than a vector) follow the panels as
    /// a row-major [rows, columns − panel columns] block.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int PanelColumns<T>(int rows, int columns)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int width = PanelVector<T>();
        return width > 0 && rows > 0 && columns >= width && Streams<T>(rows, columns) ? columns - columns % width : 0;
    }

    /// <summary>
    /// Copies a row-major [<paramref name="rows"/>, <paramref name="columns"/>] matrix into <paramref name="packed"/> in
    /// the <see cref="MatrixLayout.Panels"/> order of this machine (see <see cref="UsesPanels{T}"/>; when it does not
    /// apply, the copy keeps the row-major order). Both spans hold <c>rows × columns</c> elements.
    /// </summary>
    /// <param name="matrix">The matrix, [rows, columns] row-major, e.g. a kernel in <c>Parameters</c>.</param>
    /// <param name="rows">The rows of the matrix.</param>
    /// <param name="columns">The columns of the matrix.</param>
    /// <param name="packed">Receives the copy; must not overlap <paramref name="matrix"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="rows"/> or <paramref name="columns"/> is negative.</exception>
    /// <exception cref="ArgumentException">A span is shorter than <c>rows × columns</c>, or the two overlap.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackPanels<T>(ReadOnlySpan<T> matrix, int rows, int columns, Span<T> packed)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        long size = CheckPack(matrix.Length, rows, columns, packed.Length);

        if (matrix.Slice(0, (int)size).Overlaps(packed.Slice(0, (int)size)))
        {
            throw new ArgumentException("The packed copy must not overlap the matrix.", nameof(packed));
        }

        int panelColumns = PanelColumns<T>(rows, columns);
        if (panelColumns == 0)
        {
            matrix.Slice(0, (int)size).CopyTo(packed);
            return;
        }

        PackRuns<T, T, CopyRun<T>>(matrix, rows, columns, panelColumns, packed, 2 * PanelVector<T>());
    }

    /// <summary>
    /// True when <see cref="PackBFloat16Panels"/> reorders a [<paramref name="rows"/>, <paramref name="columns"/>]
    /// bfloat16 matrix on this machine: 32 KB or more of bfloat16, vector hardware, and at least one pair of float
    /// vectors of columns (each pair is one load of bfloat16, MatrixKernels.Pairs.cs), at most 2,048 of them.
    /// </summary>
    /// <param name="rows">The rows of the matrix.</param>
    /// <param name="columns">The columns of the matrix.</param>
    /// <returns>Whether the bfloat16 matrix is held in panels.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool UsesBFloat16Panels(int rows, int columns) => BFloat16PanelColumns(rows, columns) > 0;

    /// <summary>
    /// <see cref="PanelColumns{T}"/> for bfloat16: whole pairs of float vectors, the columns the paired kernel covers;
    /// the rest follow as a row-major block.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int BFloat16PanelColumns(int rows, int columns)
    {
        int group = 2 * PanelVector<float>();
        int paired = group > 0 ? columns - columns % group : 0;
        return rows > 0 && paired > 0 && paired <= MaxPairedColumns && Streams<ushort>(rows, columns) ? paired : 0;
    }

    /// <summary>
    /// Rounds a row-major float [<paramref name="rows"/>, <paramref name="columns"/>] matrix to bfloat16
    /// (<see cref="BFloat16.Round(ReadOnlySpan{float}, Span{ushort})"/>) into <paramref name="packed"/>, in the
    /// <see cref="MatrixLayout.Panels"/> order of this machine (see <see cref="UsesBFloat16Panels"/>; when it does not
    /// apply, the rounded copy keeps the row-major order).
    /// </summary>
    /// <param name="matrix">The float matrix, [rows, columns] row-major, e.g. a kernel in <c>Parameters</c>.</param>
    /// <param name="rows">The rows of the matrix.</param>
    /// <param name="columns">The columns of the matrix.</param>
    /// <param name="packed">Receives the bfloat16 bits, <c>rows × columns</c> of them.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="rows"/> or <paramref name="columns"/> is negative.</exception>
    /// <exception cref="ArgumentException">A span is shorter than <c>rows × columns</c>.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackBFloat16Panels(ReadOnlySpan<float> matrix, int rows, int columns, Span<ushort> packed)
    {
        long size = CheckPack(matrix.Length, rows, columns, packed.Length);

        int panelColumns = BFloat16PanelColumns(rows, columns);
        if (panelColumns == 0)
        {
            BFloat16.Round(matrix.Slice(0, (int)size), packed.Slice(0, (int)size));
            return;
        }

        PackRuns<float, ushort, RoundHalvesRun>(matrix, rows, columns, panelColumns, packed, 2 * PanelVector<float>());
    }

    /// <summary>The checks of a packing's arguments; returns the number of elements.</summary>
    private static long CheckPack(int matrixLength, int rows, int columns, int packedLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegative(columns);
        long size = (long)rows * columns;
        if (matrixLength < size)
        {
            throw new ArgumentException($"The matrix needs [{rows}, {columns}] = {size} elements; it has {matrixLength}.", "matrix");
        }

        if (packedLength < size)
        {
            throw new ArgumentException($"The packed copy needs {size} elements; it has {packedLength}.", "packed");
        }

        return size;
    }

    /// <summary>
    /// The panel order of the first <paramref name="panelColumns"/> columns: per group of eight rows (the last may have
    /// fewer), per block of <paramref name="block"/> columns (the last may be narrower), each row's run of the block, one
    /// after the other; then the columns past them, row by row.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackRuns<TSource, TTarget, TCopy>(ReadOnlySpan<TSource> matrix, int rows, int columns, int panelColumns, Span<TTarget> packed, int block)
        where TCopy : struct, IRunCopy<TSource, TTarget>
    {
        int to = 0;
        for (int group = 0; group < rows; group += PanelRows)
        {
            int height = Math.Min(PanelRows, rows - group);
            for (int column = 0; column < panelColumns; column += block)
            {
                int run = Math.Min(block, panelColumns - column);
                for (int row = group; row < group + height; row++)
                {
                    TCopy.Copy(matrix.Slice(row * columns + column, run), packed.Slice(to, run));
                    to += run;
                }
            }
        }

        int tail = columns - panelColumns;
        for (int row = 0; tail > 0 && row < rows; row++, to += tail)
        {
            TCopy.Copy(matrix.Slice(row * columns + panelColumns, tail), packed.Slice(to, tail));
        }
    }

    /// <summary>How <see cref="PackRuns{TSource, TTarget, TCopy}"/> copies one run.</summary>
    private interface IRunCopy<TSource, TTarget>
    {
        static abstract void Copy(ReadOnlySpan<TSource> from, Span<TTarget> to);
    }

    /// <summary>As it is.</summary>
    private readonly struct CopyRun<T> : IRunCopy<T, T>
    {
        public static void Copy(ReadOnlySpan<T> from, Span<T> to) => from.CopyTo(to);
    }

    /// <summary>
    /// Rounded to bfloat16, the two halves of the run interleaved: element k of the first half and element k of the second
    /// share the 32-bit lane k, low half and high half, so that widening a vector of lanes gives the first half's columns
    /// in one float vector and the second half's in the other (<see cref="LoadPair{TVector}"/>), in column order. The tail
    /// past the panels is one run copied as it is.
    /// </summary>
    private readonly struct RoundHalvesRun : IRunCopy<float, ushort>
    {
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void Copy(ReadOnlySpan<float> from, Span<ushort> to)
        {
            if (from.Length % 2 != 0 || from.Length < 2 * PanelVector<float>())
            {
                BFloat16.Round(from, to);
                return;
            }

            int half = from.Length / 2;
            for (int k = 0; k < half; k++)
            {
                to[2 * k] = BFloat16.Round(from[k]);
                to[(2 * k) + 1] = BFloat16.Round(from[half + k]);
            }
        }
    }

    /// <summary>
    /// <see cref="MultiplyAdd{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, int, Span{T})"/> for a matrix in the given layout:
    /// <c>y[j] += Σ_i x[i] · w[i, j]</c> with <paramref name="w"/> as <see cref="PackPanels{T}"/> wrote it, summed in the
    /// same order, so with the same bits.
    /// </summary>
    /// <param name="x">The row vector, one element per matrix row.</param>
    /// <param name="w">The matrix: row-major with rows <paramref name="stride"/> apart, or a packed copy of a whole [x.Length, y.Length] matrix.</param>
    /// <param name="stride">The distance between two rows of a row-major <paramref name="w"/>; <c>y.Length</c> for a packed one.</param>
    /// <param name="y">The accumulators, one per column; must not overlap the inputs.</param>
    /// <param name="layout">How <paramref name="w"/> is laid out.</param>
    /// <exception cref="ArgumentException">The spans are too short for the shapes, or a packed matrix's stride is not its column count.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void MultiplyAdd<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> w, int stride, Span<T> y, MatrixLayout layout)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (layout == MatrixLayout.Panels)
        {
            CheckPackedStride(stride, y.Length);

            int panelColumns = PanelColumns<T>(x.Length, y.Length);
            if (panelColumns > 0)
            {
                CheckPacked(w.Length, x.Length, y.Length, nameof(w));
                AddProduct<T, T, SameFormat<T>>(ref MemoryMarshal.GetReference(x), x.Length, ref MemoryMarshal.GetReference(w), panels: true, ref MemoryMarshal.GetReference(y), y.Length);
                return;
            }
        }

        MultiplyAdd(x, w, stride, y);
    }

    /// <summary>
    /// <see cref="Affine{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, ReadOnlySpan{T}, ReadOnlySpan{T}, ReadOnlySpan{T}, Span{T})"/>
    /// with <paramref name="w"/> and <paramref name="u"/> each in its own layout: <c>y = bias + x · w + h · u</c>, each
    /// column summed in the same order, so with the same bits.
    /// </summary>
    /// <param name="x">The input row, one element per row of <paramref name="w"/>.</param>
    /// <param name="w">[x.Length, y.Length], in <paramref name="wLayout"/>.</param>
    /// <param name="h">The state row, one element per row of <paramref name="u"/>; empty for no recurrent product.</param>
    /// <param name="u">[h.Length, y.Length], in <paramref name="uLayout"/>; ignored when <paramref name="h"/> is empty.</param>
    /// <param name="bias">[y.Length].</param>
    /// <param name="y">Receives the sums; must not overlap the inputs.</param>
    /// <param name="wLayout">How <paramref name="w"/> is laid out.</param>
    /// <param name="uLayout">How <paramref name="u"/> is laid out.</param>
    /// <exception cref="ArgumentException">A span is too short for the shapes.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Affine<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> w, ReadOnlySpan<T> h, ReadOnlySpan<T> u, ReadOnlySpan<T> bias, Span<T> y, MatrixLayout wLayout, MatrixLayout uLayout)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int columns = y.Length;
        bool wPanels = wLayout == MatrixLayout.Panels && UsesPanels<T>(x.Length, columns);
        bool uPanels = uLayout == MatrixLayout.Panels && !h.IsEmpty && UsesPanels<T>(h.Length, columns);
        if (!wPanels && !uPanels)
        {
            Affine(x, w, h, u, bias, y);
            return;
        }

        // Each column from the bias through the rows of w, then those of u, as the row-major kernel sums it: each matrix
        // whole from its own layout, w first.
        StartPackedAffine(bias, y, x.Length, w.Length, h.Length, u.Length);
        ref T yRef = ref MemoryMarshal.GetReference(y);
        AddProduct<T, T, SameFormat<T>>(ref MemoryMarshal.GetReference(x), x.Length, ref MemoryMarshal.GetReference(w), wPanels, ref yRef, columns);
        AddProduct<T, T, SameFormat<T>>(ref MemoryMarshal.GetReference(h), h.Length, ref MemoryMarshal.GetReference(u), uPanels, ref yRef, columns);
    }

    /// <summary>
    /// <c>y += x · w</c> over every column of one matrix: packed, its panels (float or bfloat16, whichever
    /// <typeparamref name="TFormat"/> is) and then the columns past them, a row-major block; row-major, the row-major
    /// kernel. Each column sums its rows in order either way.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void AddProduct<T, TWeight, TFormat>(ref T x, int rows, ref TWeight w, bool panels, ref T y, int columns)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        where TWeight : unmanaged
        where TFormat : struct, IWeightFormat<T, TWeight>
    {
        if (rows == 0)
        {
            return;
        }

        if (!panels)
        {
            MultiplyAddCore<T, TWeight, TFormat>(ref x, rows, ref w, (nuint)columns, ref y, columns);
            return;
        }

        int panelColumns;
        if (typeof(TFormat) == typeof(BFloat16Format))
        {
            panelColumns = BFloat16PanelColumns(rows, columns);
            StreamBFloat16Panels(ref Unsafe.As<T, float>(ref x), rows, ref Unsafe.As<TWeight, ushort>(ref w), ref Unsafe.As<T, float>(ref y), panelColumns);
        }
        else
        {
            panelColumns = PanelColumns<T>(rows, columns);
            StreamPanels(ref x, rows, ref Unsafe.As<TWeight, T>(ref w), ref y, panelColumns);
        }

        // The columns past the panels follow them as a row-major [rows, columns − panelColumns] block.
        int tail = columns - panelColumns;
        if (tail > 0)
        {
            MultiplyAddCore<T, TWeight, TFormat>(ref x, rows, ref Unsafe.Add(ref w, (nuint)rows * (nuint)panelColumns), (nuint)tail, ref Unsafe.Add(ref y, (nuint)panelColumns), tail);
        }
    }

    /// <summary>
    /// <see cref="MultiplyAdd(ReadOnlySpan{float}, ReadOnlySpan{ushort}, int, Span{float})"/> for a bfloat16 matrix in the
    /// given layout (<see cref="PackBFloat16Panels"/>), summed in the same order, so with the same bits.
    /// </summary>
    /// <param name="x">The row vector, one element per matrix row.</param>
    /// <param name="w">The bfloat16 matrix: row-major with rows <paramref name="stride"/> apart, or a packed copy of a whole [x.Length, y.Length] matrix.</param>
    /// <param name="stride">The distance between two rows of a row-major <paramref name="w"/>; <c>y.Length</c> for a packed one.</param>
    /// <param name="y">The accumulators, one per column; must not overlap the inputs.</param>
    /// <param name="layout">How <paramref name="w"/> is laid out.</param>
    /// <exception cref="ArgumentException">The spans are too short for the shapes, or a packed matrix's stride is not its column count.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void MultiplyAdd(ReadOnlySpan<float> x, ReadOnlySpan<ushort> w, int stride, Span<float> y, MatrixLayout layout)
    {
        if (layout == MatrixLayout.Panels)
        {
            CheckPackedStride(stride, y.Length);

            int panelColumns = BFloat16PanelColumns(x.Length, y.Length);
            if (panelColumns > 0)
            {
                CheckPacked(w.Length, x.Length, y.Length, nameof(w));
                AddProduct<float, ushort, BFloat16Format>(ref MemoryMarshal.GetReference(x), x.Length, ref MemoryMarshal.GetReference(w), panels: true, ref MemoryMarshal.GetReference(y), y.Length);
                return;
            }
        }

        MultiplyAdd(x, w, stride, y);
    }

    /// <summary>
    /// <see cref="Affine(ReadOnlySpan{float}, ReadOnlySpan{ushort}, ReadOnlySpan{float}, ReadOnlySpan{ushort}, ReadOnlySpan{float}, Span{float})"/>
    /// with the bfloat16 <paramref name="w"/> and <paramref name="u"/> each in its own layout, summed in the same order,
    /// so with the same bits.
    /// </summary>
    /// <param name="x">The input row, one element per row of <paramref name="w"/>.</param>
    /// <param name="w">[x.Length, y.Length] as bfloat16 bits, in <paramref name="wLayout"/>.</param>
    /// <param name="h">The state row, one element per row of <paramref name="u"/>; empty for no recurrent product.</param>
    /// <param name="u">[h.Length, y.Length] as bfloat16 bits, in <paramref name="uLayout"/>; ignored when <paramref name="h"/> is empty.</param>
    /// <param name="bias">[y.Length], float.</param>
    /// <param name="y">Receives the sums; must not overlap the inputs.</param>
    /// <param name="wLayout">How <paramref name="w"/> is laid out.</param>
    /// <param name="uLayout">How <paramref name="u"/> is laid out.</param>
    /// <exception cref="ArgumentException">A span is too short for the shapes.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Affine(ReadOnlySpan<float> x, ReadOnlySpan<ushort> w, ReadOnlySpan<float> h, ReadOnlySpan<ushort> u, ReadOnlySpan<float> bias, Span<float> y, MatrixLayout wLayout, MatrixLayout uLayout)
    {
        int columns = y.Length;
        bool wPanels = wLayout == MatrixLayout.Panels && UsesBFloat16Panels(x.Length, columns);
        bool uPanels = uLayout == MatrixLayout.Panels && !h.IsEmpty && UsesBFloat16Panels(h.Length, columns);
        if (!wPanels && !uPanels)
        {
            Affine(x, w, h, u, bias, y);
            return;
        }

        // Each column from the bias through the rows of w, then those of u, as the row-major kernel sums it: each matrix
        // whole from its own layout, w first.
        StartPackedAffine(bias, y, x.Length, w.Length, h.Length, u.Length);
        ref float yRef = ref MemoryMarshal.GetReference(y);
        AddProduct<float, ushort, BFloat16Format>(ref MemoryMarshal.GetReference(x), x.Length, ref MemoryMarshal.GetReference(w), wPanels, ref yRef, columns);
        AddProduct<float, ushort, BFloat16Format>(ref MemoryMarshal.GetReference(h), h.Length, ref MemoryMarshal.GetReference(u), uPanels, ref yRef, columns);
    }

    /// <summary>The checks of an affine pair with a packed matrix, and the bias copied into y, where every column starts.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void StartPackedAffine<T>(ReadOnlySpan<T> bias, Span<T> y, int xRows, int wLength, int hRows, int uLength)
    {
        int columns = y.Length;
        if (bias.Length < columns)
        {
            throw new ArgumentException($"The bias needs {columns} elements; it has {bias.Length}.", nameof(bias));
        }

        CheckPacked(wLength, xRows, columns, "w");
        CheckPacked(uLength, hRows, columns, "u");
        bias.Slice(0, columns).CopyTo(y);
    }

    private static void CheckPackedStride(int stride, int columns)
    {
        if (stride != columns)
        {
            throw new ArgumentOutOfRangeException(nameof(stride), stride, $"A packed matrix covers whole rows: the stride must be the {columns} columns.");
        }
    }

    private static void CheckPacked(int length, int rows, int columns, string name)
    {
        if (length < (long)rows * columns)
        {
            throw new ArgumentException($"{name} needs [{rows}, {columns}] = {(long)rows * columns} elements; it has {length}.", name);
        }
    }

    /// <summary>The vector width, in elements, that panels are cut for: the widest accelerated one; 0 without vector hardware.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int PanelVector<T>()
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (VectorPaths.Use512 && Vector512<T>.IsSupported)
        {
            return Vector512<T>.Count;
        }

        if (Vector256.IsHardwareAccelerated && Vector256<T>.IsSupported)
        {
            return Vector256<T>.Count;
        }

        if (Vector128.IsHardwareAccelerated && Vector128<T>.IsSupported)
        {
            return Vector128<T>.Count;
        }

        return 0;
    }

    /// <summary><c>y += x · w</c> over a matrix in panels, at the width <see cref="PanelVector{T}"/> cut them for.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void StreamPanels<T>(ref T x, int rows, ref T w, ref T y, int columns)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (VectorPaths.Use512 && Vector512<T>.IsSupported)
        {
            StreamPanelsWidth<Simd512<T>, T>(ref x, rows, ref w, ref y, columns);
        }
        else if (Vector256.IsHardwareAccelerated && Vector256<T>.IsSupported)
        {
            StreamPanelsWidth<Simd256<T>, T>(ref x, rows, ref w, ref y, columns);
        }
        else
        {
            StreamPanelsWidth<Simd128<T>, T>(ref x, rows, ref w, ref y, columns);
        }
    }

    /// <summary>
    /// <see cref="StreamPanels{T}"/> at one width: per group of eight rows, eight broadcasts; per block, two vectors of y
    /// loaded, sixteen multiply-adds over the block's sixteen consecutive weight vectors, two stores (a last block of one
    /// vector when the columns are an odd number of vectors); the rows past the last group of eight one at a time.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void StreamPanelsWidth<TVector, T>(ref T x, int rows, ref T w, ref T y, int columns)
        where TVector : struct, ISimdVector<TVector, T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        nuint v = (nuint)TVector.Count;
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
            nuint j = 0;
            for (; j + 2 * v <= end; j += 2 * v, p += 16 * v)
            {
                TVector a = TVector.Load(ref y, j);
                TVector b = TVector.Load(ref y, j + v);
                a = TVector.MultiplyAdd(x0, TVector.Load(ref w, p), a);
                b = TVector.MultiplyAdd(x0, TVector.Load(ref w, p + v), b);
                a = TVector.MultiplyAdd(x1, TVector.Load(ref w, p + 2 * v), a);
                b = TVector.MultiplyAdd(x1, TVector.Load(ref w, p + 3 * v), b);
                a = TVector.MultiplyAdd(x2, TVector.Load(ref w, p + 4 * v), a);
                b = TVector.MultiplyAdd(x2, TVector.Load(ref w, p + 5 * v), b);
                a = TVector.MultiplyAdd(x3, TVector.Load(ref w, p + 6 * v), a);
                b = TVector.MultiplyAdd(x3, TVector.Load(ref w, p + 7 * v), b);
                a = TVector.MultiplyAdd(x4, TVector.Load(ref w, p + 8 * v), a);
                b = TVector.MultiplyAdd(x4, TVector.Load(ref w, p + 9 * v), b);
                a = TVector.MultiplyAdd(x5, TVector.Load(ref w, p + 10 * v), a);
                b = TVector.MultiplyAdd(x5, TVector.Load(ref w, p + 11 * v), b);
                a = TVector.MultiplyAdd(x6, TVector.Load(ref w, p + 12 * v), a);
                b = TVector.MultiplyAdd(x6, TVector.Load(ref w, p + 13 * v), b);
                a = TVector.MultiplyAdd(x7, TVector.Load(ref w, p + 14 * v), a);
                b = TVector.MultiplyAdd(x7, TVector.Load(ref w, p + 15 * v), b);
                TVector.Store(a, ref y, j);
                TVector.Store(b, ref y, j + v);
            }

            if (j < end)
            {
                TVector a = TVector.Load(ref y, j);
                a = TVector.MultiplyAdd(x0, TVector.Load(ref w, p), a);
                a = TVector.MultiplyAdd(x1, TVector.Load(ref w, p + v), a);
                a = TVector.MultiplyAdd(x2, TVector.Load(ref w, p + 2 * v), a);
                a = TVector.MultiplyAdd(x3, TVector.Load(ref w, p + 3 * v), a);
                a = TVector.MultiplyAdd(x4, TVector.Load(ref w, p + 4 * v), a);
                a = TVector.MultiplyAdd(x5, TVector.Load(ref w, p + 5 * v), a);
                a = TVector.MultiplyAdd(x6, TVector.Load(ref w, p + 6 * v), a);
                a = TVector.MultiplyAdd(x7, TVector.Load(ref w, p + 7 * v), a);
                TVector.Store(a, ref y, j);
                p += 8 * v;
            }
        }

        // The last group, fewer than eight rows: each block holds that many runs, the rows in order within each vector.
        nuint height = (nuint)(rows - i);
        for (nuint j = 0; height > 0 && j < end;)
        {
            nuint block = end - j >= 2 * v ? 2 * v : v;
            for (nuint q = 0; q < block; q += v)
            {
                TVector a = TVector.Load(ref y, j + q);
                for (nuint r = 0; r < height; r++)
                {
                    a = TVector.MultiplyAdd(TVector.Create(Unsafe.Add(ref x, (nuint)i + r)), TVector.Load(ref w, p + r * block + q), a);
                }

                TVector.Store(a, ref y, j + q);
            }

            p += height * block;
            j += block;
        }
    }
}
