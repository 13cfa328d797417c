using System;
using System.ComponentModel;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace RnnCompiler.Layers;

/// <summary>
/// What an encoder-decoder model's decoder needs beyond the other layers: its inputs while training (teacher forcing)
/// and the token greedy decoding feeds back. Nothing here allocates.
/// </summary>
/// <remarks>Called by generated code; not meant to be called directly.</remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class DecoderLayer
{
    /// <summary>
    /// Teacher forcing: each sequence's decoder reads <paramref name="startToken"/> at step 0 and target token t - 1 at
    /// step t, so step t learns to write target token t from the true tokens before it.
    /// </summary>
    /// <param name="targets">[sequences, steps] target tokens.</param>
    /// <param name="sequences">The sequences.</param>
    /// <param name="steps">The decoder's steps.</param>
    /// <param name="startToken">The token of step 0.</param>
    /// <param name="inputs">Receives [sequences, steps] decoder input tokens.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void TeacherForcing(ReadOnlySpan<int> targets, int sequences, int steps, int startToken, Span<int> inputs)
    {
        for (int s = 0; s < sequences; s++)
        {
            Span<int> row = inputs.Slice(s * steps, steps);
            row[0] = startToken;
            targets.Slice(s * steps, steps - 1).CopyTo(row.Slice(1));
        }
    }

    /// <summary>
    /// The steps of one target that count in the loss when the steps after its end token are masked: up to and including
    /// its first <paramref name="endToken"/>, or all of them when it has none.
    /// </summary>
    /// <param name="target">One sequence's target tokens.</param>
    /// <param name="endToken">The token that ends a target.</param>
    /// <returns>The counted steps, at least 1 for a target of at least one step.</returns>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static int CountedSteps(ReadOnlySpan<int> target, int endToken)
    {
        int end = target.IndexOf(endToken);
        return end < 0 ? target.Length : end + 1;
    }

    /// <summary>The sum of <see cref="CountedSteps(ReadOnlySpan{int}, int)"/> over a batch's targets.</summary>
    /// <param name="targets">[sequences, steps] target tokens.</param>
    /// <param name="sequences">The sequences.</param>
    /// <param name="steps">The decoder's steps.</param>
    /// <param name="endToken">The token that ends a target.</param>
    /// <returns>The steps the batch's loss is the mean of.</returns>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static int CountedSteps(ReadOnlySpan<int> targets, int sequences, int steps, int endToken)
    {
        int total = 0;
        for (int s = 0; s < sequences; s++)
        {
            total += CountedSteps(targets.Slice(s * steps, steps), endToken);
        }

        return total;
    }

    /// <summary>Copies a step's outputs as float, as <see cref="Decoding.BeamSearch"/> reads them.</summary>
    /// <typeparam name="T">The model's float type.</typeparam>
    /// <param name="values">The outputs.</param>
    /// <param name="singles">Receives them as float.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ToSingle<T>(ReadOnlySpan<T> values, Span<float> singles)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        for (int i = 0; i < values.Length; i++)
        {
            singles[i] = float.CreateTruncating(values[i]);
        }
    }

    /// <summary>The index of the largest value, the first of equal ones: the token greedy decoding picks.</summary>
    /// <typeparam name="T">The model's float type.</typeparam>
    /// <param name="probabilities">One step's outputs.</param>
    /// <returns>The token.</returns>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static int ArgMax<T>(ReadOnlySpan<T> probabilities)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int best = 0;
        for (int i = 1; i < probabilities.Length; i++)
        {
            if (probabilities[i] > probabilities[best])
            {
                best = i;
            }
        }

        return best;
    }
}
