using System;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace RnnCompiler.Kernels;

/// <summary>Derivatives of the activations, taken from their outputs (what the forward pass keeps).</summary>
public static partial class Activations
{
    /// <summary>
    /// Turns gradients with respect to activated outputs into gradients with respect to the sums before the
    /// activation, in place, row by row (<paramref name="width"/> values a row; Softmax uses its Jacobian per row).
    /// </summary>
    /// <param name="activation">The activation that produced <paramref name="outputs"/>.</param>
    /// <param name="outputs">The activated outputs.</param>
    /// <param name="gradients">In: dL/dy; out: dL/dx.</param>
    /// <param name="width">The length of one row.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void BackwardRows<T>(Activation activation, ReadOnlySpan<T> outputs, Span<T> gradients, int width)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int count = gradients.Length;
        switch (activation)
        {
            case Activation.Linear:
                break;
            case Activation.Tanh:
                for (int i = 0; i < count; i++)
                {
                    gradients[i] *= T.One - outputs[i] * outputs[i];
                }

                break;
            case Activation.Sigmoid:
                for (int i = 0; i < count; i++)
                {
                    gradients[i] *= outputs[i] * (T.One - outputs[i]);
                }

                break;
            case Activation.Relu:
                for (int i = 0; i < count; i++)
                {
                    if (!(outputs[i] > T.Zero))
                    {
                        gradients[i] = T.Zero;
                    }
                }

                break;
            case Activation.HardSigmoid:
            case Activation.HardSigmoidKeras2:
                MultiplyByDerivative(activation, outputs, gradients);
                break;
            case Activation.Softmax:
                for (int start = 0; start + width <= count; start += width)
                {
                    ReadOnlySpan<T> y = outputs.Slice(start, width);
                    Span<T> g = gradients.Slice(start, width);
                    T dot = MatrixKernels.Dot(y, (ReadOnlySpan<T>)g);
                    for (int j = 0; j < width; j++)
                    {
                        g[j] = y[j] * (g[j] - dot);
                    }
                }

                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(activation), activation, "Expected Linear, Tanh, Sigmoid, Relu, HardSigmoid, HardSigmoidKeras2 or Softmax.");
        }
    }
}
