using System;
using System.Collections.Generic;
using Microsoft.ML.OnnxRuntime;
using RnnCompiler.Tests.Oracles;
using RnnCompiler.Weights;

namespace RnnCompiler.Benchmarks;

/// <summary>
/// Greedy decoding of <see cref="TranslationBench"/> in ONNX Runtime, one thread: two hand-built graphs on the
/// generated model's weights and a C# loop, as an ONNX user would deploy an encoder-decoder.
/// <list type="bullet">
/// <item><description>The encoder graph: <c>Gather</c> (the source table) → <c>LSTM</c> over the source's real tokens
/// → its outputs <c>Y</c> flattened to the memory [T, 128], and its final <c>Y_h</c>, <c>Y_c</c>.</description></item>
/// <item><description>The decoder-step graph: <c>Gather</c> (the target table) → one <c>LSTM</c> step from
/// <c>initial_h</c>, <c>initial_c</c> → the scores h·memoryᵀ (<c>Gemm</c>, <c>transB = 1</c>) → <c>Softmax</c> →
/// the context weights·memory (<c>MatMul</c>) → <c>Concat</c> [h, context] → <c>Gemm</c> (Dense) →
/// <c>Softmax</c>.</description></item>
/// </list>
/// <see cref="Decode"/> runs the encoder once and the step graph up to 11 times, each step reading the token the
/// step before picked (the start token first) until the end token, as the generated <c>Decode</c> does. Every input
/// and output is bound once to a pre-allocated buffer through <see cref="OrtIoBinding"/>: the encoder writes the
/// memory and the decoder's first state straight into the buffers the step graph reads, and the steps carry h and c by
/// alternating two bindings (A → B, then B → A), so a call allocates nothing in ONNX Runtime's tensors.
/// </summary>
/// <remarks>
/// The graphs are built for one source length (the memory's T is a fixed dimension): the benchmark decodes one fixed
/// source. Keras's LSTM gates i, f, c, o become ONNX's i, o, f, c, and its kernels [in, 4u] ONNX's W [4u, in].
/// </remarks>
public sealed class Seq2SeqOnnxPeer : IDisposable
{
    private const long IrVersion = 8;
    private const long OpsetVersion = 14;
    private const int Units = 128;

    private readonly InferenceSession _encoder;
    private readonly InferenceSession _step;
    private readonly RunOptions _runOptions = new();
    private readonly OrtIoBinding _encoderBinding;
    private readonly OrtIoBinding[] _stepBindings = new OrtIoBinding[2];
    private readonly List<OrtValue> _values = [];
    private readonly int[] _token = new int[1];
    private readonly float[] _probabilities;
    private readonly int _classes, _startToken, _endToken;

    /// <param name="parameters">The generated model's <c>Parameters</c>, in Keras's layout.</param>
    /// <param name="layers">The generated model's layers (<c>Info.Layers</c>): the tensors are found by their Keras names.</param>
    /// <param name="source">The source's real tokens (padding removed), which the graphs are built for.</param>
    /// <param name="steps">The decoder's most steps (<c>OutputSteps</c>).</param>
    /// <param name="startToken">The token the first step reads.</param>
    /// <param name="endToken">The token that ends decoding.</param>
    public Seq2SeqOnnxPeer(ReadOnlySpan<float> parameters, IReadOnlyList<LayerDescriptor> layers, ReadOnlySpan<int> source, int steps, int startToken, int endToken)
    {
        int length = source.Length;
        float[] sourceTable = Tensor(parameters, layers, "embedding/embeddings", out int[] sourceShape);
        float[] targetTable = Tensor(parameters, layers, "embedding_1/embeddings", out int[] targetShape);
        float[] denseKernel = Tensor(parameters, layers, "dense/kernel", out int[] denseShape);
        float[] denseBias = Tensor(parameters, layers, "dense/bias", out _);
        (_classes, _startToken, _endToken) = (denseShape[1], startToken, endToken);
        if (denseShape[0] != 2 * Units) throw new InvalidOperationException($"The Dense layer reads {denseShape[0]} values; expected [h, context], {2 * Units}.");

        Source = source.ToArray();
        Memory = new float[length * Units];
        Outputs = new float[steps * _classes];
        Tokens = new int[steps];
        _probabilities = new float[_classes];

        var options = new SessionOptions
        {
            IntraOpNumThreads = 1,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        };
        options.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");

        // The encoder: tokens [T, 1] → Gather → X [T, 1, 24] → LSTM → Y [T, 1, 1, 128] → Flatten → Memory [T, 128]; H, C [1, 1, 128].
        (float[] encoderW, float[] encoderR, float[] encoderB) = OnnxLstm(parameters, layers, "lstm", sourceShape[1]);
        byte[] encoder = OnnxProtoWriter.Model(IrVersion, OpsetVersion, graph =>
        {
            graph.Node("Gather", "source_table", ["Table", "Source"], ["X"], _ => { });
            graph.Node("LSTM", "encoder", ["X", "W", "R", "B"], ["Y", "H", "C"], node => node.IntAttribute("hidden_size", Units));
            graph.Node("Flatten", "memory", ["Y"], ["Memory"], node => node.IntAttribute("axis", 1));
            graph.GraphName("encoder");
            graph.FloatInitializer("Table", [sourceShape[0], sourceShape[1]], sourceTable);
            graph.FloatInitializer("W", [1, 4 * Units, sourceShape[1]], encoderW);
            graph.FloatInitializer("R", [1, 4 * Units, Units], encoderR);
            graph.FloatInitializer("B", [1, 8 * Units], encoderB);
            Int32Input(graph, "Source", length, 1);
            graph.FloatOutput("Memory", length, Units);
            graph.FloatOutput("H", 1, 1, Units);
            graph.FloatOutput("C", 1, 1, Units);
        });

        // One decoder step: token [1, 1] → Gather → X [1, 1, 12] → LSTM from (H0, C0) → Hn → h [1, 128];
        // scores = h·Memoryᵀ [1, T] → Softmax → context = weights·Memory [1, 128] → [h, context] → Gemm → Softmax.
        (float[] decoderW, float[] decoderR, float[] decoderB) = OnnxLstm(parameters, layers, "lstm_1", targetShape[1]);
        byte[] step = OnnxProtoWriter.Model(IrVersion, OpsetVersion, graph =>
        {
            graph.Node("Gather", "target_table", ["Table", "Token"], ["X"], _ => { });
            graph.Node("LSTM", "decoder", ["X", "W", "R", "B", "", "H0", "C0"], ["", "Hn", "Cn"], node => node.IntAttribute("hidden_size", Units));
            graph.Node("Flatten", "query", ["Hn"], ["Query"], node => node.IntAttribute("axis", 2));
            graph.Node("Gemm", "scores", ["Query", "Memory"], ["Scores"], node => node.IntAttribute("transB", 1));
            graph.Node("Softmax", "attention", ["Scores"], ["Weights"], node => node.IntAttribute("axis", 1));
            graph.Node("MatMul", "context", ["Weights", "Memory"], ["Context"], _ => { });
            graph.Node("Concat", "join", ["Query", "Context"], ["Joined"], node => node.IntAttribute("axis", 1));
            graph.Node("Gemm", "dense", ["Joined", "DenseW", "DenseB"], ["Logits"], _ => { });
            graph.Node("Softmax", "output", ["Logits"], ["Probabilities"], node => node.IntAttribute("axis", 1));
            graph.GraphName("decoder_step");
            graph.FloatInitializer("Table", [targetShape[0], targetShape[1]], targetTable);
            graph.FloatInitializer("W", [1, 4 * Units, targetShape[1]], decoderW);
            graph.FloatInitializer("R", [1, 4 * Units, Units], decoderR);
            graph.FloatInitializer("B", [1, 8 * Units], decoderB);
            graph.FloatInitializer("DenseW", [denseShape[0], denseShape[1]], denseKernel);
            graph.FloatInitializer("DenseB", [denseShape[1]], denseBias);
            Int32Input(graph, "Token", 1, 1);
            graph.FloatInput("H0", 1, 1, Units);
            graph.FloatInput("C0", 1, 1, Units);
            graph.FloatInput("Memory", length, Units);
            graph.FloatOutput("Probabilities", 1, _classes);
            graph.FloatOutput("Hn", 1, 1, Units);
            graph.FloatOutput("Cn", 1, 1, Units);
        });

        _encoder = new InferenceSession(encoder, options);
        _step = new InferenceSession(step, options);

        OrtValue sourceValue = Value(OrtValue.CreateTensorValueFromMemory(Source, [length, 1]));
        OrtValue memory = Value(OrtValue.CreateTensorValueFromMemory(Memory, [length, Units]));
        OrtValue token = Value(OrtValue.CreateTensorValueFromMemory(_token, [1, 1]));
        OrtValue probabilities = Value(OrtValue.CreateTensorValueFromMemory(_probabilities, [1, _classes]));
        var hidden = new OrtValue[2];
        var cell = new OrtValue[2];
        for (int i = 0; i < 2; i++)
        {
            hidden[i] = Value(OrtValue.CreateTensorValueFromMemory(new float[Units], [1, 1, Units]));
            cell[i] = Value(OrtValue.CreateTensorValueFromMemory(new float[Units], [1, 1, Units]));
        }

        // The encoder writes the memory and the decoder's first state (into state A).
        _encoderBinding = _encoder.CreateIoBinding();
        _encoderBinding.BindInput("Source", sourceValue);
        _encoderBinding.BindOutput("Memory", memory);
        _encoderBinding.BindOutput("H", hidden[0]);
        _encoderBinding.BindOutput("C", cell[0]);
        for (int from = 0; from < 2; from++)
        {
            int to = 1 - from;
            OrtIoBinding binding = _step.CreateIoBinding();
            binding.BindInput("Token", token);
            binding.BindInput("H0", hidden[from]);
            binding.BindInput("C0", cell[from]);
            binding.BindInput("Memory", memory);
            binding.BindOutput("Probabilities", probabilities);
            binding.BindOutput("Hn", hidden[to]);
            binding.BindOutput("Cn", cell[to]);
            _stepBindings[from] = binding;
        }
    }

    /// <summary>The source's real tokens, bound to the encoder's input.</summary>
    public int[] Source { get; }

    /// <summary>The encoder's outputs, [T, 128]: the attention's memory.</summary>
    public float[] Memory { get; }

    /// <summary>Each step's probabilities, [steps, classes]; zeros after the end token, as the generated <c>Predict</c> writes them.</summary>
    public float[] Outputs { get; }

    /// <summary>The token each step picked, the end token after it.</summary>
    public int[] Tokens { get; }

    /// <summary>Greedy decoding of <see cref="Source"/>: the encoder, then a step per token up to the end token.</summary>
    /// <returns>The number of tokens before the end token (all the steps when it never comes).</returns>
    public int Decode()
    {
        _encoder.RunWithBinding(_runOptions, _encoderBinding);
        int steps = Tokens.Length;
        int token = _startToken;
        Array.Clear(Outputs);
        Array.Fill(Tokens, _endToken);
        for (int t = 0; t < steps; t++)
        {
            _token[0] = token;
            _step.RunWithBinding(_runOptions, _stepBindings[t & 1]);
            _probabilities.CopyTo(Outputs, t * _classes);
            token = 0;
            for (int j = 1; j < _classes; j++) token = _probabilities[j] > _probabilities[token] ? j : token;
            Tokens[t] = token;
            if (token == _endToken) return t;
        }

        return steps;
    }

    public void Dispose()
    {
        _encoderBinding.Dispose();
        foreach (OrtIoBinding binding in _stepBindings) binding.Dispose();
        foreach (OrtValue value in _values) value.Dispose();
        _runOptions.Dispose();
        _encoder.Dispose();
        _step.Dispose();
    }

    private OrtValue Value(OrtValue value)
    {
        _values.Add(value);
        return value;
    }

    /// <summary>A copy of the tensor named <paramref name="name"/> (Keras's name) and its shape.</summary>
    private static float[] Tensor(ReadOnlySpan<float> parameters, IReadOnlyList<LayerDescriptor> layers, string name, out int[] shape)
    {
        foreach (LayerDescriptor layer in layers)
        {
            foreach (TensorDescriptor tensor in layer.Tensors)
            {
                if (tensor.Name == name)
                {
                    shape = tensor.Shape;
                    return parameters.Slice(tensor.Offset, tensor.Length).ToArray();
                }
            }
        }

        throw new InvalidOperationException($"The model has no tensor {name}.");
    }

    /// <summary>
    /// ONNX's W [1, 4u, in], R [1, 4u, u] and B [1, 8u] (Wb, then Rb = 0) from Keras's LSTM <paramref name="layer"/>:
    /// kernels transposed, gate blocks reordered from i, f, c, o to i, o, f, c.
    /// </summary>
    private static (float[] W, float[] R, float[] B) OnnxLstm(ReadOnlySpan<float> parameters, IReadOnlyList<LayerDescriptor> layers, string layer, int inputSize)
    {
        const int gu = 4 * Units;
        float[] kernel = Tensor(parameters, layers, $"{layer}/kernel", out int[] kernelShape);
        float[] recurrent = Tensor(parameters, layers, $"{layer}/recurrent_kernel", out _);
        float[] bias = Tensor(parameters, layers, $"{layer}/bias", out _);
        if (kernelShape[0] != inputSize || kernelShape[1] != gu) throw new InvalidOperationException($"{layer}/kernel is [{string.Join(", ", kernelShape)}]; expected [{inputSize}, {gu}].");

        ReadOnlySpan<int> gateMap = [0, 3, 1, 2]; // ONNX i, o, f, c ← Keras i, f, c, o
        var w = new float[gu * inputSize];
        var r = new float[gu * Units];
        var b = new float[2 * gu];
        for (int onnxGate = 0; onnxGate < 4; onnxGate++)
        {
            for (int j = 0; j < Units; j++)
            {
                int row = onnxGate * Units + j;
                int column = gateMap[onnxGate] * Units + j;
                for (int i = 0; i < inputSize; i++) w[row * inputSize + i] = kernel[i * gu + column];
                for (int k = 0; k < Units; k++) r[row * Units + k] = recurrent[k * gu + column];
                b[row] = bias[column];
            }
        }

        return (w, r, b);
    }

    // GraphProto.input = 11 → ValueInfoProto: name = 1, type = 2 → TypeProto.tensor_type = 1 → elem_type = 1 (INT32 = 6),
    // shape = 2 → TensorShapeProto.dim = 1 → dim_value = 1. OnnxProtoWriter writes float inputs only.
    private static void Int32Input(OnnxProtoWriter graph, string name, params long[] dims) =>
        graph.Message(11, value => value.String(1, name).Message(2, type => type.Message(1, tensor =>
        {
            tensor.Int(1, 6);
            tensor.Message(2, shape =>
            {
                foreach (long dim in dims) shape.Message(1, d => d.Int(1, dim));
            });
        })));
}
