using System;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace RnnCompiler.Layers;

/// <summary>Backpropagation through a bidirectional merge.</summary>
public static partial class BidirectionalMerge
{
    /// <summary>
    /// Splits the merged output's gradient ([rows, 2 × units] for Concat, [rows, units] otherwise) into the forward and
    /// backward directions' gradients ([rows, units] each, overwritten), given the directions' forward outputs.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Backward<T>(
        MergeMode mode, ReadOnlySpan<T> outputGradients, ReadOnlySpan<T> forward, ReadOnlySpan<T> backward, int rows, int units,
        Span<T> forwardGradients, Span<T> backwardGradients)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (mode == MergeMode.Concat)
        {
            for (int t = 0; t < rows; t++)
            {
                outputGradients.Slice(2 * t * units, units).CopyTo(forwardGradients.Slice(t * units, units));
                outputGradients.Slice((2 * t + 1) * units, units).CopyTo(backwardGradients.Slice(t * units, units));
            }

            return;
        }

        T half = T.One / (T.One + T.One);
        for (int i = 0; i < rows * units; i++)
        {
            T d = outputGradients[i];
            (forwardGradients[i], backwardGradients[i]) = mode switch
            {
                MergeMode.Sum => (d, d),
                MergeMode.Multiply => (d * backward[i], d * forward[i]),
                MergeMode.Average => (d * half, d * half),
                _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, "Expected Concat, Sum, Multiply or Average."),
            };
        }
    }
}
