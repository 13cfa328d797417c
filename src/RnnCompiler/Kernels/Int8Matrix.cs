using System;
using System.ComponentModel;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace RnnCompiler.Kernels;

/// <summary>
/// A float matrix quantized to int8 for <c>WeightPrecision.Int8</c>: symmetric, one scale per output column
/// (<c>w[i, j] ≈ q[i, j] · scale[j]</c>, <c>q</c> in [-127, 127]), held in one block of bytes laid out for the int8 dot
/// product instructions.
/// </summary>
/// <remarks>
/// <para>
/// <b>Quantization.</b> Column <c>j</c>'s scale is its largest magnitude over 127 (0 for a column of zeros), and
/// <c>q[i, j] = round(w[i, j] / scale[j])</c>, to nearest, ties to even: each weight keeps an error of at most half a
/// scale step, 1/254 of its column's largest magnitude.
/// </para>
/// <para>
/// <b>Layout</b> of a [rows, columns] matrix, with the columns padded to a multiple of 8 (<c>padded</c>) and the rows
/// to a multiple of 4 (<c>quads</c> groups of four): the scales, <c>float[padded]</c>; then 128 times each column's sum
/// of <c>q</c>, <c>int[padded]</c> (what the unsigned-times-signed dot product adds when the inputs are offset by 128);
/// then the weights. Their unit is a 32-byte cell: one block of 8 columns over one group of 4 rows, the 4 rows of each
/// column next to each other, which is the operand of one 256-bit VNNI <c>vpdpbusd</c> or two NEON <c>sdot</c>. The
/// blocks go in runs of 12 (then runs of 4, then single blocks for the rest), each run stored row group by row group
/// (<c>[quads][run][32 bytes]</c>), so that the kernel, which sums a run of blocks at once, reads the whole matrix in
/// address order. Padding holds zeros. The header's size is a multiple of 64 bytes, so a matrix that starts on a cache
/// line has its weights on one too.
/// </para>
/// <para>Created and read by generated code; not meant to be used directly.</para>
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class Int8Matrix
{
    /// <summary>The number of bytes a quantized [<paramref name="rows"/>, <paramref name="columns"/>] matrix takes.</summary>
    /// <param name="rows">The rows; not negative.</param>
    /// <param name="columns">The columns; not negative.</param>
    /// <returns>The size in bytes, a multiple of 64.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A dimension is negative, or the size passes 2 GB.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static int Size(int rows, int columns)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegative(columns);
        long padded = PaddedColumns(columns);
        long size = (8 * padded) + (padded * 4 * Quads(rows));
        if (size > int.MaxValue - 64)
        {
            throw new ArgumentOutOfRangeException(nameof(rows), rows, $"A quantized [{rows}, {columns}] matrix would take {size} bytes, more than one span holds.");
        }

        return (int)((size + 63) / 64 * 64);
    }

    /// <summary>
    /// Quantizes a row-major float [<paramref name="rows"/>, <paramref name="columns"/>] block of a matrix whose rows are
    /// <paramref name="stride"/> apart into <paramref name="destination"/> (see the remarks of <see cref="Int8Matrix"/>).
    /// </summary>
    /// <param name="source">The float matrix, starting at the block's first element, e.g. a kernel in <c>Parameters</c>.</param>
    /// <param name="rows">The rows of the block.</param>
    /// <param name="columns">The columns of the block.</param>
    /// <param name="stride">The distance between two rows of <paramref name="source"/>; at least <paramref name="columns"/>.</param>
    /// <param name="destination">Receives the quantized matrix; at least <see cref="Size"/> bytes.</param>
    /// <exception cref="ArgumentException">A span is too short for the shapes, or the stride is less than the columns.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Quantize(ReadOnlySpan<float> source, int rows, int columns, int stride, Span<byte> destination)
    {
        int size = Size(rows, columns);
        if (stride < columns)
        {
            throw new ArgumentOutOfRangeException(nameof(stride), stride, $"The row stride must be at least the {columns} columns.");
        }

        if (rows > 0 && columns > 0 && source.Length < ((long)rows - 1) * stride + columns)
        {
            throw new ArgumentException($"The matrix needs at least {((long)rows - 1) * stride + columns} elements for {rows} rows of stride {stride}; it has {source.Length}.", nameof(source));
        }

        if (destination.Length < size)
        {
            throw new ArgumentException($"A quantized [{rows}, {columns}] matrix takes {size} bytes; the destination holds {destination.Length}.", nameof(destination));
        }

        Span<byte> block = destination.Slice(0, size);
        block.Clear();
        int padded = PaddedColumns(columns);
        int quads = Quads(rows);
        Span<float> scales = MemoryMarshal.Cast<byte, float>(block.Slice(0, 4 * padded));
        Span<int> offsets = MemoryMarshal.Cast<byte, int>(block.Slice(4 * padded, 4 * padded));
        Span<sbyte> weights = MemoryMarshal.Cast<byte, sbyte>(block.Slice(8 * padded));
        for (int j = 0; j < columns; j++)
        {
            float largest = 0f;
            for (int i = 0; i < rows; i++)
            {
                largest = MathF.Max(largest, MathF.Abs(source[(i * stride) + j]));
            }

            // A non-finite column has no scale: every product through it is NaN, as a float weight's would be.
            float scale = float.IsFinite(largest) ? largest / 127f : float.NaN;
            scales[j] = scale;
            int sum = 0;
            for (int i = 0; i < rows; i++)
            {
                int q = scale > 0f ? (int)Math.Clamp(MathF.Round(source[(i * stride) + j] / scale), -127f, 127f) : 0;
                weights[WeightIndex(quads, padded / 8, i, j)] = (sbyte)q;
                sum += q;
            }

            offsets[j] = 128 * sum;
        }
    }

    /// <summary>The float that the quantized weight [<paramref name="row"/>, <paramref name="column"/>] stands for: <c>q · scale</c>.</summary>
    /// <param name="matrix">A matrix quantized by <see cref="Quantize"/>.</param>
    /// <param name="rows">Its rows.</param>
    /// <param name="columns">Its columns.</param>
    /// <param name="row">The row.</param>
    /// <param name="column">The column.</param>
    /// <returns>The weight as the int8 products use it.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The row or column is outside the matrix.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float Weight(ReadOnlySpan<byte> matrix, int rows, int columns, int row, int column)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(row);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(row, rows);
        ArgumentOutOfRangeException.ThrowIfNegative(column);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(column, columns);
        return Quantized(matrix, rows, columns, row, column) * Scale(matrix, columns, column);
    }

    /// <summary>The int8 value <c>q</c> of the weight [<paramref name="row"/>, <paramref name="column"/>].</summary>
    /// <param name="matrix">A matrix quantized by <see cref="Quantize"/>.</param>
    /// <param name="rows">Its rows.</param>
    /// <param name="columns">Its columns.</param>
    /// <param name="row">The row.</param>
    /// <param name="column">The column.</param>
    /// <returns>q, in [-127, 127].</returns>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static sbyte Quantized(ReadOnlySpan<byte> matrix, int rows, int columns, int row, int column) =>
        (sbyte)matrix[(8 * PaddedColumns(columns)) + WeightIndex(Quads(rows), PaddedColumns(columns) / 8, row, column)];

    /// <summary>The scale of column <paramref name="column"/>.</summary>
    /// <param name="matrix">A matrix quantized by <see cref="Quantize"/>.</param>
    /// <param name="columns">Its columns.</param>
    /// <param name="column">The column.</param>
    /// <returns>The column's largest magnitude over 127.</returns>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float Scale(ReadOnlySpan<byte> matrix, int columns, int column) =>
        MemoryMarshal.Cast<byte, float>(matrix.Slice(0, 4 * PaddedColumns(columns)))[column];

    /// <summary>The columns rounded up to whole blocks of 8.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static int PaddedColumns(int columns) => (columns + 7) / 8 * 8;

    /// <summary>The groups of four rows.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static int Quads(int rows) => (rows + 3) / 4;

    /// <summary>Where weight [i, j] of a matrix with <paramref name="blocks"/> blocks of 8 columns sits among the weights.</summary>
    private static int WeightIndex(int quads, int blocks, int i, int j)
    {
        int start = RunStart(quads, blocks, j / 8, out int run);
        return start + ((i / 4) * run * 32) + ((j % 8) * 4) + (i % 4);
    }

    /// <summary>
    /// Where block <paramref name="block"/>'s cell of the first group of rows sits among the weights, and the length
    /// of its run (12, 4 or 1 blocks): its cell of row group <c>k</c> is <c>32 · run · k</c> bytes further.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static int RunStart(int quads, int blocks, int block, out int run)
    {
        int twelves = blocks / 12 * 12;
        if (block < twelves)
        {
            run = 12;
            return ((block / 12 * 12 * quads) + (block % 12)) * 32;
        }

        int rest = block - twelves;
        int fours = (blocks - twelves) / 4 * 4;
        if (rest < fours)
        {
            run = 4;
            return (((twelves + (rest / 4 * 4)) * quads) + (rest % 4)) * 32;
        }

        run = 1;
        return (twelves + fours + (rest - fours)) * quads * 32;
    }
}
