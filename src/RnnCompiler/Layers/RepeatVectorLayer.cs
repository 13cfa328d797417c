using System;
using System.ComponentModel;
using System.Numerics;
using System.Runtime.CompilerServices;
using RnnCompiler.Kernels;

namespace RnnCompiler.Layers;

/// <summary>
/// Keras's <c>RepeatVector(n)</c>: each sequence's one vector (an encoder's last output) repeated as the input of each
/// of <c>n</c> steps, and its backward pass, the sum of the steps' gradients. Nothing here allocates.
/// </summary>
/// <remarks>Called by generated code; not meant to be called directly.</remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class RepeatVectorLayer
{
    /// <summary><c>outputs[s, t, j] = inputs[s, j]</c> for every step <c>t</c> below <paramref name="steps"/>.</summary>
    /// <typeparam name="T">The model's float type.</typeparam>
    /// <param name="inputs">[sequences, width].</param>
    /// <param name="sequences">The sequences.</param>
    /// <param name="steps">The steps each vector is repeated over.</param>
    /// <param name="width">The values of each vector.</param>
    /// <param name="outputs">Receives [sequences, steps, width].</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Forward<T>(ReadOnlySpan<T> inputs, int sequences, int steps, int width, Span<T> outputs)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        for (int s = 0; s < sequences; s++)
        {
            ReadOnlySpan<T> vector = inputs.Slice(s * width, width);
            for (int t = 0; t < steps; t++)
            {
                vector.CopyTo(outputs.Slice(((s * steps) + t) * width, width));
            }
        }
    }

    /// <summary>
    /// The backward pass: <c>inputGradients[s, j] = Σ_t outputGradients[s, t, j]</c>, summed from the first step to the
    /// last. It writes the input gradients (it does not add to them).
    /// </summary>
    /// <typeparam name="T">The model's float type.</typeparam>
    /// <param name="outputGradients">dLoss/d(outputs), [sequences, steps, width].</param>
    /// <param name="sequences">The sequences.</param>
    /// <param name="steps">The steps each vector was repeated over.</param>
    /// <param name="width">The values of each vector.</param>
    /// <param name="inputGradients">Receives dLoss/d(inputs), [sequences, width].</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Backward<T>(ReadOnlySpan<T> outputGradients, int sequences, int steps, int width, Span<T> inputGradients)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        for (int s = 0; s < sequences; s++)
        {
            Span<T> sum = inputGradients.Slice(s * width, width);
            outputGradients.Slice(s * steps * width, width).CopyTo(sum);
            for (int t = 1; t < steps; t++)
            {
                MatrixKernels.Axpy(T.One, outputGradients.Slice(((s * steps) + t) * width, width), sum);
            }
        }
    }
}
