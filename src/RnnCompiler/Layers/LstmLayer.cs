using System;
using System.Numerics;
using RnnCompiler.Kernels;

namespace RnnCompiler.Layers;

/// <summary>
/// The LSTM recurrence in Keras's layout: kernel [input, 4 × units], recurrent_kernel [units, 4 × units],
/// bias [4 × units], gate column blocks i, f, c, o.
/// <code>
/// i = σ(x·Wi + h·Ui + bi)   f = σ(x·Wf + h·Uf + bf)   g = tanh(x·Wc + h·Uc + bc)   o = σ(x·Wo + h·Uo + bo)
/// c[t] = f ⊙ c[t-1] + i ⊙ g                           h[t] = o ⊙ tanh(c[t])
/// </code>
/// </summary>
public static partial class LstmLayer
{
    /// <summary>
    /// Runs the layer over <paramref name="steps"/> steps, keeping every step's activated gates, cell and hidden state
    /// (what backpropagation through time reads). Streaming is the same call with one step, the state spans passed as
    /// both the initial state and the outputs.
    /// </summary>
    /// <param name="inputs">The inputs, [steps, inputSize].</param>
    /// <param name="steps">The number of time steps.</param>
    /// <param name="inputSize">The width of one input step.</param>
    /// <param name="units">The size of the state.</param>
    /// <param name="kernel">[inputSize, 4 × units].</param>
    /// <param name="recurrentKernel">[units, 4 × units].</param>
    /// <param name="bias">[4 × units].</param>
    /// <param name="reverse">When true the steps run from the last to the first (the backward half of a bidirectional layer).</param>
    /// <param name="initialHidden">h before the first step processed, [units]; empty for zeros.</param>
    /// <param name="initialCell">c before the first step processed, [units]; empty for zeros.</param>
    /// <param name="gates">Receives the activated gates i, f, g, o of each step, [steps, 4 × units].</param>
    /// <param name="cells">Receives c of each step, [steps, units].</param>
    /// <param name="hidden">Receives h of each step, [steps, units]; row t belongs to input step t in both directions.</param>
    public static void Forward<T>(
        ReadOnlySpan<T> inputs, int steps, int inputSize, int units,
        ReadOnlySpan<T> kernel, ReadOnlySpan<T> recurrentKernel, ReadOnlySpan<T> bias,
        bool reverse, ReadOnlySpan<T> initialHidden, ReadOnlySpan<T> initialCell,
        Span<T> gates, Span<T> cells, Span<T> hidden)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int width = 4 * units;
        MatrixKernels.Project(inputs, steps, inputSize, kernel, bias.Slice(0, width), gates);
        ReadOnlySpan<T> previousHidden = initialHidden;
        ReadOnlySpan<T> previousCell = initialCell;
        for (int k = 0; k < steps; k++)
        {
            int t = reverse ? steps - 1 - k : k;
            Span<T> g = gates.Slice(t * width, width);
            if (!previousHidden.IsEmpty)
            {
                MatrixKernels.MultiplyAdd(previousHidden.Slice(0, units), recurrentKernel, width, g);
            }

            Span<T> c = cells.Slice(t * units, units);
            Span<T> h = hidden.Slice(t * units, units);
            for (int j = 0; j < units; j++)
            {
                T input = Activations.Sigmoid(g[j]);
                T forget = Activations.Sigmoid(g[units + j]);
                T candidate = T.Tanh(g[2 * units + j]);
                T output = Activations.Sigmoid(g[3 * units + j]);
                g[j] = input;
                g[units + j] = forget;
                g[2 * units + j] = candidate;
                g[3 * units + j] = output;
                T cell = previousCell.IsEmpty ? input * candidate : forget * previousCell[j] + input * candidate;
                c[j] = cell;
                h[j] = output * T.Tanh(cell);
            }

            previousHidden = h;
            previousCell = c;
        }
    }
}
