using System;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace RnnCompiler.Benchmarks.Torch;

/// <summary>
/// Copies a generated model's weights (Keras's layout, <c>Parameters</c>) into PyTorch modules: the inverse of the
/// runtime's <c>PyTorchLayout</c>, which reads PyTorch state dicts. Kernels are transposed ([in, G·u] → [G·u, in]);
/// LSTM gate blocks are i, f, g, o in both; GRU blocks are z, r, h in Keras and r, z, n in PyTorch. Keras's LSTM has one
/// bias (PyTorch's <c>bias_ih</c>, with <c>bias_hh</c> zero); a reset-after GRU's [2, 3u] bias is the input bias
/// (<c>bias_ih</c>) and the recurrent bias (<c>bias_hh</c>), the split that makes r·(U·h + b_hh) the same in both.
/// </summary>
internal static class TorchLayout
{
    /// <summary>
    /// Copies one recurrent layer that starts at <paramref name="offset"/> of <paramref name="parameters"/> into the
    /// four tensors PyTorch names <c>weight_ih</c>, <c>weight_hh</c>, <c>bias_ih</c>, <c>bias_hh</c> (of a cell, or
    /// <c>…_l0</c> of <c>nn.LSTM</c>). Returns the offset after the layer.
    /// </summary>
    public static int CopyRecurrent(RecurrentKind kind, ReadOnlySpan<float> parameters, int offset, int inputSize, int units,
        Tensor weightIh, Tensor weightHh, Tensor biasIh, Tensor biasHh)
    {
        bool lstm = kind == RecurrentKind.Lstm;
        int gates = lstm ? 4 : 3;
        int width = gates * units;
        ReadOnlySpan<float> kernel = parameters.Slice(offset, inputSize * width);
        ReadOnlySpan<float> recurrent = parameters.Slice(offset + inputSize * width, units * width);
        ReadOnlySpan<float> bias = parameters.Slice(offset + (inputSize + units) * width, lstm ? width : 2 * width);

        var wIh = new float[width * inputSize];
        var wHh = new float[width * units];
        var bIh = new float[width];
        var bHh = new float[width];
        for (int torchGate = 0; torchGate < gates; torchGate++)
        {
            // The Keras block that holds PyTorch's block: GRU r ↔ z swap places, the rest keep theirs.
            int kerasGate = !lstm && torchGate < 2 ? 1 - torchGate : torchGate;
            for (int j = 0; j < units; j++)
            {
                int row = torchGate * units + j;
                int column = kerasGate * units + j;
                for (int i = 0; i < inputSize; i++) wIh[row * inputSize + i] = kernel[i * width + column];
                for (int k = 0; k < units; k++) wHh[row * units + k] = recurrent[k * width + column];
                bIh[row] = bias[column];
                bHh[row] = lstm ? 0f : bias[width + column];
            }
        }

        Copy(weightIh, wIh);
        Copy(weightHh, wHh);
        Copy(biasIh, bIh);
        Copy(biasHh, bHh);
        return offset + (inputSize + units) * width + bias.Length;
    }

    /// <summary>Copies a Dense layer (Keras kernel [in, out], bias [out]) into <paramref name="linear"/> (weight [out, in]). Returns the offset after it.</summary>
    public static int CopyDense(ReadOnlySpan<float> parameters, int offset, Linear linear)
    {
        int outputs = (int)linear.out_features, inputs = (int)linear.in_features;
        var weight = new float[outputs * inputs];
        for (int i = 0; i < inputs; i++)
        {
            for (int o = 0; o < outputs; o++) weight[o * inputs + i] = parameters[offset + i * outputs + o];
        }

        Copy(linear.weight!, weight);
        Copy(linear.bias!, parameters.Slice(offset + inputs * outputs, outputs).ToArray());
        return offset + inputs * outputs + outputs;
    }

    /// <summary>Copies an Embedding table ([vocabulary, dimensions] in both). Returns the offset after it.</summary>
    public static int CopyEmbedding(ReadOnlySpan<float> parameters, int offset, Embedding embedding)
    {
        Tensor table = embedding.weight!;
        int count = (int)table.numel();
        Copy(table, parameters.Slice(offset, count).ToArray());
        return offset + count;
    }

    /// <summary>Overwrites <paramref name="target"/> (a parameter: outside autograd) with <paramref name="values"/>, row-major.</summary>
    private static void Copy(Tensor target, float[] values)
    {
        if (target.numel() != values.Length)
        {
            throw new InvalidOperationException($"Tensor of shape [{string.Join(", ", target.shape)}] cannot take {values.Length} values.");
        }

        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        target.copy_(tensor(values).reshape(target.shape));
    }
}
