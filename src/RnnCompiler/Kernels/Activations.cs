using System;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace RnnCompiler.Kernels;

/// <summary>Element-wise activation functions, as Keras defines them.</summary>
public static partial class Activations
{
    /// <summary>The logistic function <c>1 / (1 + e^-x)</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Sigmoid<T>(T x)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        => T.One / (T.One + T.Exp(-x));

    /// <summary>Applies <paramref name="activation"/> to <paramref name="values"/> in place; Softmax runs over all of them.</summary>
    public static void Apply<T>(Activation activation, Span<T> values)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        switch (activation)
        {
            case Activation.Linear:
                break;
            case Activation.Tanh:
                for (int i = 0; i < values.Length; i++)
                {
                    values[i] = T.Tanh(values[i]);
                }

                break;
            case Activation.Sigmoid:
                for (int i = 0; i < values.Length; i++)
                {
                    values[i] = Sigmoid(values[i]);
                }

                break;
            case Activation.Relu:
                for (int i = 0; i < values.Length; i++)
                {
                    values[i] = T.Max(values[i], T.Zero);
                }

                break;
            case Activation.Softmax:
                Softmax(values);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(activation), activation, "Expected Linear, Tanh, Sigmoid, Relu or Softmax.");
        }
    }

    /// <summary>Applies <paramref name="activation"/> to each row of <paramref name="values"/> ([rows, width]); Softmax is per row.</summary>
    public static void ApplyRows<T>(Activation activation, Span<T> values, int width)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (activation != Activation.Softmax)
        {
            Apply(activation, values);
            return;
        }

        for (int start = 0; start + width <= values.Length; start += width)
        {
            Softmax(values.Slice(start, width));
        }
    }

    /// <summary>The normalized exponential, computed after subtracting the maximum so that it cannot overflow.</summary>
    public static void Softmax<T>(Span<T> values)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (values.IsEmpty)
        {
            return;
        }

        T max = values[0];
        for (int i = 1; i < values.Length; i++)
        {
            max = T.Max(max, values[i]);
        }

        T sum = T.Zero;
        for (int i = 0; i < values.Length; i++)
        {
            T e = T.Exp(values[i] - max);
            values[i] = e;
            sum += e;
        }

        T scale = T.One / sum;
        for (int i = 0; i < values.Length; i++)
        {
            values[i] *= scale;
        }
    }
}
