using System;
using System.ComponentModel;
using System.Runtime.CompilerServices;

namespace RnnCompiler.Layers;

/// <summary>The lookup table (Keras <c>Embedding</c>): row <c>token</c> of a [vocabulary, dimensions] table per step.</summary>
/// <remarks>Called by generated code; not meant to be called directly.</remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public static partial class EmbeddingLayer
{
    /// <summary>Copies the row of each token into <paramref name="outputs"/> ([tokens, dimensions]); the tokens are checked by the caller.</summary>
    /// <param name="tokens">Token ids in [0, vocabulary).</param>
    /// <param name="table">[vocabulary, dimensions].</param>
    /// <param name="dimensions">The width of a row.</param>
    /// <param name="outputs">[tokens, dimensions].</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Forward<T>(ReadOnlySpan<int> tokens, ReadOnlySpan<T> table, int dimensions, Span<T> outputs)
        where T : unmanaged
    {
        for (int t = 0; t < tokens.Length; t++)
        {
            table.Slice(tokens[t] * dimensions, dimensions).CopyTo(outputs.Slice(t * dimensions, dimensions));
        }
    }
}
