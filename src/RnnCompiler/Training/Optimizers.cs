using System;
using System.Collections.Generic;
using System.Numerics;
using RnnCompiler.Weights;

namespace RnnCompiler.Training;

/// <summary>Gradient clipping and the optimizer updates, with Keras's formulas.</summary>
public static class Optimizers
{
    /// <summary>Whether every value is finite.</summary>
    public static bool AllFinite<T>(ReadOnlySpan<T> values)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        foreach (T value in values)
        {
            if (!T.IsFinite(value))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Clips <paramref name="gradients"/> in place: per tensor to ClipNorm (Keras's <c>clipnorm</c>), then all together
    /// to GlobalClipNorm (PyTorch's <c>clip_grad_norm_</c>), then element-wise to ClipValue; each only when set.
    /// </summary>
    public static void Clip<T>(OptimizerSettings settings, IReadOnlyList<LayerDescriptor> layers, Span<T> gradients)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (settings.ClipNorm > 0)
        {
            // Index loops: a foreach over the interfaces would allocate an enumerator on every batch.
            for (int l = 0; l < layers.Count; l++)
            {
                IReadOnlyList<TensorDescriptor> tensors = layers[l].Tensors;
                for (int i = 0; i < tensors.Count; i++)
                {
                    ScaleToNorm(gradients.Slice(tensors[i].Offset, tensors[i].Length), settings.ClipNorm);
                }
            }
        }

        if (settings.GlobalClipNorm > 0)
        {
            ScaleToNorm(gradients, settings.GlobalClipNorm);
        }

        if (settings.ClipValue > 0)
        {
            T limit = T.CreateTruncating(settings.ClipValue);
            for (int i = 0; i < gradients.Length; i++)
            {
                gradients[i] = T.Clamp(gradients[i], -limit, limit);
            }
        }
    }

    private static void ScaleToNorm<T>(Span<T> values, double maximum)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        double sum = 0;
        foreach (T value in values)
        {
            double v = double.CreateTruncating(value);
            sum += v * v;
        }

        double norm = Math.Sqrt(sum);
        if (norm > maximum)
        {
            T scale = T.CreateTruncating(maximum / norm);
            for (int i = 0; i < values.Length; i++)
            {
                values[i] *= scale;
            }
        }
    }

    /// <summary>
    /// Applies one update. <paramref name="step"/> is the number of this update, counting from 1 (Adam's bias correction).
    /// SGD: <c>m = momentum·m - lr·g; w += m</c> (Nesterov: <c>w += momentum·m - lr·g</c>); without momentum <c>w -= lr·g</c>.
    /// Adam: <c>m = β1·m + (1-β1)·g; v = β2·v + (1-β2)·g²; w -= lr·√(1-β2^t)/(1-β1^t) · m / (√v + ε)</c>.
    /// RMSprop: <c>v = ρ·v + (1-ρ)·g²; w -= lr·g / √(v + ε)</c>.
    /// </summary>
    public static void Apply<T>(OptimizerSettings settings, Span<T> parameters, ReadOnlySpan<T> gradients, Span<T> first, Span<T> second, long step)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        T lr = T.CreateTruncating(settings.LearningRate);
        switch (settings.Optimizer)
        {
            case Optimizer.Sgd when settings.Momentum > 0:
            {
                T momentum = T.CreateTruncating(settings.Momentum);
                for (int i = 0; i < parameters.Length; i++)
                {
                    T m = momentum * first[i] - lr * gradients[i];
                    first[i] = m;
                    parameters[i] += settings.Nesterov ? momentum * m - lr * gradients[i] : m;
                }

                break;
            }

            case Optimizer.Sgd:
                for (int i = 0; i < parameters.Length; i++)
                {
                    parameters[i] -= lr * gradients[i];
                }

                break;
            case Optimizer.Adam:
            {
                T beta1 = T.CreateTruncating(settings.Beta1);
                T beta2 = T.CreateTruncating(settings.Beta2);
                T epsilon = T.CreateTruncating(settings.Epsilon);
                T alpha = T.CreateTruncating(settings.LearningRate * Math.Sqrt(1 - Math.Pow(settings.Beta2, step)) / (1 - Math.Pow(settings.Beta1, step)));
                for (int i = 0; i < parameters.Length; i++)
                {
                    T g = gradients[i];
                    T m = beta1 * first[i] + (T.One - beta1) * g;
                    T v = beta2 * second[i] + (T.One - beta2) * g * g;
                    first[i] = m;
                    second[i] = v;
                    parameters[i] -= alpha * m / (T.Sqrt(v) + epsilon);
                }

                break;
            }

            case Optimizer.RmsProp:
            {
                T rho = T.CreateTruncating(settings.Rho);
                T epsilon = T.CreateTruncating(settings.Epsilon);
                for (int i = 0; i < parameters.Length; i++)
                {
                    T g = gradients[i];
                    T v = rho * second[i] + (T.One - rho) * g * g;
                    second[i] = v;
                    parameters[i] -= lr * g / T.Sqrt(v + epsilon);
                }

                break;
            }

            default:
                throw new ArgumentOutOfRangeException(nameof(settings), settings.Optimizer, "Unknown optimizer.");
        }
    }
}
