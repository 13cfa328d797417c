using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace RnnCompiler.Kernels;

// The matrix products with bfloat16 weights (WeightPrecision.BFloat16): the float kernels themselves, run over
// BFloat16Format (IWeightFormat), so the same blocking and summation order; each weight vector is loaded at half the
// bytes and widened to floats in registers; x, y and the
// arithmetic stay float.
public static partial class MatrixKernels
{
    /// <summary>
    /// <c>y[j] += Σ_i x[i] · w[i · stride + j]</c> for every <c>j &lt; y.Length</c>, with <paramref name="w"/> in bfloat16
    /// (<see cref="BFloat16"/>): the float <see cref="MultiplyAdd{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, int, Span{T})"/> on the widened weights, summed in the same order.
    /// </summary>
    /// <param name="x">The row vector, one element per matrix row.</param>
    /// <param name="w">The matrix as bfloat16 bits, starting at the first column of the block.</param>
    /// <param name="stride">The distance between two rows of <paramref name="w"/>; at least <c>y.Length</c>.</param>
    /// <param name="y">The accumulators, one per column of the block; must not overlap the inputs.</param>
    /// <exception cref="ArgumentException">The spans are too short for the shapes.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void MultiplyAdd(ReadOnlySpan<float> x, ReadOnlySpan<ushort> w, int stride, Span<float> y)
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

        if (columns == 1 && stride == 1)
        {
            y[0] += DotCore<float, ushort, BFloat16Format>(ref MemoryMarshal.GetReference(x), ref MemoryMarshal.GetReference(w), rows);
            return;
        }

        MultiplyAddCore<float, ushort, BFloat16Format>(ref MemoryMarshal.GetReference(x), rows, ref MemoryMarshal.GetReference(w), (nuint)stride, ref MemoryMarshal.GetReference(y), columns);
    }

    /// <summary>
    /// For every step <c>t &lt; steps</c>: <c>y[t] = bias + x[t] · w</c> with <paramref name="w"/> [inputs, outputs] in
    /// bfloat16: the float <see cref="Project{T}"/> on the widened weights, four steps per weight load, same order.
    /// </summary>
    /// <param name="x">The inputs, [steps, inputs].</param>
    /// <param name="steps">The number of rows of <paramref name="x"/> and <paramref name="y"/> to use.</param>
    /// <param name="inputs">The width of a row of <paramref name="x"/>.</param>
    /// <param name="w">The weights as bfloat16 bits, [inputs, outputs].</param>
    /// <param name="bias">The bias, [outputs], in float.</param>
    /// <param name="y">The outputs, [steps, outputs].</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Project(ReadOnlySpan<float> x, int steps, int inputs, ReadOnlySpan<ushort> w, ReadOnlySpan<float> bias, Span<float> y)
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

        ProjectCore<float, ushort, BFloat16Format>(x, steps, inputs, ref MemoryMarshal.GetReference(w), bias, y);
    }

    /// <summary>
    /// <c>y = bias + x · w + h · u</c> in one pass with <paramref name="w"/> and <paramref name="u"/> in bfloat16: the float
    /// <see cref="Affine{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, ReadOnlySpan{T}, ReadOnlySpan{T}, ReadOnlySpan{T}, Span{T})"/> (a streaming step's products and bias, accumulators in registers to one store) on the
    /// widened weights, summed in the same order, so a step gives what the same step gives inside a bfloat16 sequence.
    /// </summary>
    /// <param name="x">The input row, one element per row of <paramref name="w"/>.</param>
    /// <param name="w">[x.Length, y.Length] as bfloat16 bits, row-major.</param>
    /// <param name="h">The state row, one element per row of <paramref name="u"/>; empty for no recurrent product.</param>
    /// <param name="u">[h.Length, y.Length] as bfloat16 bits, row-major; ignored when <paramref name="h"/> is empty.</param>
    /// <param name="bias">[y.Length], float.</param>
    /// <param name="y">Receives the sums; must not overlap the inputs.</param>
    /// <exception cref="ArgumentException">A span is too short for the shapes.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Affine(ReadOnlySpan<float> x, ReadOnlySpan<ushort> w, ReadOnlySpan<float> h, ReadOnlySpan<ushort> u, ReadOnlySpan<float> bias, Span<float> y)
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

        AffineCore<float, ushort, BFloat16Format>(x, ref MemoryMarshal.GetReference(w), h, ref MemoryMarshal.GetReference(u), bias, y);
    }
}
