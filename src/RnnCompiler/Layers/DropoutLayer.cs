using System;
using System.ComponentModel;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace RnnCompiler.Layers;

/// <summary>
/// Keras's dropout while training (inverted dropout): each value is kept with probability <c>1 - rate</c> and scaled by
/// <c>1 / (1 - rate)</c>, or set to zero. The masks come from a counter-based generator: element <c>i</c> of a mask
/// depends only on the layer's site, the update step and <c>i</c>, so a run is the same bit for bit on every machine,
/// with any <c>Parallelism</c>, and a checkpoint resumes it exactly. Nothing here allocates.
/// </summary>
/// <remarks>Called by generated code; not meant to be called directly.</remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class DropoutLayer
{
    /// <summary>
    /// Draws a mask: each element 0 with probability <paramref name="rate"/>, else <c>1 / (1 - rate)</c>. Element
    /// <c>i</c> of <paramref name="mask"/> is the generator's draw for (<paramref name="site"/>, <paramref name="step"/>,
    /// <paramref name="first"/> + i).
    /// </summary>
    /// <typeparam name="T">The model's float type.</typeparam>
    /// <param name="mask">Receives the mask.</param>
    /// <param name="rate">The fraction dropped, in [0, 1).</param>
    /// <param name="site">Which dropout of the model this is (a layer, a direction).</param>
    /// <param name="step">The update step (the model's <c>UpdateCount</c>): a new mask every update.</param>
    /// <param name="first">The index of the mask's first element among all the batch's (a share of it starts later).</param>
    /// <param name="seed">The model's <c>DropoutSeed</c>: another seed draws other masks.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="rate"/> is outside [0, 1).</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Draw<T>(Span<T> mask, double rate, int site, long step, long first, int seed = 0)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (!(rate >= 0 && rate < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(rate), rate, "A dropout rate is in [0, 1).");
        }

        T kept = T.CreateTruncating(1 / (1 - rate));
        ulong stream = Mix(((ulong)(uint)site << 32) ^ (ulong)step ^ 0x5DEECE66DUL ^ Mix((ulong)(uint)seed));
        for (int i = 0; i < mask.Length; i++)
        {
            ulong bits = Mix(stream + (ulong)(first + i) * 0x9E3779B97F4A7C15UL);
            double uniform = (bits >> 11) * (1.0 / (1UL << 53));
            mask[i] = uniform >= rate ? kept : T.Zero;
        }
    }

    /// <summary><c>outputs[i] = inputs[i] · mask[i]</c> for the first <paramref name="count"/> elements.</summary>
    /// <typeparam name="T">The model's float type.</typeparam>
    /// <param name="inputs">The layer's inputs.</param>
    /// <param name="mask">The mask from <see cref="Draw{T}"/>.</param>
    /// <param name="count">The elements.</param>
    /// <param name="outputs">Receives the outputs.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Forward<T>(ReadOnlySpan<T> inputs, ReadOnlySpan<T> mask, int count, Span<T> outputs)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        ReadOnlySpan<T> x = inputs.Slice(0, count), m = mask.Slice(0, count);
        Span<T> y = outputs.Slice(0, count);
        for (int i = 0; i < count; i++)
        {
            y[i] = x[i] * m[i];
        }
    }

    /// <summary><c>inputGradients[i] = outputGradients[i] · mask[i]</c>: the dropout's backward pass.</summary>
    /// <typeparam name="T">The model's float type.</typeparam>
    /// <param name="outputGradients">dLoss/d(outputs).</param>
    /// <param name="mask">The forward pass's mask.</param>
    /// <param name="count">The elements.</param>
    /// <param name="inputGradients">Receives dLoss/d(inputs).</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Backward<T>(ReadOnlySpan<T> outputGradients, ReadOnlySpan<T> mask, int count, Span<T> inputGradients)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        => Forward(outputGradients, mask, count, inputGradients);

    /// <summary>
    /// A recurrent layer's input dropout (Keras's <c>dropout</c> on SimpleRNN, LSTM and GRU): one mask per sequence,
    /// the same at every step, <c>outputs[s, t, j] = inputs[s, t, j] · mask[s, j]</c>.
    /// </summary>
    /// <typeparam name="T">The model's float type.</typeparam>
    /// <param name="inputs">[sequences, steps, width].</param>
    /// <param name="mask">[sequences, width].</param>
    /// <param name="sequences">The sequences.</param>
    /// <param name="steps">The steps of each.</param>
    /// <param name="width">The values per step.</param>
    /// <param name="outputs">Receives [sequences, steps, width].</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ForwardPerSequence<T>(ReadOnlySpan<T> inputs, ReadOnlySpan<T> mask, int sequences, int steps, int width, Span<T> outputs)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        for (int s = 0; s < sequences; s++)
        {
            ReadOnlySpan<T> m = mask.Slice(s * width, width);
            for (int t = 0; t < steps; t++)
            {
                int row = (s * steps + t) * width;
                Forward(inputs.Slice(row, width), m, width, outputs.Slice(row, width));
            }
        }
    }

    /// <summary>The backward pass of <see cref="ForwardPerSequence{T}"/>, added: <c>inputGradients[s, t, j] += gradients[s, t, j] · mask[s, j]</c>.</summary>
    /// <typeparam name="T">The model's float type.</typeparam>
    /// <param name="gradients">dLoss/d(the dropped inputs), [sequences, steps, width].</param>
    /// <param name="mask">[sequences, width].</param>
    /// <param name="sequences">The sequences.</param>
    /// <param name="steps">The steps of each.</param>
    /// <param name="width">The values per step.</param>
    /// <param name="inputGradients">dLoss/d(inputs), added to.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void AddBackwardPerSequence<T>(ReadOnlySpan<T> gradients, ReadOnlySpan<T> mask, int sequences, int steps, int width, Span<T> inputGradients)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        for (int s = 0; s < sequences; s++)
        {
            ReadOnlySpan<T> m = mask.Slice(s * width, width);
            for (int t = 0; t < steps; t++)
            {
                int row = (s * steps + t) * width;
                ReadOnlySpan<T> g = gradients.Slice(row, width);
                Span<T> dx = inputGradients.Slice(row, width);
                for (int j = 0; j < width; j++)
                {
                    dx[j] += g[j] * m[j];
                }
            }
        }
    }

    /// <summary>SplitMix64's finalizer: a bijection of 64 bits that mixes every input bit into every output bit.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
