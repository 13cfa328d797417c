using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Numerics;
using RnnCompiler.Weights;

namespace RnnCompiler.Export;

/// <summary>
/// Writes a model as an ONNX graph (opset 14) of standard operators: <c>Gather</c> for Embedding, <c>RNN</c>,
/// <c>LSTM</c> and <c>GRU</c> for the recurrent layers (bidirectional ones as <c>direction = "bidirectional"</c>, their
/// outputs merged with <c>Transpose</c> + <c>Reshape</c>, <c>ReduceSum</c>, <c>ReduceMean</c> or <c>ReduceProd</c>),
/// <c>MatMul</c> + <c>Add</c> and the activation for Dense, <c>Sub</c> + <c>Div</c> by the constant <c>max(sqrt(variance), 1e-7)</c> for Normalization. The graph takes a batch in Keras's layout, [N, T, features]
/// (float) or [N, T] token ids (int64), runs time-major inside, and gives [N, units] or [N, T, units].
/// </summary>
internal static class OnnxExport
{
    private const long IrVersion = 8;
    private const long OpsetVersion = 14;
    private const int FloatType = 1;
    private const int Int64Type = 7;

    // For each ONNX gate block, the Keras gate block that fills it.
    private static readonly int[] SimpleRnnGates = [0];
    private static readonly int[] LstmGates = [0, 3, 1, 2]; // ONNX i, o, f, c ← Keras i, f, c, o
    private static readonly int[] GruGates = [0, 1, 2];     // z, r, h in both

    public static void Write<T>(Stream stream, ModelInfo info, ReadOnlySpan<T> parameters, string graphName)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        var values = new float[parameters.Length];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = float.CreateTruncating(parameters[i]);
        }

        if (info.OutputSteps > 0)
        {
            throw new NotSupportedException($"The model repeats a vector over {info.OutputSteps} steps ([RepeatVector]), which the ONNX export does not write yet.");
        }

        foreach (LayerDescriptor layer in info.Layers)
        {
            if (layer.Kind == LayerKind.SimpleRnn && layer.Activation == Activation.Softmax)
            {
                throw new NotSupportedException($"Layer '{layer.Name}': ONNX's RNN operator has no softmax activation, so a SimpleRnn with Activation.Softmax cannot be exported.");
            }
        }

        var model = new OnnxWriter()
            .Int(1, IrVersion)
            .String(2, "RnnCompiler")
            .String(3, typeof(OnnxExport).Assembly.GetName().Version?.ToString() ?? "0")
            .Message(7, graph => Graph(graph, info, values, graphName))
            .Message(8, opset => opset.String(1, string.Empty).Int(2, OpsetVersion));
        model.CopyTo(stream);
    }

    private static void Graph(OnnxWriter graph, ModelInfo info, float[] values, string graphName)
    {
        graph.String(2, graphName);
        string current;
        if (info.TakesTokens)
        {
            graph.Input("tokens", Int64Type, "N", "T");
            graph.Node("Transpose", "tokens_time_major", ["tokens"], ["tokens_tm"], n => n.IntsAttribute("perm", 1, 0));
            current = "tokens_tm";
        }
        else
        {
            graph.Input("inputs", FloatType, "N", "T", info.InputWidth);
            graph.Node("Transpose", "inputs_time_major", ["inputs"], ["inputs_tm"], n => n.IntsAttribute("perm", 1, 0, 2));
            current = "inputs_tm";
        }

        bool sequence = true;
        int width = info.InputWidth;
        foreach (LayerDescriptor layer in info.Layers)
        {
            string name = layer.Name;
            switch (layer.Kind)
            {
                case LayerKind.Embedding:
                {
                    TensorDescriptor table = layer.Tensors[0];
                    graph.FloatInitializer(name + "/embeddings", [layer.InputSize, layer.Units], values.AsSpan(table.Offset, table.Length));
                    graph.Node("Gather", name, [name + "/embeddings", current], [name + "/output"], n => n.IntAttribute("axis", 0));
                    current = name + "/output";
                    width = layer.Units;
                    break;
                }

                case LayerKind.Dense:
                {
                    TensorDescriptor kernel = layer.Tensors[0];
                    TensorDescriptor bias = layer.Tensors[1];
                    graph.FloatInitializer(name + "/kernel", [layer.InputSize, layer.Units], values.AsSpan(kernel.Offset, kernel.Length));
                    graph.FloatInitializer(name + "/bias", [layer.Units], values.AsSpan(bias.Offset, bias.Length));
                    graph.Node("MatMul", name + "/matmul", [current, name + "/kernel"], [name + "/product"]);
                    graph.Node("Add", name + "/add", [name + "/product", name + "/bias"], [name + "/linear"]);
                    current = Activate(graph, name, name + "/linear", layer.Activation);
                    width = layer.Units;
                    break;
                }

                case LayerKind.Normalization:
                {
                    // (x - mean) / max(sqrt(variance), ε): the divisor is a constant, computed in float as Predict computes it.
                    TensorDescriptor mean = layer.Tensors[0];
                    TensorDescriptor variance = layer.Tensors[1];
                    var scale = new float[layer.Units];
                    for (int i = 0; i < scale.Length; i++)
                    {
                        scale[i] = MathF.Max(MathF.Sqrt(values[variance.Offset + i]), (float)Layers.NormalizationLayer.Epsilon);
                    }

                    graph.FloatInitializer(name + "/mean", [layer.Units], values.AsSpan(mean.Offset, mean.Length));
                    graph.FloatInitializer(name + "/scale", [layer.Units], scale);
                    graph.Node("Sub", name + "/sub", [current, name + "/mean"], [name + "/centred"]);
                    graph.Node("Div", name + "/div", [name + "/centred", name + "/scale"], [name + "/output"]);
                    current = name + "/output";
                    width = layer.Units;
                    break;
                }

                case LayerKind.SimpleRnn or LayerKind.Lstm or LayerKind.Gru:
                    current = Recurrent(graph, layer, values, current, out width);
                    sequence = layer.ReturnSequences;
                    break;
            }
        }

        if (sequence)
        {
            graph.Node("Transpose", "outputs_batch_major", [current], ["outputs"], n => n.IntsAttribute("perm", 1, 0, 2));
            graph.Output("outputs", FloatType, "N", "T", width);
        }
        else
        {
            graph.Node("Identity", "outputs", [current], ["outputs"]);
            graph.Output("outputs", FloatType, "N", width);
        }
    }

    private static string Activate(OnnxWriter graph, string name, string input, Activation activation)
    {
        string output = name + "/output";
        switch (activation)
        {
            case Activation.Tanh:
                graph.Node("Tanh", name + "/tanh", [input], [output]);
                break;
            case Activation.Sigmoid:
                graph.Node("Sigmoid", name + "/sigmoid", [input], [output]);
                break;
            case Activation.Relu:
                graph.Node("Relu", name + "/relu", [input], [output]);
                break;
            case Activation.HardSigmoid or Activation.HardSigmoidKeras2:
                (float alpha, float beta) = HardSigmoidSlope(activation);
                graph.Node("HardSigmoid", name + "/hard_sigmoid", [input], [output], n => n.FloatAttribute("alpha", alpha).FloatAttribute("beta", beta));
                break;
            case Activation.Softmax:
                graph.Node("Softmax", name + "/softmax", [input], [output], n => n.IntAttribute("axis", -1));
                break;
            default:
                return input;
        }

        return output;
    }

    /// <summary>ONNX's HardSigmoid is <c>max(0, min(1, alpha·x + beta))</c>: Keras 3's slope is 1/6, Keras 2's 0.2.</summary>
    private static (float Alpha, float Beta) HardSigmoidSlope(Activation activation) =>
        activation == Activation.HardSigmoidKeras2 ? (0.2f, 0.5f) : (1f / 6f, 0.5f);

    /// <summary>A recurrent operator's activation function with its alpha and beta (ONNX's defaults where it takes none).</summary>
    private static (string Name, float Alpha, float Beta) RecurrentFunction(Activation activation)
    {
        switch (activation)
        {
            case Activation.Sigmoid: return ("Sigmoid", 0f, 0f);
            case Activation.Tanh: return ("Tanh", 0f, 0f);
            case Activation.Relu: return ("Relu", 0f, 0f);
            case Activation.Linear: return ("Affine", 1f, 0f);
            case Activation.HardSigmoid or Activation.HardSigmoidKeras2:
                (float alpha, float beta) = HardSigmoidSlope(activation);
                return ("HardSigmoid", alpha, beta);
            default:
                throw new NotSupportedException($"ONNX's recurrent operators have no {activation} activation.");
        }
    }

    private static string Recurrent(OnnxWriter graph, LayerDescriptor layer, float[] values, string input, out int width)
    {
        string name = layer.Name;
        int units = layer.Units;
        int[] gateMap = layer.Kind switch { LayerKind.Lstm => LstmGates, LayerKind.Gru => GruGates, _ => SimpleRnnGates };
        int gates = gateMap.Length;
        int gu = gates * units;
        int directions = layer.Bidirectional ? 2 : 1;
        int inputSize = layer.InputSize;
        var w = new float[directions * gu * inputSize];
        var r = new float[directions * gu * units];
        var b = new float[directions * 2 * gu];
        for (int d = 0; d < directions; d++)
        {
            TensorDescriptor kernel = layer.Tensors.Single(t => t.Backward == (d == 1) && t.Role == TensorRole.Kernel);
            TensorDescriptor recurrent = layer.Tensors.Single(t => t.Backward == (d == 1) && t.Role == TensorRole.RecurrentKernel);
            TensorDescriptor bias = layer.Tensors.Single(t => t.Backward == (d == 1) && t.Role == TensorRole.Bias);
            bool recurrentBiasRow = layer.Kind == LayerKind.Gru && layer.ResetAfter;
            for (int onnxGate = 0; onnxGate < gates; onnxGate++)
            {
                int kerasGate = gateMap[onnxGate];
                for (int j = 0; j < units; j++)
                {
                    int row = (onnxGate * units) + j;
                    int column = (kerasGate * units) + j;

                    // W[d, row, i] = kernel[i, column]; R[d, row, k] = recurrent_kernel[k, column].
                    for (int i = 0; i < inputSize; i++)
                    {
                        w[(((d * gu) + row) * inputSize) + i] = values[kernel.Offset + (i * gu) + column];
                    }

                    for (int k = 0; k < units; k++)
                    {
                        r[(((d * gu) + row) * units) + k] = values[recurrent.Offset + (k * gu) + column];
                    }

                    // B[d] = (Wb, Rb): Keras's bias is the input bias; GRU reset_after's second row is Rb.
                    b[(d * 2 * gu) + row] = values[bias.Offset + column];
                    b[(d * 2 * gu) + gu + row] = recurrentBiasRow ? values[bias.Offset + gu + column] : 0f;
                }
            }
        }

        graph.FloatInitializer(name + "/W", [directions, gu, inputSize], w);
        graph.FloatInitializer(name + "/R", [directions, gu, units], r);
        graph.FloatInitializer(name + "/B", [directions, 2 * gu], b);
        string opType = layer.Kind switch { LayerKind.Lstm => "LSTM", LayerKind.Gru => "GRU", _ => "RNN" };
        graph.Node(opType, name, [input, name + "/W", name + "/R", name + "/B"], [name + "/Y", name + "/Y_h"], n =>
        {
            n.IntAttribute("hidden_size", units).StringAttribute("direction", layer.Bidirectional ? "bidirectional" : "forward");
            if (layer.Kind == LayerKind.Gru)
            {
                n.IntAttribute("linear_before_reset", layer.ResetAfter ? 1 : 0);
            }

            // The activations per direction: RNN f; GRU f (z, r) and g (ĥ); LSTM f (i, f, o), g (the candidate) and h
            // (the cell). activation_alpha and _beta hold values only for the functions that take them (Affine and
            // HardSigmoid here), in that order: ONNX Runtime gives each such function the next pair.
            Activation[] functions = layer.Kind switch
            {
                LayerKind.Lstm => [layer.RecurrentActivation, layer.Activation, layer.Activation],
                LayerKind.Gru => [layer.RecurrentActivation, layer.Activation],
                _ => [layer.Activation],
            };
            bool defaults = layer.Kind == LayerKind.SimpleRnn ? layer.Activation == Activation.Tanh
                : layer.Activation == Activation.Tanh && layer.RecurrentActivation == Activation.Sigmoid;
            if (!defaults)
            {
                var names = new List<string>();
                var alphas = new List<float>();
                var betas = new List<float>();
                for (int d = 0; d < directions; d++)
                {
                    foreach (Activation function in functions)
                    {
                        (string onnx, float alpha, float beta) = RecurrentFunction(function);
                        names.Add(onnx);
                        if (onnx is "Affine" or "HardSigmoid")
                        {
                            alphas.Add(alpha);
                            betas.Add(beta);
                        }
                    }
                }

                n.StringsAttribute("activations", names.ToArray());
                if (alphas.Count > 0)
                {
                    n.FloatsAttribute("activation_alpha", alphas.ToArray());
                    n.FloatsAttribute("activation_beta", betas.ToArray());
                }
            }
        });

        // Y is [T, directions, N, units]; Y_h is [directions, N, units].
        string output = name + "/output";
        string source = layer.ReturnSequences ? name + "/Y" : name + "/Y_h";
        int directionAxis = layer.ReturnSequences ? 1 : 0;
        width = units;
        if (directions == 1)
        {
            graph.Int64Initializer(name + "/axes", directionAxis);
            graph.Node("Squeeze", name + "/squeeze", [source, name + "/axes"], [output]);
            return output;
        }

        switch (layer.MergeMode)
        {
            case MergeMode.Sum:
                graph.Int64Initializer(name + "/axes", directionAxis);
                graph.Node("ReduceSum", name + "/merge", [source, name + "/axes"], [output], n => n.IntAttribute("keepdims", 0));
                break;
            case MergeMode.Average:
                graph.Node("ReduceMean", name + "/merge", [source], [output], n => n.IntsAttribute("axes", directionAxis).IntAttribute("keepdims", 0));
                break;
            case MergeMode.Multiply:
                graph.Node("ReduceProd", name + "/merge", [source], [output], n => n.IntsAttribute("axes", directionAxis).IntAttribute("keepdims", 0));
                break;
            default:
                // Concatenation, forward first: bring the direction next to the units, then join them.
                long[] perm = layer.ReturnSequences ? [0, 2, 1, 3] : [1, 0, 2];
                long[] shape = layer.ReturnSequences ? [0, 0, -1] : [0, -1];
                graph.Node("Transpose", name + "/directions_last", [source], [name + "/by_direction"], n => n.IntsAttribute("perm", perm));
                graph.Int64Initializer(name + "/shape", shape);
                graph.Node("Reshape", name + "/concat", [name + "/by_direction", name + "/shape"], [output]);
                width = 2 * units;
                break;
        }

        return output;
    }
}
