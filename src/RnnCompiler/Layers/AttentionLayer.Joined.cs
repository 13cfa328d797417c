using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using RnnCompiler.Kernels;

namespace RnnCompiler.Layers;

public static partial class AttentionLayer
{
    /// <summary>
    /// An <c>[Attention]</c> layer over one sequence: each query (a decoder step's output) attends to the memory (the
    /// encoder's outputs at its real steps) and its output row is the query then its context,
    /// <c>[query, context]</c>, as Keras users join them with <c>Concatenate()([decoder_outputs, context])</c>.
    /// </summary>
    /// <param name="score"><see cref="AttentionScore.Dot"/>, <see cref="AttentionScore.General"/> or <see cref="AttentionScore.Additive"/>.</param>
    /// <param name="query">[queries, queryWidth].</param>
    /// <param name="queries">The number of queries.</param>
    /// <param name="queryWidth">The width of a query; for Dot and Additive, the memory's.</param>
    /// <param name="memory">[memorySteps, memoryWidth]: the keys and the values.</param>
    /// <param name="memorySteps">The memory's positions, at least 1.</param>
    /// <param name="memoryWidth">The width of a memory position.</param>
    /// <param name="parameters">Empty for Dot; General's kernel [queryWidth, memoryWidth]; Additive's scale [memoryWidth].</param>
    /// <param name="projected">For General, receives each query times the kernel, [queries, memoryWidth] (the backward pass reads it); else unused.</param>
    /// <param name="weights">Receives the attention weights, [queries, memorySteps].</param>
    /// <param name="output">Receives [queries, queryWidth + memoryWidth].</param>
    /// <param name="scratch">Working space of <see cref="ScratchSize"/>(memorySteps, memoryWidth) values.</param>
    /// <exception cref="ArgumentException">A span is too short for the shapes, the widths do not fit the score, or the score is not one of the three.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void JoinedForward<T>(
        AttentionScore score, ReadOnlySpan<T> query, int queries, int queryWidth, ReadOnlySpan<T> memory, int memorySteps, int memoryWidth,
        ReadOnlySpan<T> parameters, Span<T> projected, Span<T> weights, Span<T> output, Span<T> scratch)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        CheckJoined(score, query.Length, queries, queryWidth, memoryWidth, parameters.Length, projected.Length);
        CheckLength(output.Length, (long)queries * (queryWidth + memoryWidth), nameof(output));
        AttentionScore inner = score == AttentionScore.General ? AttentionScore.Dot : score;
        ReadOnlySpan<T> scale = score == AttentionScore.Additive ? parameters : default;
        int width = queryWidth + memoryWidth;
        for (int i = 0; i < queries; i++)
        {
            ReadOnlySpan<T> q = query.Slice(i * queryWidth, queryWidth);
            Span<T> row = output.Slice(i * width, width);
            q.CopyTo(row);
            if (score == AttentionScore.General)
            {
                Span<T> p = projected.Slice(i * memoryWidth, memoryWidth);
                p.Clear();
                MatrixKernels.MultiplyAdd(q, parameters, memoryWidth, p);
                q = p;
            }

            Forward(inner, q, 1, memory, memory, memorySteps, memoryWidth, scale, default, weights.Slice(i * memorySteps, memorySteps), row.Slice(queryWidth), scratch);
        }
    }

    /// <summary>
    /// Adds the gradients of a loss through <see cref="JoinedForward{T}"/>: given dLoss/d(its output), adds
    /// dLoss/d(query), dLoss/d(memory) and dLoss/d(parameters). The arguments up to <paramref name="weights"/> are the
    /// forward call's, with what it wrote.
    /// </summary>
    /// <param name="score">The forward call's score.</param>
    /// <param name="query">[queries, queryWidth].</param>
    /// <param name="queries">The number of queries.</param>
    /// <param name="queryWidth">The width of a query.</param>
    /// <param name="memory">[memorySteps, memoryWidth].</param>
    /// <param name="memorySteps">The memory's positions.</param>
    /// <param name="memoryWidth">The width of a memory position.</param>
    /// <param name="parameters">The forward call's parameters.</param>
    /// <param name="projected">What the forward call wrote there (General), else unused.</param>
    /// <param name="weights">The forward call's attention weights, [queries, memorySteps].</param>
    /// <param name="outputGradients">dLoss/d(output), [queries, queryWidth + memoryWidth].</param>
    /// <param name="queryGradients">dLoss/d(query) is added here, [queries, queryWidth].</param>
    /// <param name="memoryGradients">dLoss/d(memory) is added here (as keys and as values), [memorySteps, memoryWidth].</param>
    /// <param name="parameterGradients">dLoss/d(parameters) is added here, as long as <paramref name="parameters"/>.</param>
    /// <param name="scratch">Working space of <see cref="ScratchSize"/>(memorySteps, memoryWidth) + memoryWidth values.</param>
    /// <exception cref="ArgumentException">A span is too short for the shapes, the widths do not fit the score, or the score is not one of the three.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void JoinedBackward<T>(
        AttentionScore score, ReadOnlySpan<T> query, int queries, int queryWidth, ReadOnlySpan<T> memory, int memorySteps, int memoryWidth,
        ReadOnlySpan<T> parameters, ReadOnlySpan<T> projected, ReadOnlySpan<T> weights, ReadOnlySpan<T> outputGradients,
        Span<T> queryGradients, Span<T> memoryGradients, Span<T> parameterGradients, Span<T> scratch)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        CheckJoined(score, query.Length, queries, queryWidth, memoryWidth, parameters.Length, projected.Length);
        int width = queryWidth + memoryWidth;
        CheckLength(outputGradients.Length, (long)queries * width, nameof(outputGradients));
        CheckLength(queryGradients.Length, (long)queries * queryWidth, nameof(queryGradients));
        CheckLength(parameterGradients.Length, parameters.Length, nameof(parameterGradients));
        CheckLength(scratch.Length, ScratchSize(memorySteps, memoryWidth) + (long)memoryWidth, nameof(scratch));
        AttentionScore inner = score == AttentionScore.General ? AttentionScore.Dot : score;
        ReadOnlySpan<T> scale = score == AttentionScore.Additive ? parameters : default;
        Span<T> scaleGradients = score == AttentionScore.Additive ? parameterGradients : default;
        Span<T> projectedGradients = scratch.Slice(ScratchSize(memorySteps, memoryWidth), memoryWidth);
        Span<T> rest = scratch.Slice(0, ScratchSize(memorySteps, memoryWidth));
        for (int i = 0; i < queries; i++)
        {
            ReadOnlySpan<T> q = query.Slice(i * queryWidth, queryWidth);
            ReadOnlySpan<T> d = outputGradients.Slice(i * width, width);
            Span<T> dq = queryGradients.Slice(i * queryWidth, queryWidth);
            MatrixKernels.Axpy(T.One, d.Slice(0, queryWidth), dq);
            ReadOnlySpan<T> row = weights.Slice(i * memorySteps, memorySteps);
            if (score != AttentionScore.General)
            {
                Backward(inner, q, 1, memory, memory, memorySteps, memoryWidth, scale, row, d.Slice(queryWidth), dq, memoryGradients, memoryGradients, scaleGradients, rest);
                continue;
            }

            // score = (q·W)·k: the projected query's gradient goes back through W to the query, and into W.
            projectedGradients.Clear();
            Backward(inner, projected.Slice(i * memoryWidth, memoryWidth), 1, memory, memory, memorySteps, memoryWidth, default, row, d.Slice(queryWidth), projectedGradients, memoryGradients, memoryGradients, default, rest);
            MatrixKernels.MultiplyTransposedAdd<T>(projectedGradients, parameters, memoryWidth, dq);
            MatrixKernels.AddOuter<T>(q, projectedGradients, parameterGradients, memoryWidth);
        }
    }

    private static void CheckJoined(AttentionScore score, int query, int queries, int queryWidth, int memoryWidth, int parameters, int projected)
    {
        if (score is not (AttentionScore.Dot or AttentionScore.General or AttentionScore.Additive))
        {
            throw new ArgumentException($"Expected AttentionScore.Dot, General or Additive; got {score}.", nameof(score));
        }

        if (queryWidth <= 0 || memoryWidth <= 0 || queries <= 0)
        {
            throw new ArgumentException($"Expected positive queries and widths; got {queries} queries of {queryWidth} over a memory of {memoryWidth}.", nameof(queries));
        }

        if (score != AttentionScore.General && queryWidth != memoryWidth)
        {
            throw new ArgumentException($"{score} attention scores a query against a key of its own width; the query has {queryWidth} values and the memory {memoryWidth}.", nameof(queryWidth));
        }

        long expected = score switch
        {
            AttentionScore.General => (long)queryWidth * memoryWidth,
            AttentionScore.Additive => memoryWidth,
            _ => 0,
        };
        if (parameters != expected)
        {
            throw new ArgumentException($"Expected {expected} parameters for {score} attention; got {parameters}.", "parameters");
        }

        CheckLength(query, (long)queries * queryWidth, "query");
        if (score == AttentionScore.General)
        {
            CheckLength(projected, (long)queries * memoryWidth, "projected");
        }
    }
}
