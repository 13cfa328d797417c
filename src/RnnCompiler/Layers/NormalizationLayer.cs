using System;
using System.Collections.Generic;
using System.ComponentModel;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using RnnCompiler.Kernels;

namespace RnnCompiler.Layers;

/// <summary>
/// Keras's <c>Normalization(axis=-1)</c>: <c>y = (x - mean) / max(sqrt(variance), ε)</c> per feature, ε = 1e-7 (Keras's
/// <c>backend.epsilon()</c>), the same operations in the same order as Keras, so a float model gives Keras's float32
/// values. <see cref="Adapt{T}(ReadOnlySpan{T}, int, Span{T}, Span{T})"/> computes the statistics as Keras's
/// <c>adapt</c> does. The layer's weights are not trained and it reads the model's input, so the backward pass stops
/// before it.
/// </summary>
/// <remarks>Called by generated code; not meant to be called directly.</remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class NormalizationLayer
{
    /// <summary>Keras's <c>backend.epsilon()</c>, the smallest divisor: <c>max(sqrt(variance), Epsilon)</c>.</summary>
    public const double Epsilon = 1e-7;

    /// <summary>Normalizes each of <paramref name="rows"/> rows of <paramref name="mean"/>.Length features.</summary>
    /// <param name="inputs">[rows, features].</param>
    /// <param name="rows">The number of rows (steps, or steps of every sequence of a batch).</param>
    /// <param name="mean">[features].</param>
    /// <param name="variance">[features].</param>
    /// <param name="outputs">[rows, features]; may not overlap <paramref name="inputs"/> unless it is the same span.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Forward<T>(ReadOnlySpan<T> inputs, int rows, ReadOnlySpan<T> mean, ReadOnlySpan<T> variance, Span<T> outputs)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int features = mean.Length;
        if (variance.Length != features || inputs.Length < rows * features || outputs.Length < rows * features)
        {
            throw new ArgumentException($"Expected mean and variance of one length and [{rows}, {features}] inputs and outputs.", nameof(inputs));
        }

        ref T x = ref MemoryMarshal.GetReference(inputs);
        ref T m = ref MemoryMarshal.GetReference(mean);
        ref T v = ref MemoryMarshal.GetReference(variance);
        ref T y = ref MemoryMarshal.GetReference(outputs);
        for (int row = 0; row < rows; row++)
        {
            nuint offset = (nuint)(row * features);
            NormalizeRow(ref Unsafe.Add(ref x, offset), ref m, ref v, ref Unsafe.Add(ref y, offset), features);
        }
    }

    /// <summary>One step: <see cref="Forward{T}"/> for one row, bit for bit.</summary>
    /// <param name="input">[features].</param>
    /// <param name="mean">[features].</param>
    /// <param name="variance">[features].</param>
    /// <param name="output">[features].</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Step<T>(ReadOnlySpan<T> input, ReadOnlySpan<T> mean, ReadOnlySpan<T> variance, Span<T> output)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        => Forward(input, 1, mean, variance, output);

    /// <summary>
    /// Keras's <c>adapt</c> over rows of features: the mean and the population variance of each feature over every row,
    /// summed in double (two passes: the mean, then the squared distances from it), written to <paramref name="mean"/>
    /// and <paramref name="variance"/> only when every value is finite.
    /// </summary>
    /// <param name="inputs">[rows, features], at least one row.</param>
    /// <param name="features">The features per row.</param>
    /// <param name="mean">Receives [features].</param>
    /// <param name="variance">Receives [features].</param>
    /// <exception cref="ArgumentException"><paramref name="inputs"/> is empty, not whole rows, or holds a value that is not finite; nothing is written.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Adapt<T>(ReadOnlySpan<T> inputs, int features, Span<T> mean, Span<T> variance)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (inputs.IsEmpty || inputs.Length % features != 0)
        {
            throw new ArgumentException($"Expected whole rows of {features} features, at least one; got a length of {inputs.Length}.", nameof(inputs));
        }

        var sums = new double[features];
        Accumulate(inputs, sums, null);
        long rows = inputs.Length / features;
        Divide(sums, rows);
        var squares = new double[features];
        Accumulate(inputs, squares, sums);
        Divide(squares, rows);
        Write(sums, squares, mean, variance, "inputs");
    }

    /// <summary>
    /// <see cref="Adapt{T}(ReadOnlySpan{T}, int, Span{T}, Span{T})"/> over sequences of any lengths: every row of every
    /// sequence counts once.
    /// </summary>
    /// <param name="sequences">Each [steps, features], at least one sequence, none empty.</param>
    /// <param name="features">The features per row.</param>
    /// <param name="maxSteps">The most steps a sequence may have.</param>
    /// <param name="mean">Receives [features].</param>
    /// <param name="variance">Receives [features].</param>
    /// <exception cref="ArgumentException">There is no sequence, a sequence is null, empty, longer than <paramref name="maxSteps"/> or not whole steps, or a value is not finite; nothing is written.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Adapt<T>(IReadOnlyList<T[]> sequences, int features, int maxSteps, Span<T> mean, Span<T> variance)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(sequences);
        if (sequences.Count == 0)
        {
            throw new ArgumentException("Expected at least one sequence.", nameof(sequences));
        }

        long rows = 0;
        for (int i = 0; i < sequences.Count; i++)
        {
            T[]? sequence = sequences[i];
            if (sequence is null || sequence.Length == 0 || sequence.Length % features != 0 || sequence.Length / features > maxSteps)
            {
                throw new ArgumentException(
                    $"Sequence {i} has {(sequence is null ? "no array" : $"a length of {sequence.Length}")}; each must be 1 to {maxSteps} steps of {features} features.",
                    nameof(sequences));
            }

            rows += sequence.Length / features;
        }

        var sums = new double[features];
        for (int i = 0; i < sequences.Count; i++)
        {
            Accumulate<T>(sequences[i], sums, null);
        }

        Divide(sums, rows);
        var squares = new double[features];
        for (int i = 0; i < sequences.Count; i++)
        {
            Accumulate<T>(sequences[i], squares, sums);
        }

        Divide(squares, rows);
        Write(sums, squares, mean, variance, "sequences");
    }

    /// <summary>Adds each row's values (or, given the means, their squared distances from them) to <paramref name="totals"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Accumulate<T>(ReadOnlySpan<T> inputs, double[] totals, double[]? means)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int features = totals.Length;
        for (int start = 0; start < inputs.Length; start += features)
        {
            ReadOnlySpan<T> row = inputs.Slice(start, features);
            for (int j = 0; j < features; j++)
            {
                double value = double.CreateTruncating(row[j]);
                if (means is null)
                {
                    totals[j] += value;
                }
                else
                {
                    double distance = value - means[j];
                    totals[j] += distance * distance;
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Divide(double[] totals, long rows)
    {
        for (int j = 0; j < totals.Length; j++)
        {
            totals[j] /= rows;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Write<T>(double[] means, double[] variances, Span<T> mean, Span<T> variance, string argument)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        for (int j = 0; j < means.Length; j++)
        {
            T m = T.CreateTruncating(means[j]);
            T v = T.CreateTruncating(variances[j]);
            if (!T.IsFinite(m) || !T.IsFinite(v))
            {
                throw new ArgumentException($"Feature {j} has a mean of {means[j]} and a variance of {variances[j]}; the data must hold finite values whose variance fits the model's type.", argument);
            }
        }

        for (int j = 0; j < means.Length; j++)
        {
            mean[j] = T.CreateTruncating(means[j]);
            variance[j] = T.CreateTruncating(variances[j]);
        }
    }

    /// <summary>One row at the widest vector width, then the narrower ones, then lane by lane: every element gets the same operations.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void NormalizeRow<T>(ref T x, ref T m, ref T v, ref T y, int features)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int i = 0;
        if (VectorPaths.Use512 && Vector512<T>.IsSupported)
        {
            i = NormalizeWidth<Simd512<T>, T>(ref x, ref m, ref v, ref y, i, features);
        }

        if (Vector256.IsHardwareAccelerated && Vector256<T>.IsSupported)
        {
            i = NormalizeWidth<Simd256<T>, T>(ref x, ref m, ref v, ref y, i, features);
        }

        if (Vector128.IsHardwareAccelerated && Vector128<T>.IsSupported)
        {
            i = NormalizeWidth<Simd128<T>, T>(ref x, ref m, ref v, ref y, i, features);
        }

        NormalizeWidth<Scalar<T>, T>(ref x, ref m, ref v, ref y, i, features);
    }

    /// <summary><c>y = (x - m) / max(sqrt(v), ε)</c>, Keras's operations in Keras's order; NaN propagates as numpy's <c>maximum</c> does.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int NormalizeWidth<TVector, T>(ref T x, ref T m, ref T v, ref T y, int i, int n)
        where TVector : struct, ISimdVector<TVector, T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        TVector epsilon = TVector.Create(T.CreateTruncating(Epsilon));
        int width = TVector.Count;
        for (; i + width <= n; i += width)
        {
            nuint at = (nuint)i;
            TVector deviation = TVector.Subtract(TVector.Load(ref x, at), TVector.Load(ref m, at));
            TVector scale = TVector.Max(TVector.Sqrt(TVector.Load(ref v, at)), epsilon);
            TVector.Store(TVector.Divide(deviation, scale), ref y, at);
        }

        return i;
    }
}
