using System;
using System.Collections.Generic;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using RnnCompiler.Kernels;
using RnnCompiler.Weights;

namespace RnnCompiler.Training;

/// <summary>Gradient clipping and the optimizer updates, with Keras's formulas.</summary>
public static class Optimizers
{
    /// <summary>Whether every value is finite.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
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
    /// to GlobalClipNorm (Keras's <c>global_clipnorm</c>), then element-wise to ClipValue; each only when set.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
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

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
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
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Apply<T>(OptimizerSettings settings, Span<T> parameters, ReadOnlySpan<T> gradients, Span<T> first, Span<T> second, long step)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(settings);
        Apply(settings, settings.LearningRate, parameters, gradients, first, second, step);
    }

    /// <summary>Applies one update with <paramref name="learningRate"/> in place of the declared rate (a model's <c>LearningRate</c> or its schedule's rate).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Apply<T>(OptimizerSettings settings, double learningRate, Span<T> parameters, ReadOnlySpan<T> gradients, Span<T> first, Span<T> second, long step)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(settings);
        T lr = T.CreateTruncating(learningRate);
        int n = parameters.Length;
        bool needsFirst = settings.Optimizer == Optimizer.Adam || (settings.Optimizer == Optimizer.Sgd && settings.Momentum > 0);
        bool needsSecond = settings.Optimizer is Optimizer.Adam or Optimizer.RmsProp;
        if (gradients.Length < n || (needsFirst && first.Length < n) || (needsSecond && second.Length < n))
        {
            throw new ArgumentException($"The gradients and the optimizer state need {n} elements each.", nameof(gradients));
        }

        ref T p = ref MemoryMarshal.GetReference(parameters);
        ref T g = ref MemoryMarshal.GetReference(gradients);
        ref T m1 = ref MemoryMarshal.GetReference(first);
        ref T m2 = ref MemoryMarshal.GetReference(second);
        switch (settings.Optimizer)
        {
            case Optimizer.Sgd when settings.Momentum > 0:
            {
                T momentum = T.CreateTruncating(settings.Momentum);
                if (settings.Nesterov)
                {
                    Run(new NesterovUpdate<T>(lr, momentum), ref p, ref g, ref m1, ref m2, n);
                }
                else
                {
                    Run(new MomentumUpdate<T>(lr, momentum), ref p, ref g, ref m1, ref m2, n);
                }

                break;
            }

            case Optimizer.Sgd:
                Run(new SgdUpdate<T>(lr), ref p, ref g, ref m1, ref m2, n);
                break;
            case Optimizer.Adam:
            {
                T beta1 = T.CreateTruncating(settings.Beta1);
                T beta2 = T.CreateTruncating(settings.Beta2);
                T epsilon = T.CreateTruncating(settings.Epsilon);
                T alpha = T.CreateTruncating(learningRate * Math.Sqrt(1 - Math.Pow(settings.Beta2, step)) / (1 - Math.Pow(settings.Beta1, step)));
                Run(new AdamUpdate<T>(beta1, beta2, epsilon, alpha), ref p, ref g, ref m1, ref m2, n);
                break;
            }

            case Optimizer.RmsProp:
            {
                T rho = T.CreateTruncating(settings.Rho);
                T epsilon = T.CreateTruncating(settings.Epsilon);
                Run(new RmsPropUpdate<T>(lr, rho, epsilon), ref p, ref g, ref m1, ref m2, n);
                break;
            }

            default:
                throw new ArgumentOutOfRangeException(nameof(settings), settings.Optimizer, "Unknown optimizer.");
        }
    }

    /// <summary>
    /// Runs <paramref name="update"/> over all elements at the widest vector width, then the narrower ones, then lane by
    /// lane. Every element gets the same operations in the same order on every path (separate multiplies and adds, no
    /// FMA, exact division and square root), so the vector loops give bit for bit what the scalar formulas give.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Run<TUpdate, T>(TUpdate update, ref T p, ref T g, ref T m1, ref T m2, int n)
        where TUpdate : struct, IUpdate<T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int i = 0;
        if (VectorPaths.Use512 && Vector512<T>.IsSupported)
        {
            i = RunWidth<Simd512<T>, TUpdate, T>(update, ref p, ref g, ref m1, ref m2, i, n);
        }

        if (Vector256.IsHardwareAccelerated && Vector256<T>.IsSupported)
        {
            i = RunWidth<Simd256<T>, TUpdate, T>(update, ref p, ref g, ref m1, ref m2, i, n);
        }

        if (Vector128.IsHardwareAccelerated && Vector128<T>.IsSupported)
        {
            i = RunWidth<Simd128<T>, TUpdate, T>(update, ref p, ref g, ref m1, ref m2, i, n);
        }

        RunWidth<Scalar<T>, TUpdate, T>(update, ref p, ref g, ref m1, ref m2, i, n);
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static int RunWidth<TVector, TUpdate, T>(TUpdate update, ref T p, ref T g, ref T m1, ref T m2, int i, int n)
        where TVector : struct, ISimdVector<TVector, T>
        where TUpdate : struct, IUpdate<T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int width = TVector.Count;
        for (; i + width <= n; i += width)
        {
            update.Apply<TVector>(ref p, ref g, ref m1, ref m2, (nuint)i);
        }

        return i;
    }

    private interface IUpdate<T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        void Apply<TVector>(ref T p, ref T g, ref T m1, ref T m2, nuint i)
            where TVector : struct, ISimdVector<TVector, T>;
    }

    /// <summary><c>w -= lr·g</c>.</summary>
    private readonly struct SgdUpdate<T>(T lr) : IUpdate<T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Apply<TVector>(ref T p, ref T g, ref T m1, ref T m2, nuint i)
            where TVector : struct, ISimdVector<TVector, T>
        {
            TVector step = TVector.Multiply(TVector.Create(lr), TVector.Load(ref g, i));
            TVector.Store(TVector.Subtract(TVector.Load(ref p, i), step), ref p, i);
        }
    }

    /// <summary><c>m = momentum·m - lr·g; w += m</c>.</summary>
    private readonly struct MomentumUpdate<T>(T lr, T momentum) : IUpdate<T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Apply<TVector>(ref T p, ref T g, ref T m1, ref T m2, nuint i)
            where TVector : struct, ISimdVector<TVector, T>
        {
            TVector m = TVector.Subtract(TVector.Multiply(TVector.Create(momentum), TVector.Load(ref m1, i)), TVector.Multiply(TVector.Create(lr), TVector.Load(ref g, i)));
            TVector.Store(m, ref m1, i);
            TVector.Store(TVector.Add(TVector.Load(ref p, i), m), ref p, i);
        }
    }

    /// <summary><c>m = momentum·m - lr·g; w += momentum·m - lr·g</c>.</summary>
    private readonly struct NesterovUpdate<T>(T lr, T momentum) : IUpdate<T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Apply<TVector>(ref T p, ref T g, ref T m1, ref T m2, nuint i)
            where TVector : struct, ISimdVector<TVector, T>
        {
            TVector mu = TVector.Create(momentum);
            TVector lrg = TVector.Multiply(TVector.Create(lr), TVector.Load(ref g, i));
            TVector m = TVector.Subtract(TVector.Multiply(mu, TVector.Load(ref m1, i)), lrg);
            TVector.Store(m, ref m1, i);
            TVector.Store(TVector.Add(TVector.Load(ref p, i), TVector.Subtract(TVector.Multiply(mu, m), lrg)), ref p, i);
        }
    }

    /// <summary><c>m = β1·m + (1-β1)·g; v = β2·v + (1-β2)·g·g; w -= α·m / (√v + ε)</c>.</summary>
    private readonly struct AdamUpdate<T>(T beta1, T beta2, T epsilon, T alpha) : IUpdate<T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Apply<TVector>(ref T p, ref T g, ref T m1, ref T m2, nuint i)
            where TVector : struct, ISimdVector<TVector, T>
        {
            TVector gv = TVector.Load(ref g, i);
            TVector m = TVector.Add(TVector.Multiply(TVector.Create(beta1), TVector.Load(ref m1, i)), TVector.Multiply(TVector.Create(T.One - beta1), gv));
            TVector v = TVector.Add(
                TVector.Multiply(TVector.Create(beta2), TVector.Load(ref m2, i)),
                TVector.Multiply(TVector.Multiply(TVector.Create(T.One - beta2), gv), gv));
            TVector.Store(m, ref m1, i);
            TVector.Store(v, ref m2, i);
            TVector step = TVector.Divide(TVector.Multiply(TVector.Create(alpha), m), TVector.Add(TVector.Sqrt(v), TVector.Create(epsilon)));
            TVector.Store(TVector.Subtract(TVector.Load(ref p, i), step), ref p, i);
        }
    }

    /// <summary><c>v = ρ·v + (1-ρ)·g·g; w -= lr·g / √(v + ε)</c>.</summary>
    private readonly struct RmsPropUpdate<T>(T lr, T rho, T epsilon) : IUpdate<T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Apply<TVector>(ref T p, ref T g, ref T m1, ref T m2, nuint i)
            where TVector : struct, ISimdVector<TVector, T>
        {
            TVector gv = TVector.Load(ref g, i);
            TVector v = TVector.Add(
                TVector.Multiply(TVector.Create(rho), TVector.Load(ref m2, i)),
                TVector.Multiply(TVector.Multiply(TVector.Create(T.One - rho), gv), gv));
            TVector.Store(v, ref m2, i);
            TVector step = TVector.Divide(TVector.Multiply(TVector.Create(lr), gv), TVector.Sqrt(TVector.Add(v, TVector.Create(epsilon))));
            TVector.Store(TVector.Subtract(TVector.Load(ref p, i), step), ref p, i);
        }
    }
}
