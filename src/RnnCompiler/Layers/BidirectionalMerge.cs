using System;
using System.ComponentModel;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace RnnCompiler.Layers;

/// <summary>How a bidirectional layer combines its two directions (Keras's <c>merge_mode</c>).</summary>
/// <remarks>Called by generated code; not meant to be called directly.</remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public static partial class BidirectionalMerge
{
    /// <summary>
    /// Merges <paramref name="steps"/> rows of the forward and backward outputs ([steps, units] each) into
    /// <paramref name="outputs"/>: [steps, 2 × units] for Concat, [steps, units] otherwise.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Merge<T>(MergeMode mode, ReadOnlySpan<T> forward, ReadOnlySpan<T> backward, int steps, int units, Span<T> outputs)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (mode == MergeMode.Concat)
        {
            for (int t = 0; t < steps; t++)
            {
                forward.Slice(t * units, units).CopyTo(outputs.Slice(2 * t * units, units));
                backward.Slice(t * units, units).CopyTo(outputs.Slice((2 * t + 1) * units, units));
            }

            return;
        }

        int count = steps * units;
        T half = T.One / (T.One + T.One);
        for (int i = 0; i < count; i++)
        {
            outputs[i] = mode switch
            {
                MergeMode.Sum => forward[i] + backward[i],
                MergeMode.Multiply => forward[i] * backward[i],
                MergeMode.Average => (forward[i] + backward[i]) * half,
                _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, "Expected Concat, Sum, Multiply or Average."),
            };
        }
    }
}
