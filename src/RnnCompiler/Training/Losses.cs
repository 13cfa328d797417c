using System;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace RnnCompiler.Training;

/// <summary>
/// Keras's losses and accuracies over rows of a model's output. Cross-entropies are fused with their activation:
/// they read logits and use log-softmax (or log-sigmoid), so they stay finite however confident the model is, and their
/// gradient with respect to the logits is <c>p - y</c>.
/// </summary>
public static class Losses
{
    /// <summary>Whether <paramref name="loss"/> reads logits (the cross-entropies) rather than activated outputs.</summary>
    public static bool ReadsLogits(Loss loss) => loss is Loss.SparseCategoricalCrossentropy or Loss.CategoricalCrossentropy or Loss.BinaryCrossentropy;

    /// <summary>Whether the loss has an accuracy (the classification losses).</summary>
    public static bool HasAccuracy(Loss loss) => ReadsLogits(loss);

    /// <summary>
    /// Computes the loss of <paramref name="rows"/> rows of <paramref name="units"/> outputs and, when
    /// <paramref name="gradients"/> is not empty, writes dL/d(outputs) there multiplied by <paramref name="gradientScale"/>.
    /// </summary>
    /// <param name="loss">The loss.</param>
    /// <param name="outputs">[rows, units]: logits for the cross-entropies, activated outputs for the others.</param>
    /// <param name="rows">The number of rows.</param>
    /// <param name="units">The width of a row.</param>
    /// <param name="labels">For SparseCategoricalCrossentropy: a class id per row (checked by the caller).</param>
    /// <param name="targets">For the other losses: [rows, units] targets.</param>
    /// <param name="gradientScale">The factor applied to every gradient (1 / rows in the batch, for a mean).</param>
    /// <param name="gradients">Receives the scaled gradients, [rows, units]; empty to skip them.</param>
    /// <param name="correct">Receives the number of correctly classified rows (for BinaryCrossentropy, the fraction of units right, summed over rows).</param>
    /// <returns>The sum over rows of each row's loss.</returns>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static T Compute<T>(
        Loss loss, ReadOnlySpan<T> outputs, int rows, int units, ReadOnlySpan<int> labels, ReadOnlySpan<T> targets,
        T gradientScale, Span<T> gradients, out T correct)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        T total = T.Zero;
        correct = T.Zero;
        T perUnit = T.One / T.CreateTruncating(units);
        for (int r = 0; r < rows; r++)
        {
            ReadOnlySpan<T> z = outputs.Slice(r * units, units);
            Span<T> g = gradients.IsEmpty ? default : gradients.Slice(r * units, units);
            ReadOnlySpan<T> y = loss == Loss.SparseCategoricalCrossentropy ? default : targets.Slice(r * units, units);
            switch (loss)
            {
                case Loss.SparseCategoricalCrossentropy:
                case Loss.CategoricalCrossentropy:
                {
                    T max = z[0];
                    int best = 0;
                    for (int k = 1; k < units; k++)
                    {
                        if (z[k] > max)
                        {
                            max = z[k];
                            best = k;
                        }
                    }

                    T sum = T.Zero;
                    for (int k = 0; k < units; k++)
                    {
                        sum += T.Exp(z[k] - max);
                    }

                    T logSum = max + T.Log(sum);
                    if (loss == Loss.SparseCategoricalCrossentropy)
                    {
                        int label = labels[r];
                        total += logSum - z[label];
                        if (best == label)
                        {
                            correct += T.One;
                        }

                        if (!g.IsEmpty)
                        {
                            for (int k = 0; k < units; k++)
                            {
                                T p = T.Exp(z[k] - logSum);
                                g[k] = (k == label ? p - T.One : p) * gradientScale;
                            }
                        }
                    }
                    else
                    {
                        T mass = T.Zero;
                        int target = 0;
                        for (int k = 0; k < units; k++)
                        {
                            total += y[k] * (logSum - z[k]);
                            mass += y[k];
                            if (y[k] > y[target])
                            {
                                target = k;
                            }
                        }

                        if (best == target)
                        {
                            correct += T.One;
                        }

                        if (!g.IsEmpty)
                        {
                            for (int k = 0; k < units; k++)
                            {
                                g[k] = (T.Exp(z[k] - logSum) * mass - y[k]) * gradientScale;
                            }
                        }
                    }

                    break;
                }

                case Loss.BinaryCrossentropy:
                {
                    T right = T.Zero;
                    for (int k = 0; k < units; k++)
                    {
                        // max(z, 0) - z·y + log(1 + e^-|z|): the stable form of -y log σ(z) - (1 - y) log(1 - σ(z)).
                        T value = z[k];
                        total += (T.Max(value, T.Zero) - value * y[k] + T.Log(T.One + T.Exp(-T.Abs(value)))) * perUnit;
                        bool predicted = value > T.Zero;
                        bool actual = y[k] > T.CreateTruncating(0.5);
                        if (predicted == actual)
                        {
                            right += T.One;
                        }

                        if (!g.IsEmpty)
                        {
                            g[k] = (Kernels.Activations.Sigmoid(value) - y[k]) * perUnit * gradientScale;
                        }
                    }

                    correct += right * perUnit;
                    break;
                }

                case Loss.MeanSquaredError:
                    for (int k = 0; k < units; k++)
                    {
                        T difference = z[k] - y[k];
                        total += difference * difference * perUnit;
                        if (!g.IsEmpty)
                        {
                            g[k] = (difference + difference) * perUnit * gradientScale;
                        }
                    }

                    break;
                case Loss.MeanAbsoluteError:
                    for (int k = 0; k < units; k++)
                    {
                        T difference = z[k] - y[k];
                        total += T.Abs(difference) * perUnit;
                        if (!g.IsEmpty)
                        {
                            g[k] = T.CreateTruncating(T.Sign(difference)) * perUnit * gradientScale;
                        }
                    }

                    break;
                default:
                    throw new ArgumentOutOfRangeException(nameof(loss), loss, "Unknown loss.");
            }
        }

        return total;
    }
}
