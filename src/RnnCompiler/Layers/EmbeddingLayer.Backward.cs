using System;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace RnnCompiler.Layers;

/// <summary>Backpropagation into the embedding table.</summary>
public static partial class EmbeddingLayer
{
    /// <summary>Adds each step's input gradient to its token's row of the table gradient; only the rows used are touched.</summary>
    /// <param name="tokens">The forward tokens.</param>
    /// <param name="outputGradients">dL/d(embedded row) per step, [tokens, dimensions].</param>
    /// <param name="dimensions">The width of a row.</param>
    /// <param name="tableGradients">Accumulates dL/dtable, [vocabulary, dimensions].</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Backward<T>(ReadOnlySpan<int> tokens, ReadOnlySpan<T> outputGradients, int dimensions, Span<T> tableGradients)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        for (int t = 0; t < tokens.Length; t++)
        {
            LstmLayer.Accumulate(tableGradients.Slice(tokens[t] * dimensions, dimensions), outputGradients.Slice(t * dimensions, dimensions));
        }
    }
}
