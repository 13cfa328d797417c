using System;
using System.Numerics;
using RnnCompiler.Kernels;

namespace RnnCompiler.Layers;

/// <summary>
/// The GRU recurrence in Keras's layout: kernel [input, 3 × units], recurrent_kernel [units, 3 × units], gate column
/// blocks z, r, h; bias [2, 3 × units] (input bias, recurrent bias) when the reset gate applies after the recurrent
/// product (<c>reset_after=True</c>, PyTorch's form), [3 × units] when before.
/// <code>
/// z = σ(x·Wz + h·Uz + b)   r = σ(x·Wr + h·Ur + b)
/// after:  ĥ = tanh(x·Wh + bh + r ⊙ (h·Uh + b'h))     before: ĥ = tanh(x·Wh + (r ⊙ h)·Uh + bh)
/// h[t] = z ⊙ h[t-1] + (1 - z) ⊙ ĥ
/// </code>
/// </summary>
public static partial class GruLayer
{
    /// <summary>Runs the layer over <paramref name="steps"/> steps, keeping what backpropagation through time reads.</summary>
    /// <param name="inputs">The inputs, [steps, inputSize].</param>
    /// <param name="steps">The number of time steps.</param>
    /// <param name="inputSize">The width of one input step.</param>
    /// <param name="units">The size of the state.</param>
    /// <param name="kernel">[inputSize, 3 × units].</param>
    /// <param name="recurrentKernel">[units, 3 × units].</param>
    /// <param name="bias">[2 × 3 × units] when <paramref name="resetAfter"/>, else [3 × units].</param>
    /// <param name="resetAfter">Keras's <c>reset_after</c>.</param>
    /// <param name="reverse">When true the steps run from the last to the first.</param>
    /// <param name="initialHidden">h before the first step processed, [units]; empty for zeros.</param>
    /// <param name="gates">Receives the activated z, r, ĥ of each step, [steps, 3 × units].</param>
    /// <param name="candidates">
    /// Receives, per step, <c>h·Uh + b'h</c> (reset after) or <c>r ⊙ h[t-1]</c> (reset before), [steps, units].
    /// </param>
    /// <param name="hidden">Receives h of each step, [steps, units]; row t belongs to input step t in both directions.</param>
    /// <param name="scratch">Working space of 3 × units.</param>
    public static void Forward<T>(
        ReadOnlySpan<T> inputs, int steps, int inputSize, int units,
        ReadOnlySpan<T> kernel, ReadOnlySpan<T> recurrentKernel, ReadOnlySpan<T> bias, bool resetAfter,
        bool reverse, ReadOnlySpan<T> initialHidden,
        Span<T> gates, Span<T> candidates, Span<T> hidden, Span<T> scratch)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int width = 3 * units;
        MatrixKernels.Project(inputs, steps, inputSize, kernel, bias.Slice(0, width), gates);
        ReadOnlySpan<T> recurrentBias = resetAfter ? bias.Slice(width, width) : default;
        Span<T> recurrent = scratch.Slice(0, width);
        ReadOnlySpan<T> previous = initialHidden;
        for (int k = 0; k < steps; k++)
        {
            int t = reverse ? steps - 1 - k : k;
            Span<T> g = gates.Slice(t * width, width);
            Span<T> candidate = candidates.Slice(t * units, units);
            Span<T> h = hidden.Slice(t * units, units);
            if (resetAfter)
            {
                // The recurrent product of all three gates, with its own bias, before any gate is applied.
                recurrentBias.CopyTo(recurrent);
                if (!previous.IsEmpty)
                {
                    MatrixKernels.MultiplyAdd(previous.Slice(0, units), recurrentKernel, width, recurrent);
                }

                for (int j = 0; j < units; j++)
                {
                    T z = Activations.Sigmoid(g[j] + recurrent[j]);
                    T r = Activations.Sigmoid(g[units + j] + recurrent[units + j]);
                    T recurrentCandidate = recurrent[2 * units + j];
                    T proposal = T.Tanh(g[2 * units + j] + r * recurrentCandidate);
                    g[j] = z;
                    g[units + j] = r;
                    g[2 * units + j] = proposal;
                    candidate[j] = recurrentCandidate;
                }
            }
            else
            {
                // z and r first; the candidate's recurrent product then reads r ⊙ h[t-1].
                if (!previous.IsEmpty)
                {
                    MatrixKernels.MultiplyAdd(previous.Slice(0, units), recurrentKernel, width, g.Slice(0, 2 * units));
                }

                for (int j = 0; j < 2 * units; j++)
                {
                    g[j] = Activations.Sigmoid(g[j]);
                }

                for (int j = 0; j < units; j++)
                {
                    candidate[j] = previous.IsEmpty ? T.Zero : g[units + j] * previous[j];
                }

                Span<T> proposal = g.Slice(2 * units, units);
                if (!previous.IsEmpty)
                {
                    MatrixKernels.MultiplyAdd(candidate, recurrentKernel.Slice(2 * units), width, proposal);
                }

                for (int j = 0; j < units; j++)
                {
                    proposal[j] = T.Tanh(proposal[j]);
                }
            }

            for (int j = 0; j < units; j++)
            {
                T z = g[j];
                T before = previous.IsEmpty ? T.Zero : previous[j];
                h[j] = z * before + (T.One - z) * g[2 * units + j];
            }

            previous = h;
        }
    }
}
