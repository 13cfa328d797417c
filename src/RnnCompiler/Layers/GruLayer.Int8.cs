using System;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using RnnCompiler.Kernels;

namespace RnnCompiler.Layers;

public static partial class GruLayer
{
    /// <summary>
    /// The bytes of a GRU's quantized recurrent kernel: one [units, 3 × units] <see cref="Int8Matrix"/> with
    /// <c>reset_after</c>; without it, the z and r columns [units, 2 × units] and then the candidate's [units, units]
    /// as two matrices, because the candidate's product reads r ⊙ h on its own.
    /// </summary>
    /// <param name="units">The size of the state.</param>
    /// <param name="resetAfter">Keras's <c>reset_after</c>.</param>
    /// <returns>The size in bytes.</returns>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static int Int8RecurrentKernelSize(int units, bool resetAfter) =>
        resetAfter ? Int8Matrix.Size(units, 3 * units) : Int8Matrix.Size(units, 2 * units) + Int8Matrix.Size(units, units);

    /// <summary>
    /// Quantizes a GRU's float recurrent kernel [units, 3 × units] into the layout <see cref="Int8RecurrentKernelSize"/> describes.
    /// </summary>
    /// <param name="recurrentKernel">The float recurrent kernel, row-major.</param>
    /// <param name="units">The size of the state.</param>
    /// <param name="resetAfter">Keras's <c>reset_after</c>.</param>
    /// <param name="destination">Receives the quantized kernel; at least <see cref="Int8RecurrentKernelSize"/> bytes.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void QuantizeRecurrentKernel(ReadOnlySpan<float> recurrentKernel, int units, bool resetAfter, Span<byte> destination)
    {
        int width = 3 * units;
        if (resetAfter)
        {
            Int8Matrix.Quantize(recurrentKernel, units, width, width, destination);
            return;
        }

        int gates = Int8Matrix.Size(units, 2 * units);
        Int8Matrix.Quantize(recurrentKernel, units, 2 * units, width, destination);
        Int8Matrix.Quantize(recurrentKernel.Slice(2 * units), units, units, width, destination.Slice(gates));
    }

    /// <summary>
    /// <see cref="Forward{T}"/> with the kernels quantized to int8 (<see cref="Int8Matrix"/>; the recurrent kernel as
    /// <see cref="QuantizeRecurrentKernel"/> lays it out), for models declared with <c>WeightPrecision = WeightPrecision.Int8</c>:
    /// the same steps, each product quantizing its input row on the fly; biases, gates and states stay float.
    /// </summary>
    /// <param name="inputs">The inputs, [steps, inputSize].</param>
    /// <param name="steps">The number of time steps.</param>
    /// <param name="inputSize">The width of one input step.</param>
    /// <param name="units">The size of the state.</param>
    /// <param name="kernel">The quantized [inputSize, 3 × units] kernel.</param>
    /// <param name="recurrentKernel">The quantized recurrent kernel.</param>
    /// <param name="bias">[2 × 3 × units] when <paramref name="resetAfter"/>, else [3 × units].</param>
    /// <param name="resetAfter">Keras's <c>reset_after</c>.</param>
    /// <param name="reverse">When true the steps run from the last to the first.</param>
    /// <param name="initialHidden">h before the first step processed, [units]; empty for zeros.</param>
    /// <param name="gates">Receives the activated z, r, ĥ of each step, [steps, 3 × units].</param>
    /// <param name="candidates">Receives, per step, <c>h·Uh + b'h</c> (reset after) or <c>r ⊙ h[t-1]</c> (reset before), [steps, units].</param>
    /// <param name="hidden">Receives h of each step, [steps, units].</param>
    /// <param name="scratch">Working space of 3 × units.</param>
    /// <param name="activation">Keras's <c>activation</c>, of the candidate ĥ; tanh by default.</param>
    /// <param name="recurrentActivation">Keras's <c>recurrent_activation</c>, of the gates z and r; sigmoid by default.</param>
    [SuppressMessage("ApiDesign", "RS0026:Do not add multiple public overloads with optional parameters", Justification = "Called by generated code only; the overloads differ in their weight types, so no call is ambiguous.")]
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Forward(
        ReadOnlySpan<float> inputs, int steps, int inputSize, int units,
        ReadOnlySpan<byte> kernel, ReadOnlySpan<byte> recurrentKernel, ReadOnlySpan<float> bias, bool resetAfter,
        bool reverse, ReadOnlySpan<float> initialHidden,
        Span<float> gates, Span<float> candidates, Span<float> hidden, Span<float> scratch,
        Activation activation = Activation.Tanh, Activation recurrentActivation = Activation.Sigmoid)
    {
        int width = 3 * units;
        MatrixKernels.Project(inputs, steps, inputSize, kernel, bias.Slice(0, width), gates);
        ReadOnlySpan<float> recurrentBias = resetAfter ? bias.Slice(width, width) : default;
        ReadOnlySpan<byte> candidateKernel = resetAfter ? default : recurrentKernel.Slice(Int8Matrix.Size(units, 2 * units));
        Span<float> recurrent = scratch.Slice(0, width);
        ReadOnlySpan<float> previous = initialHidden;
        for (int k = 0; k < steps; k++)
        {
            int t = reverse ? steps - 1 - k : k;
            Span<float> g = gates.Slice(t * width, width);
            Span<float> candidate = candidates.Slice(t * units, units);
            Span<float> h = hidden.Slice(t * units, units);
            if (resetAfter)
            {
                recurrentBias.CopyTo(recurrent);
                if (!previous.IsEmpty)
                {
                    MatrixKernels.MultiplyAdd(previous.Slice(0, units), recurrentKernel, recurrent);
                }

                UpdateResetAfter(g, recurrent, candidate, previous.IsEmpty ? previous : previous.Slice(0, units), h, units, activation, recurrentActivation);
            }
            else
            {
                if (!previous.IsEmpty)
                {
                    MatrixKernels.MultiplyAdd(previous.Slice(0, units), recurrentKernel, g.Slice(0, 2 * units));
                }

                Span<float> zr = g.Slice(0, 2 * units);
                Activations.Apply(recurrentActivation, zr);
                for (int j = 0; j < units; j++)
                {
                    candidate[j] = previous.IsEmpty ? 0f : g[units + j] * previous[j];
                }

                Span<float> proposal = g.Slice(2 * units, units);
                if (!previous.IsEmpty)
                {
                    MatrixKernels.MultiplyAdd(candidate, candidateKernel, proposal);
                }

                Activations.Apply(activation, proposal);
                for (int j = 0; j < units; j++)
                {
                    float z = g[j];
                    float before = previous.IsEmpty ? 0f : previous[j];
                    h[j] = z * before + (1f - z) * g[2 * units + j];
                }
            }

            previous = h;
        }
    }

    /// <summary>
    /// <see cref="Step{T}"/> with the kernels quantized to int8: one streaming step; <paramref name="hidden"/> is read
    /// and overwritten.
    /// </summary>
    /// <param name="input">This step's input, [inputSize].</param>
    /// <param name="inputSize">The width of the input.</param>
    /// <param name="units">The size of the state.</param>
    /// <param name="kernel">The quantized [inputSize, 3 × units] kernel.</param>
    /// <param name="recurrentKernel">The quantized recurrent kernel (<see cref="QuantizeRecurrentKernel"/>).</param>
    /// <param name="bias">[2 × 3 × units] when <paramref name="resetAfter"/>, else [3 × units].</param>
    /// <param name="resetAfter">Keras's <c>reset_after</c>.</param>
    /// <param name="hidden">h, [units]: the carried state in, the new one out.</param>
    /// <param name="gates">Working space of 3 × units; receives the activated gates.</param>
    /// <param name="candidates">Working space of units.</param>
    /// <param name="scratch">Working space of 3 × units.</param>
    /// <param name="activation">Keras's <c>activation</c>, of the candidate ĥ; tanh by default.</param>
    /// <param name="recurrentActivation">Keras's <c>recurrent_activation</c>, of the gates z and r; sigmoid by default.</param>
    [SuppressMessage("ApiDesign", "RS0026:Do not add multiple public overloads with optional parameters", Justification = "Called by generated code only; the overloads differ in their weight types, so no call is ambiguous.")]
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Step(
        ReadOnlySpan<float> input, int inputSize, int units,
        ReadOnlySpan<byte> kernel, ReadOnlySpan<byte> recurrentKernel, ReadOnlySpan<float> bias, bool resetAfter,
        Span<float> hidden, Span<float> gates, Span<float> candidates, Span<float> scratch,
        Activation activation = Activation.Tanh, Activation recurrentActivation = Activation.Sigmoid)
    {
        if (!resetAfter)
        {
            // The candidate's recurrent product reads r ⊙ h[t-1], so it cannot share the pass with z and r.
            Forward(input, 1, inputSize, units, kernel, recurrentKernel, bias, resetAfter, reverse: false, hidden, gates, candidates, hidden, scratch,
                activation, recurrentActivation);
            return;
        }

        int width = 3 * units;
        Span<float> g = gates.Slice(0, width);
        Span<float> recurrent = scratch.Slice(0, width);
        MatrixKernels.Affine(input.Slice(0, inputSize), kernel, default, default, bias.Slice(0, width), g);
        MatrixKernels.Affine(hidden.Slice(0, units), recurrentKernel, default, default, bias.Slice(width, width), recurrent);
        UpdateResetAfter(g, recurrent, candidates, hidden, hidden, units, activation, recurrentActivation);
    }
}
