using System;
using System.ComponentModel;
using System.Numerics;
using System.Runtime.CompilerServices;
using RnnCompiler.Kernels;

namespace RnnCompiler.Layers;

/// <summary>
/// Attention of a sequence of queries over one sequence's memory, as Keras's <c>Attention</c> (dot-product, Luong, or
/// with <c>score_mode="concat"</c>) and <c>AdditiveAttention</c> (Bahdanau) compute it: scores of each query against every memory position's key, a softmax
/// over the positions that are not masked, and the context, the weighted sum of the values.
/// </summary>
/// <remarks>
/// <para>
/// Rows are row-major: queries [queries, dim], keys and values [memory, dim], the attention weights [queries, memory]
/// and the context [queries, dim]. Keras subtracts 1e9 from the score of a masked position, which makes its weight 0
/// in float and double (the exponential underflows) whenever another position is unmasked, as Keras requires; here a
/// masked position's weight is exactly 0 and it takes no part in the softmax's maximum or sum, so its key and value
/// never reach the result. Keras's query mask zeroes whole rows of the context; the caller clears them.
/// </para>
/// <para>Called by generated code; not meant to be called directly. Nothing is allocated: the caller gives the scratch.</para>
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public static partial class AttentionLayer
{
    /// <summary>The scratch <see cref="Forward{T}"/> and <see cref="Backward{T}"/> need: one row of weights and two of the width.</summary>
    /// <param name="memory">The memory's positions.</param>
    /// <param name="dim">The width of a query, key and value.</param>
    public static int ScratchSize(int memory, int dim) => memory + 2 * dim;

    /// <summary>
    /// The attention weights and the context of every query: <c>weights[i] = softmax(scores(query[i], keys))</c> over the
    /// unmasked positions, <c>context[i] = Σ_j weights[i, j] · values[j]</c>.
    /// </summary>
    /// <param name="score">How a query scores against a key.</param>
    /// <param name="query">[queries, dim].</param>
    /// <param name="queries">The number of queries (a decoder's steps).</param>
    /// <param name="keys">[memory, dim]: Keras's <c>key</c>, which is <c>value</c> unless given apart.</param>
    /// <param name="values">[memory, dim].</param>
    /// <param name="memory">The number of memory positions (an encoder's steps).</param>
    /// <param name="dim">The width of a query, key and value.</param>
    /// <param name="scale">
    /// Empty for none (Keras's <c>use_scale=False</c>); for <see cref="AttentionScore.Dot"/> one value, the learned
    /// scalar; for <see cref="AttentionScore.Additive"/> <paramref name="dim"/> values, the learned vector; for
    /// <see cref="AttentionScore.Concat"/> Keras's weights in its order: <c>[concat_score_weight]</c>, or with
    /// <c>use_scale=True</c> <c>[scale, concat_score_weight]</c>.
    /// </param>
    /// <param name="memoryMask">Empty when every position counts; else [memory], false at a masked (padding) position. At least one is true.</param>
    /// <param name="weights">Receives the attention weights, [queries, memory]; 0 at masked positions.</param>
    /// <param name="context">Receives the context, [queries, dim].</param>
    /// <param name="scratch">Working space of <see cref="ScratchSize"/> values.</param>
    /// <exception cref="ArgumentException">A span is too short for the shapes, a count is not positive, the score is not defined, or every position is masked.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Forward<T>(
        AttentionScore score, ReadOnlySpan<T> query, int queries, ReadOnlySpan<T> keys, ReadOnlySpan<T> values, int memory, int dim,
        ReadOnlySpan<T> scale, ReadOnlySpan<bool> memoryMask, Span<T> weights, Span<T> context, Span<T> scratch)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        Check(score, query.Length, queries, keys.Length, values.Length, memory, dim, scale.Length, memoryMask, weights.Length, scratch.Length);
        CheckLength(context.Length, (long)queries * dim, nameof(context));
        Span<T> sums = scratch.Slice(memory, dim);
        for (int i = 0; i < queries; i++)
        {
            ReadOnlySpan<T> q = query.Slice(i * dim, dim);
            Span<T> row = weights.Slice(i * memory, memory);
            for (int j = 0; j < memory; j++)
            {
                row[j] = Score(score, q, keys.Slice(j * dim, dim), scale, sums);
            }

            Normalize(row, memoryMask);
            Span<T> c = context.Slice(i * dim, dim);
            c.Clear();
            for (int j = 0; j < memory; j++)
            {
                if (row[j] != T.Zero)
                {
                    MatrixKernels.Axpy(row[j], values.Slice(j * dim, dim), c);
                }
            }
        }
    }

    /// <summary>
    /// Adds the gradients of a loss through <see cref="Forward{T}"/>: given dLoss/d(context), adds dLoss/d(query),
    /// dLoss/d(keys), dLoss/d(values) and dLoss/d(scale) to the spans given. The arguments up to
    /// <paramref name="weights"/> are the forward call's, with its weights.
    /// </summary>
    /// <param name="score">How a query scores against a key.</param>
    /// <param name="query">[queries, dim].</param>
    /// <param name="queries">The number of queries.</param>
    /// <param name="keys">[memory, dim].</param>
    /// <param name="values">[memory, dim].</param>
    /// <param name="memory">The number of memory positions.</param>
    /// <param name="dim">The width of a query, key and value.</param>
    /// <param name="scale">The forward call's scale: empty, one value (dot), <paramref name="dim"/> values (additive), or one or two (concat).</param>
    /// <param name="weights">The forward call's attention weights, [queries, memory].</param>
    /// <param name="contextGradients">dLoss/d(context), [queries, dim].</param>
    /// <param name="queryGradients">dLoss/d(query) is added here, [queries, dim].</param>
    /// <param name="keyGradients">dLoss/d(keys) is added here, [memory, dim]; it may be <paramref name="valueGradients"/> when the keys are the values.</param>
    /// <param name="valueGradients">dLoss/d(values) is added here, [memory, dim].</param>
    /// <param name="scaleGradients">dLoss/d(scale) is added here, as long as <paramref name="scale"/>.</param>
    /// <param name="scratch">Working space of <see cref="ScratchSize"/> values.</param>
    /// <exception cref="ArgumentException">A span is too short for the shapes, a count is not positive, or the score is not defined.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Backward<T>(
        AttentionScore score, ReadOnlySpan<T> query, int queries, ReadOnlySpan<T> keys, ReadOnlySpan<T> values, int memory, int dim,
        ReadOnlySpan<T> scale, ReadOnlySpan<T> weights, ReadOnlySpan<T> contextGradients,
        Span<T> queryGradients, Span<T> keyGradients, Span<T> valueGradients, Span<T> scaleGradients, Span<T> scratch)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        Check(score, query.Length, queries, keys.Length, values.Length, memory, dim, scale.Length, default, weights.Length, scratch.Length);
        long rows = (long)queries * dim, positions = (long)memory * dim;
        CheckLength(contextGradients.Length, rows, nameof(contextGradients));
        CheckLength(queryGradients.Length, rows, nameof(queryGradients));
        CheckLength(keyGradients.Length, positions, nameof(keyGradients));
        CheckLength(valueGradients.Length, positions, nameof(valueGradients));
        CheckLength(scaleGradients.Length, scale.Length, nameof(scaleGradients));
        Span<T> scoreGradients = scratch.Slice(0, memory);
        Span<T> activated = scratch.Slice(memory, dim);
        Span<T> sumGradients = scratch.Slice(memory + dim, dim);
        bool scaled = !scale.IsEmpty;
        T dotScale = score == AttentionScore.Dot && scaled ? scale[0] : T.One;
        for (int i = 0; i < queries; i++)
        {
            ReadOnlySpan<T> q = query.Slice(i * dim, dim);
            ReadOnlySpan<T> row = weights.Slice(i * memory, memory);
            ReadOnlySpan<T> dc = contextGradients.Slice(i * dim, dim);

            // context = Σ_j a_j v_j: dv_j += a_j dc, da_j = dc·v_j; then the softmax's dscore_j = a_j (da_j − Σ_k a_k da_k).
            T weighted = T.Zero;
            for (int j = 0; j < memory; j++)
            {
                T a = row[j];
                T da = a == T.Zero ? T.Zero : MatrixKernels.Dot(dc, values.Slice(j * dim, dim));
                scoreGradients[j] = da;
                weighted += a * da;
                if (a != T.Zero)
                {
                    MatrixKernels.Axpy(a, dc, valueGradients.Slice(j * dim, dim));
                }
            }

            Span<T> dq = queryGradients.Slice(i * dim, dim);
            for (int j = 0; j < memory; j++)
            {
                T a = row[j];
                if (a == T.Zero)
                {
                    continue;
                }

                T ds = a * (scoreGradients[j] - weighted);
                ReadOnlySpan<T> k = keys.Slice(j * dim, dim);
                Span<T> dk = keyGradients.Slice(j * dim, dim);
                if (score == AttentionScore.Dot)
                {
                    // score = s · (q·k): dq += s ds k, dk += s ds q, ds/ds = q·k.
                    MatrixKernels.Axpy(dotScale * ds, k, dq);
                    MatrixKernels.Axpy(dotScale * ds, q, dk);
                    if (scaled)
                    {
                        scaleGradients[0] += ds * MatrixKernels.Dot(q, k);
                    }

                    continue;
                }

                if (score == AttentionScore.Concat)
                {
                    // score = w Σ_d tanh(c (q_d + k_d)): dw += ds Σ t_d; dz_d = ds w (1 − t_d²); dq_d, dk_d += c dz_d;
                    // dc += Σ_d dz_d (q_d + k_d).
                    T c = scale.Length == 2 ? scale[0] : T.One;
                    T w = scale[^1];
                    for (int d = 0; d < dim; d++)
                    {
                        activated[d] = c * (q[d] + k[d]);
                    }

                    Activations.Tanh<T>(activated, activated);
                    T tanhSum = T.Zero, scaleSum = T.Zero;
                    for (int d = 0; d < dim; d++)
                    {
                        T t = activated[d];
                        tanhSum += t;
                        T dz = ds * w * (T.One - t * t);
                        scaleSum += dz * (q[d] + k[d]);
                        sumGradients[d] = c * dz;
                    }

                    scaleGradients[^1] += ds * tanhSum;
                    if (scale.Length == 2)
                    {
                        scaleGradients[0] += scaleSum;
                    }

                    MatrixKernels.Axpy(T.One, sumGradients, dq);
                    MatrixKernels.Axpy(T.One, sumGradients, dk);
                    continue;
                }

                // score = Σ_d s_d tanh(q_d + k_d): ds_d += ds · t_d; d(q_d + k_d) = ds · s_d (1 − t_d²).
                for (int d = 0; d < dim; d++)
                {
                    activated[d] = q[d] + k[d];
                }

                Activations.Tanh<T>(activated, activated);
                for (int d = 0; d < dim; d++)
                {
                    T t = activated[d];
                    T s = scaled ? scale[d] : T.One;
                    if (scaled)
                    {
                        scaleGradients[d] += ds * t;
                    }

                    sumGradients[d] = ds * s * (T.One - t * t);
                }

                MatrixKernels.Axpy(T.One, sumGradients, dq);
                MatrixKernels.Axpy(T.One, sumGradients, dk);
            }
        }
    }

    /// <summary>One query's score against one key.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static T Score<T>(AttentionScore score, ReadOnlySpan<T> q, ReadOnlySpan<T> k, ReadOnlySpan<T> scale, Span<T> sums)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (score == AttentionScore.Dot)
        {
            T dot = MatrixKernels.Dot(q, k);
            return scale.IsEmpty ? dot : dot * scale[0];
        }

        T inner = score == AttentionScore.Concat && scale.Length == 2 ? scale[0] : T.One;
        for (int d = 0; d < q.Length; d++)
        {
            sums[d] = inner * (q[d] + k[d]);
        }

        Activations.Tanh<T>(sums, sums);
        if (score == AttentionScore.Concat)
        {
            T tanhSum = T.Zero;
            foreach (T value in sums)
            {
                tanhSum += value;
            }

            return scale[^1] * tanhSum;
        }

        if (!scale.IsEmpty)
        {
            return MatrixKernels.Dot(scale, sums);
        }

        T total = T.Zero;
        foreach (T value in sums)
        {
            total += value;
        }

        return total;
    }

    /// <summary>The softmax of one row of scores over its unmasked positions; a masked position gets exactly 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Normalize<T>(Span<T> row, ReadOnlySpan<bool> mask)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (mask.IsEmpty)
        {
            Activations.Softmax(row);
            return;
        }

        T max = T.NegativeInfinity;
        for (int j = 0; j < row.Length; j++)
        {
            if (mask[j])
            {
                max = T.Max(max, row[j]);
            }
        }

        T sum = T.Zero;
        for (int j = 0; j < row.Length; j++)
        {
            T e = mask[j] ? T.Exp(row[j] - max) : T.Zero;
            row[j] = e;
            sum += e;
        }

        T inverse = T.One / sum;
        for (int j = 0; j < row.Length; j++)
        {
            row[j] *= inverse;
        }
    }

    private static void Check(AttentionScore score, int query, int queries, int keys, int values, int memory, int dim, int scale, ReadOnlySpan<bool> memoryMask, int weights, int scratch)
    {
        if (score is not (AttentionScore.Dot or AttentionScore.Additive or AttentionScore.Concat))
        {
            throw new ArgumentException($"Expected AttentionScore.Dot, Additive or Concat; got {(int)score}.", nameof(score));
        }

        if (queries <= 0)
        {
            throw new ArgumentException($"Expected at least one query; got {queries}.", nameof(queries));
        }

        if (memory <= 0)
        {
            throw new ArgumentException($"Expected at least one memory position; got {memory}.", nameof(memory));
        }

        if (dim <= 0)
        {
            throw new ArgumentException($"Expected a width of at least 1; got {dim}.", nameof(dim));
        }

        if (score == AttentionScore.Concat)
        {
            if (scale is not (1 or 2))
            {
                throw new ArgumentException($"Expected [concat_score_weight] or [scale, concat_score_weight] for Concat attention: 1 or 2 values; got {scale}.", "scale");
            }
        }
        else if (scale != 0 && scale != (score == AttentionScore.Dot ? 1 : dim))
        {
            int expectedScale = score == AttentionScore.Dot ? 1 : dim;
            throw new ArgumentException($"Expected no scale or {expectedScale} value{(expectedScale == 1 ? string.Empty : "s")} for {score} attention; got {scale}.", "scale");
        }

        CheckLength(query, (long)queries * dim, "query");
        CheckLength(keys, (long)memory * dim, "keys");
        CheckLength(values, (long)memory * dim, "values");
        CheckLength(weights, (long)queries * memory, "weights");
        CheckLength(scratch, ScratchSize(memory, dim), "scratch");
        if (!memoryMask.IsEmpty)
        {
            if (memoryMask.Length != memory)
            {
                throw new ArgumentException($"Expected a mask of {memory} positions; got {memoryMask.Length}.", nameof(memoryMask));
            }

            if (memoryMask.IndexOf(true) < 0)
            {
                throw new ArgumentException("Every memory position is masked; at least one must take part in the attention.", nameof(memoryMask));
            }
        }
    }

    private static void CheckLength(int length, long needed, string name)
    {
        if (length < needed)
        {
            throw new ArgumentException($"Expected at least {needed} values; got {length}.", name);
        }
    }
}
