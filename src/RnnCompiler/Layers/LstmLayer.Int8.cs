using System;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using RnnCompiler.Kernels;

namespace RnnCompiler.Layers;

public static partial class LstmLayer
{
    /// <summary>
    /// <see cref="Forward{T}"/> with the kernel and recurrent kernel quantized to int8 (<see cref="Int8Matrix"/>), for
    /// models declared with <c>WeightPrecision = WeightPrecision.Int8</c>: the same steps, each product quantizing its
    /// input row on the fly and summing in integers; bias, gates and states stay float.
    /// </summary>
    /// <param name="inputs">The inputs, [steps, inputSize].</param>
    /// <param name="steps">The number of time steps.</param>
    /// <param name="inputSize">The width of one input step.</param>
    /// <param name="units">The size of the state.</param>
    /// <param name="kernel">The quantized [inputSize, 4 × units] kernel.</param>
    /// <param name="recurrentKernel">The quantized [units, 4 × units] recurrent kernel.</param>
    /// <param name="bias">[4 × units].</param>
    /// <param name="reverse">When true the steps run from the last to the first.</param>
    /// <param name="initialHidden">h before the first step processed, [units]; empty for zeros.</param>
    /// <param name="initialCell">c before the first step processed, [units]; empty for zeros.</param>
    /// <param name="gates">Receives the activated gates i, f, g, o of each step, [steps, 4 × units].</param>
    /// <param name="cells">Receives c of each step, [steps, units].</param>
    /// <param name="hidden">Receives h of each step, [steps, units].</param>
    /// <param name="activation">Keras's <c>activation</c>; tanh by default.</param>
    /// <param name="recurrentActivation">Keras's <c>recurrent_activation</c>; sigmoid by default.</param>
    [SuppressMessage("ApiDesign", "RS0026:Do not add multiple public overloads with optional parameters", Justification = "Called by generated code only; the overloads differ in their weight types, so no call is ambiguous.")]
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Forward(
        ReadOnlySpan<float> inputs, int steps, int inputSize, int units,
        ReadOnlySpan<byte> kernel, ReadOnlySpan<byte> recurrentKernel, ReadOnlySpan<float> bias,
        bool reverse, ReadOnlySpan<float> initialHidden, ReadOnlySpan<float> initialCell,
        Span<float> gates, Span<float> cells, Span<float> hidden,
        Activation activation = Activation.Tanh, Activation recurrentActivation = Activation.Sigmoid)
    {
        int width = 4 * units;
        MatrixKernels.Project(inputs, steps, inputSize, kernel, bias.Slice(0, width), gates);
        ReadOnlySpan<float> previousHidden = initialHidden;
        ReadOnlySpan<float> previousCell = initialCell;
        for (int k = 0; k < steps; k++)
        {
            int t = reverse ? steps - 1 - k : k;
            Span<float> g = gates.Slice(t * width, width);
            if (!previousHidden.IsEmpty)
            {
                MatrixKernels.MultiplyAdd(previousHidden.Slice(0, units), recurrentKernel, g);
            }

            Span<float> c = cells.Slice(t * units, units);
            Span<float> h = hidden.Slice(t * units, units);
            ActivateAndUpdate(g, previousCell.IsEmpty ? previousCell : previousCell.Slice(0, units), c, h, units, activation, recurrentActivation);
            previousHidden = h;
            previousCell = c;
        }
    }

    /// <summary>
    /// <see cref="Step{T}"/> with the kernels quantized to int8: one streaming step, (b + x·W) + h·U
    /// (<see cref="MatrixKernels.Affine(ReadOnlySpan{float}, ReadOnlySpan{byte}, ReadOnlySpan{float}, ReadOnlySpan{byte}, ReadOnlySpan{float}, Span{float})"/>),
    /// then the fused gate update; <paramref name="hidden"/> and <paramref name="cell"/> are read and overwritten.
    /// </summary>
    /// <param name="input">This step's input, [inputSize].</param>
    /// <param name="inputSize">The width of the input.</param>
    /// <param name="units">The size of the state.</param>
    /// <param name="kernel">The quantized [inputSize, 4 × units] kernel.</param>
    /// <param name="recurrentKernel">The quantized [units, 4 × units] recurrent kernel.</param>
    /// <param name="bias">[4 × units].</param>
    /// <param name="hidden">h, [units]: the carried state in, the new one out.</param>
    /// <param name="cell">c, [units]: the carried state in, the new one out.</param>
    /// <param name="gates">Working space of 4 × units; receives the activated gates.</param>
    /// <param name="activation">Keras's <c>activation</c>; tanh by default.</param>
    /// <param name="recurrentActivation">Keras's <c>recurrent_activation</c>; sigmoid by default.</param>
    [SuppressMessage("ApiDesign", "RS0026:Do not add multiple public overloads with optional parameters", Justification = "Called by generated code only; the overloads differ in their weight types, so no call is ambiguous.")]
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Step(
        ReadOnlySpan<float> input, int inputSize, int units,
        ReadOnlySpan<byte> kernel, ReadOnlySpan<byte> recurrentKernel, ReadOnlySpan<float> bias,
        Span<float> hidden, Span<float> cell, Span<float> gates,
        Activation activation = Activation.Tanh, Activation recurrentActivation = Activation.Sigmoid)
    {
        int width = 4 * units;
        Span<float> g = gates.Slice(0, width);
        MatrixKernels.Affine(input.Slice(0, inputSize), kernel, hidden.Slice(0, units), recurrentKernel, bias.Slice(0, width), g);
        ActivateAndUpdate(g, cell, cell, hidden, units, activation, recurrentActivation);
    }
}
