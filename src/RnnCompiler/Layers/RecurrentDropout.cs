using System;
using System.Numerics;
using RnnCompiler.Kernels;
using System.Runtime.CompilerServices;

namespace RnnCompiler.Layers;

/// <summary>
/// Keras's <c>recurrent_dropout</c> in the lock-step passes (its <c>implementation=1</c>): a mask per gate and per
/// sequence on the state a step reads, <c>(h[t-1] ⊙ r_g)·U_g</c>, and, with <c>dropout</c> too, a mask per gate on the
/// input, <c>(x ⊙ m_g)·K_g</c>. The masks hold for every step of a sequence, so a sequence's input side is its inputs
/// times a kernel whose rows are scaled block by block (<see cref="EffectiveKernel{T}"/>), and its weight gradients are
/// the unmasked sums with their rows scaled the same way (<see cref="AddScaledBlocks{T}"/>). The state side runs as one
/// product per gate over the masked states of the sequences still running. Masks are laid out [gates, sequences, size].
/// </summary>
internal static class RecurrentDropout
{
    /// <summary>The working space a pass with recurrent dropout needs: masked rows, a sequence's kernel, a gradient block.</summary>
    public static int ScratchSize(int sequences, int inputSize, int units, int width) =>
        (sequences * units) + (inputSize * width) + (Math.Max(inputSize, units) * width);

    /// <summary>Checks the masks' and the scratch's sizes.</summary>
    public static void Check(int gates, int sequences, int inputSize, int units, int width, int recurrentMasks, int inputMasks, int scratch)
    {
        if (recurrentMasks < gates * sequences * units || (inputMasks != 0 && inputMasks < gates * sequences * inputSize)
            || scratch < ScratchSize(sequences, inputSize, units, width))
        {
            throw new ArgumentException($"Recurrent dropout needs masks [{gates}, {sequences}, {units}] (and [{gates}, {sequences}, {inputSize}] or none on the input) and a scratch of {ScratchSize(sequences, inputSize, units, width)}.", nameof(scratch));
        }
    }

    /// <summary>Gate <paramref name="gate"/>'s mask of sequence <paramref name="sequence"/>.</summary>
    public static ReadOnlySpan<T> Mask<T>(ReadOnlySpan<T> masks, int gate, int sequences, int sequence, int size) =>
        masks.Slice(((gate * sequences) + sequence) * size, size);

    /// <summary><c>output[i] = rows[i] ⊙ mask_g[i]</c> for the first <paramref name="active"/> sequences.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void MaskRows<T>(ReadOnlySpan<T> rows, int stride, int active, ReadOnlySpan<T> masks, int gate, int sequences, int units, Span<T> output)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        for (int i = 0; i < active; i++)
        {
            ReadOnlySpan<T> row = rows.Slice(i * stride, units);
            ReadOnlySpan<T> mask = Mask(masks, gate, sequences, i, units);
            Span<T> target = output.Slice(i * units, units);
            for (int j = 0; j < units; j++)
            {
                target[j] = row[j] * mask[j];
            }
        }
    }

    /// <summary><c>target[i] += rows[i] ⊙ mask_g[i]</c> for the first <paramref name="active"/> sequences (rows <paramref name="units"/> apart).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void AddMaskedRows<T>(ReadOnlySpan<T> rows, int active, ReadOnlySpan<T> masks, int gate, int sequences, int units, Span<T> target)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        for (int i = 0; i < active; i++)
        {
            ReadOnlySpan<T> row = rows.Slice(i * units, units);
            ReadOnlySpan<T> mask = Mask(masks, gate, sequences, i, units);
            Span<T> sum = target.Slice(i * units, units);
            for (int j = 0; j < units; j++)
            {
                sum[j] += row[j] * mask[j];
            }
        }
    }

    /// <summary>
    /// Sequence <paramref name="sequence"/>'s input kernel under its input masks: row <c>i</c> of gate block <c>g</c> is
    /// <c>kernel[i, g] · m_g[i]</c>, so that <c>x·K̃</c> is <c>(x ⊙ m_g)·K_g</c> in every block.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void EffectiveKernel<T>(ReadOnlySpan<T> kernel, int inputSize, int units, int gates, ReadOnlySpan<T> masks, int sequences, int sequence, Span<T> output)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int width = gates * units;
        for (int g = 0; g < gates; g++)
        {
            ReadOnlySpan<T> mask = Mask(masks, g, sequences, sequence, inputSize);
            for (int i = 0; i < inputSize; i++)
            {
                ReadOnlySpan<T> from = kernel.Slice((i * width) + (g * units), units);
                Span<T> to = output.Slice((i * width) + (g * units), units);
                T scale = mask[i];
                for (int j = 0; j < units; j++)
                {
                    to[j] = from[j] * scale;
                }
            }
        }
    }

    /// <summary>
    /// <c>gradients[i, block g] += m_g[i] · unmasked[i, block g]</c> for every gate block but <paramref name="unscaledBlock"/>
    /// (added as it is; -1 for none): a sum over steps of masked rows, <c>Σ (v ⊙ m)ᵀ·δ = diag(m)·Σ vᵀ·δ</c>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void AddScaledBlocks<T>(ReadOnlySpan<T> unmasked, int rows, int units, int gates, ReadOnlySpan<T> masks, int sequences, int sequence, Span<T> gradients, int unscaledBlock = -1)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int width = gates * units;
        for (int g = 0; g < gates; g++)
        {
            ReadOnlySpan<T> mask = Mask(masks, g, sequences, sequence, rows);
            for (int i = 0; i < rows; i++)
            {
                ReadOnlySpan<T> from = unmasked.Slice((i * width) + (g * units), units);
                Span<T> to = gradients.Slice((i * width) + (g * units), units);
                T scale = g == unscaledBlock ? T.One : mask[i];
                for (int j = 0; j < units; j++)
                {
                    to[j] += from[j] * scale;
                }
            }
        }
    }

    /// <summary>
    /// The input projection <c>x·K̃ + bias</c> of each sequence's real steps with its own masked kernel
    /// (<see cref="EffectiveKernel{T}"/>), into the rows of its direction (see <see cref="BatchLengths"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Project<T>(
        ReadOnlySpan<T> inputs, int sequences, int steps, int inputSize, ReadOnlySpan<T> kernel, ReadOnlySpan<T> bias, int units, int gates,
        ReadOnlySpan<int> lengths, bool reverse, ReadOnlySpan<T> inputMasks, Span<T> kernelScratch, Span<T> sums)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int width = gates * units;
        for (int s = 0; s < sequences; s++)
        {
            int length = lengths.IsEmpty ? steps : lengths[s];
            int start = lengths.IsEmpty ? s * steps : BatchLengths.Start(lengths, s, steps, reverse);
            EffectiveKernel(kernel, inputSize, units, gates, inputMasks, sequences, s, kernelScratch);
            MatrixKernels.Project(inputs.Slice(s * steps * inputSize, length * inputSize), length, inputSize, kernelScratch.Slice(0, inputSize * width), bias, sums.Slice(start * width, length * width));
        }
    }

    /// <summary>
    /// One gate block of a step's recurrent product: <c>target[i] += (previous[i] ⊙ r_g[i])·U_g</c> for the first
    /// <paramref name="active"/> sequences, one product over their masked states.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void AddMaskedProduct<T>(
        ReadOnlySpan<T> previous, int previousStride, int active, ReadOnlySpan<T> kernelBlock, int width, int units, int columns,
        ReadOnlySpan<T> masks, int gate, int sequences, Span<T> scratch, Span<T> target, int targetStride)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        Span<T> masked = scratch.Slice(0, active * units);
        MaskRows(previous, previousStride, active, masks, gate, sequences, units, masked);
        MatrixKernels.AddProduct<T>(masked, units, kernelBlock, width, units, active, columns, target, targetStride);
    }

    /// <summary>
    /// One gate block's share of dL/dh[t-1]: <c>nextHidden[i] += r_g[i] ⊙ (δ_g[i]·U_gᵀ)</c> for the first
    /// <paramref name="active"/> sequences.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void AddMaskedTransposedProduct<T>(
        ReadOnlySpan<T> deltaBlock, int deltaStride, int active, ReadOnlySpan<T> kernelBlock, int width, int units,
        ReadOnlySpan<T> masks, int gate, int sequences, Span<T> scratch, Span<T> nextHidden)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        Span<T> product = scratch.Slice(0, active * units);
        product.Clear();
        MatrixKernels.AddProductTransposed<T>(deltaBlock, deltaStride, kernelBlock, width, units, active, units, product, units);
        AddMaskedRows<T>(product, active, masks, gate, sequences, units, nextHidden);
    }

    /// <summary>The scratch's first part: a row per sequence (masked states, products).</summary>
    public static Span<T> RowsPart<T>(Span<T> scratch, int sequences, int units) => scratch.Slice(0, sequences * units);

    /// <summary>The scratch's second part: one sequence's masked input kernel.</summary>
    public static Span<T> KernelPart<T>(Span<T> scratch, int sequences, int inputSize, int units, int width) => scratch.Slice(sequences * units, inputSize * width);

    /// <summary>The scratch's third part: one gradient block before its rows are scaled.</summary>
    public static Span<T> GradientsPart<T>(Span<T> scratch, int sequences, int inputSize, int units, int width) =>
        scratch.Slice((sequences * units) + (inputSize * width), Math.Max(inputSize, units) * width);
}
