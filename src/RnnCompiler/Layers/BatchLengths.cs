using System;
using System.Numerics;
using RnnCompiler.Kernels;
using System.Runtime.CompilerServices;

namespace RnnCompiler.Layers;

/// <summary>
/// The layout of a lock-step batch whose sequences have different lengths, as the recurrent layers' <c>ForwardBatch</c>
/// and <c>BackwardBatch</c> take it (PyTorch's packed sequences, in place): the sequences come longest first, each
/// occupies a block of <c>steps</c> rows, and its <c>length</c> real steps sit at the start of its block for the forward
/// direction and at the end for the reverse direction. At iteration <c>k</c> of either direction every running sequence
/// is then at the same row of its block, and the running sequences are the first ones: each step stays one matrix product
/// with one row per running sequence. The inputs and input gradients are always at the start of each block.
/// </summary>
internal static class BatchLengths
{
    /// <summary>Checks that <paramref name="lengths"/> holds a length in [1, <paramref name="steps"/>] per sequence, longest first.</summary>
    public static void Check(ReadOnlySpan<int> lengths, int sequences, int steps)
    {
        if (lengths.Length < sequences)
        {
            throw new ArgumentException($"The batch has {sequences} sequences but {lengths.Length} lengths.", nameof(lengths));
        }

        for (int s = 0; s < sequences; s++)
        {
            if (lengths[s] < 1 || lengths[s] > steps || (s > 0 && lengths[s] > lengths[s - 1]))
            {
                throw new ArgumentException($"Each length must be 1 to {steps}, longest first; lengths[{s}] is {lengths[s]}.", nameof(lengths));
            }
        }
    }

    /// <summary>The sequences still running at iteration <paramref name="k"/>: those longer than <paramref name="k"/>, the first ones.</summary>
    public static int Active(ReadOnlySpan<int> lengths, int sequences, int k)
    {
        int active = sequences;
        while (active > 0 && lengths[active - 1] <= k)
        {
            active--;
        }

        return active;
    }

    /// <summary>The first row of sequence <paramref name="sequence"/>'s real steps in a per-step buffer of its direction.</summary>
    public static int Start(ReadOnlySpan<int> lengths, int sequence, int steps, bool reverse) =>
        sequence * steps + (reverse ? steps - lengths[sequence] : 0);

    /// <summary>The input projection <c>x·kernel + bias</c> of each sequence's real steps, into the rows of its direction.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Project<T>(
        ReadOnlySpan<T> inputs, int sequences, int steps, int inputSize, ReadOnlySpan<T> kernel, ReadOnlySpan<T> bias, int width,
        ReadOnlySpan<int> lengths, bool reverse, Span<T> sums)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        for (int s = 0; s < sequences; s++)
        {
            int length = lengths[s];
            int start = Start(lengths, s, steps, reverse);
            MatrixKernels.Project(inputs.Slice(s * steps * inputSize, length * inputSize), length, inputSize, kernel, bias, sums.Slice(start * width, length * width));
        }
    }

    /// <summary>Zeroes the rows of each block outside its real steps, so that a layer reading them reads zeros rather than an older batch.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ClearPadding<T>(Span<T> rows, int width, ReadOnlySpan<int> lengths, int sequences, int steps, bool reverse)
        where T : unmanaged
    {
        for (int s = 0; s < sequences; s++)
        {
            int padding = steps - lengths[s];
            if (padding > 0)
            {
                int at = reverse ? s * steps : s * steps + lengths[s];
                rows.Slice(at * width, padding * width).Clear();
            }
        }
    }
}
