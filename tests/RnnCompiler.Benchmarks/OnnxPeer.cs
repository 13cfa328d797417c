using System;
using System.Buffers.Binary;
using Microsoft.ML.OnnxRuntime;
using RnnCompiler.Tests.Oracles;

namespace RnnCompiler.Benchmarks;

/// <summary>The recurrent operator of the ONNX peer.</summary>
public enum RecurrentKind { Lstm, Gru }

/// <summary>
/// The same network as a generated model, as an ONNX graph (<c>LSTM</c> or <c>GRU</c>, then <c>Reshape</c> and
/// <c>Gemm</c> for the Dense layer) run by ONNX Runtime on one thread. Every input and output is bound once to a
/// pre-allocated buffer through <see cref="OrtIoBinding"/>, so a call allocates nothing in ONNX Runtime's tensors.
/// Streaming carries h (and c) between calls by alternating two bindings: A → B, then B → A.
/// </summary>
public sealed class OnnxPeer : IDisposable
{
    private const long IrVersion = 8;
    private const long OpsetVersion = 14;

    private readonly InferenceSession _session;
    private readonly RunOptions _runOptions = new();
    private readonly OrtIoBinding[] _bindings;
    private readonly OrtValue[] _values;
    private readonly float[][] _hidden = new float[2][];
    private readonly float[][] _cell = new float[2][];
    private int _next;

    /// <param name="kind">LSTM or GRU (reset after, <c>linear_before_reset=1</c>).</param>
    /// <param name="inputSize">Features per step.</param>
    /// <param name="units">The recurrent layer's units.</param>
    /// <param name="outputs">The Dense layer's units.</param>
    /// <param name="steps">Steps per call: 1 when <paramref name="streaming"/>.</param>
    /// <param name="streaming">Carry the state from call to call (inputs initial_h/initial_c, outputs Y_h/Y_c).</param>
    /// <param name="parameters">The generated model's <c>Parameters</c>, in Keras's layout.</param>
    /// <param name="batch">Sequences per call, or streams stepped together: X is ONNX's [steps, batch, features], Out [batch, outputs], the states [1, batch, units].</param>
    public OnnxPeer(RecurrentKind kind, int inputSize, int units, int outputs, int steps, bool streaming, ReadOnlySpan<float> parameters, int batch = 1)
    {
        Input = new float[steps * batch * inputSize];
        Output = new float[batch * outputs];
        byte[] model = Build(kind, inputSize, units, outputs, steps, streaming, parameters, batch);
        var options = new SessionOptions
        {
            IntraOpNumThreads = 1,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        };
        options.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
        _session = new InferenceSession(model, options);

        var x = OrtValue.CreateTensorValueFromMemory(Input, [steps, batch, inputSize]);
        var y = OrtValue.CreateTensorValueFromMemory(Output, [batch, outputs]);
        if (!streaming)
        {
            var binding = _session.CreateIoBinding();
            binding.BindInput("X", x);
            binding.BindOutput("Out", y);
            _bindings = [binding];
            _values = [x, y];
            return;
        }

        bool lstm = kind == RecurrentKind.Lstm;
        var states = new OrtValue[4];
        for (int i = 0; i < 2; i++)
        {
            _hidden[i] = new float[batch * units];
            _cell[i] = new float[batch * units];
            states[i] = OrtValue.CreateTensorValueFromMemory(_hidden[i], [1, batch, units]);
            states[2 + i] = OrtValue.CreateTensorValueFromMemory(_cell[i], [1, batch, units]);
        }

        _bindings = new OrtIoBinding[2];
        for (int from = 0; from < 2; from++)
        {
            int to = 1 - from;
            var binding = _session.CreateIoBinding();
            binding.BindInput("X", x);
            binding.BindInput("H0", states[from]);
            binding.BindOutput("Out", y);
            binding.BindOutput("Hn", states[to]);
            if (lstm)
            {
                binding.BindInput("C0", states[2 + from]);
                binding.BindOutput("Cn", states[2 + to]);
            }

            _bindings[from] = binding;
        }

        _values = [x, y, .. states];
    }

    /// <summary>The input buffer bound to X: [steps, batch, features].</summary>
    public float[] Input { get; }

    /// <summary>The output buffer bound to the Dense layer's output.</summary>
    public float[] Output { get; }

    /// <summary>One run: a streaming step (the state carried over), or a whole sequence from a zero state.</summary>
    public void Run()
    {
        _session.RunWithBinding(_runOptions, _bindings[_next]);
        if (_bindings.Length == 2)
        {
            _next = 1 - _next;
        }
    }

    /// <summary>Zeroes the carried state.</summary>
    public void ResetState()
    {
        foreach (var buffer in _hidden) Array.Clear(buffer ?? []);
        foreach (var buffer in _cell) Array.Clear(buffer ?? []);
        _next = 0;
    }

    public void Dispose()
    {
        foreach (var binding in _bindings) binding.Dispose();
        foreach (var value in _values) value.Dispose();
        _runOptions.Dispose();
        _session.Dispose();
    }

    private static byte[] Build(RecurrentKind kind, int inputSize, int units, int outputs, int steps, bool streaming, ReadOnlySpan<float> parameters, int batch)
    {
        bool lstm = kind == RecurrentKind.Lstm;
        int gates = lstm ? 4 : 3;
        int gu = gates * units;
        int[] gateMap = lstm ? [0, 3, 1, 2] : [0, 1, 2]; // ONNX LSTM i, o, f, c ← Keras i, f, c, o; GRU z, r, h in both
        ReadOnlySpan<float> kernel = parameters.Slice(0, inputSize * gu);
        ReadOnlySpan<float> recurrent = parameters.Slice(inputSize * gu, units * gu);
        int biasLength = lstm ? gu : 2 * gu;
        ReadOnlySpan<float> bias = parameters.Slice((inputSize + units) * gu, biasLength);
        int denseOffset = (inputSize + units) * gu + biasLength;
        float[] denseKernel = parameters.Slice(denseOffset, units * outputs).ToArray();
        float[] denseBias = parameters.Slice(denseOffset + units * outputs, outputs).ToArray();

        // W [1, G·u, in] and R [1, G·u, u] are the transposes of Keras's kernels; B [1, 2·G·u] = (Wb, Rb).
        var w = new float[gu * inputSize];
        var r = new float[gu * units];
        var b = new float[2 * gu];
        for (int onnxGate = 0; onnxGate < gates; onnxGate++)
        {
            for (int j = 0; j < units; j++)
            {
                int row = onnxGate * units + j;
                int column = gateMap[onnxGate] * units + j;
                for (int i = 0; i < inputSize; i++) w[row * inputSize + i] = kernel[i * gu + column];
                for (int k = 0; k < units; k++) r[row * units + k] = recurrent[k * gu + column];
                b[row] = bias[column];
                b[gu + row] = lstm ? 0f : bias[gu + column];
            }
        }

        return OnnxProtoWriter.Model(IrVersion, OpsetVersion, graph =>
        {
            string[] inputs = (lstm, streaming) switch
            {
                (true, true) => ["X", "W", "R", "B", "", "H0", "C0"],
                (false, true) => ["X", "W", "R", "B", "", "H0"],
                _ => ["X", "W", "R", "B"],
            };
            string[] results = lstm ? ["", "Hn", "Cn"] : ["", "Hn"];
            graph.Node(lstm ? "LSTM" : "GRU", "recurrent", inputs, results, node =>
            {
                node.IntAttribute("hidden_size", units);
                if (!lstm) node.IntAttribute("linear_before_reset", 1);
            });
            graph.Node("Reshape", "flatten", ["Hn", "shape"], ["H2"], _ => { });
            graph.Node("Gemm", "dense", ["H2", "DenseW", "DenseB"], ["Out"], _ => { });
            graph.GraphName("peer");
            graph.FloatInitializer("W", [1, gu, inputSize], w);
            graph.FloatInitializer("R", [1, gu, units], r);
            graph.FloatInitializer("B", [1, 2 * gu], b);
            graph.FloatInitializer("DenseW", [units, outputs], denseKernel);
            graph.FloatInitializer("DenseB", [outputs], denseBias);
            Int64Initializer(graph, "shape", [batch, units]);
            graph.FloatInput("X", steps, batch, inputSize);
            if (streaming)
            {
                graph.FloatInput("H0", 1, batch, units);
                if (lstm) graph.FloatInput("C0", 1, batch, units);
            }

            graph.FloatOutput("Out", batch, outputs);
            if (streaming)
            {
                graph.FloatOutput("Hn", 1, batch, units);
                if (lstm) graph.FloatOutput("Cn", 1, batch, units);
            }
        });
    }

    // GraphProto.initializer = 5 → TensorProto: dims = 1, data_type = 2 (INT64 = 7), name = 8, raw_data = 9.
    private static void Int64Initializer(OnnxProtoWriter graph, string name, long[] values)
    {
        var raw = new byte[values.Length * sizeof(long)];
        for (int i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteInt64LittleEndian(raw.AsSpan(i * sizeof(long)), values[i]);
        }

        graph.Message(5, tensor => tensor.Int(1, values.Length).Int(2, 7).String(8, name).Bytes(9, raw));
    }
}
