using System;
using Microsoft.ML.OnnxRuntime;

namespace RnnCompiler.Tests.Oracles;

public enum OnnxDirection { Forward, Reverse, Bidirectional }

/// <summary>
/// Runs one ONNX recurrent operator (<c>RNN</c>, <c>LSTM</c> or <c>GRU</c>, opset 14) in ONNX Runtime, as an oracle
/// independent of both the generated code and the naive reference. Weights are taken in Keras layout, per direction
/// (kernel [in, G·u], recurrent kernel [u, G·u], bias as in the flat vector); the conversion to ONNX is done here:
/// W [dirs, G·u, in] and R [dirs, G·u, u] are the transposes, B [dirs, 2·G·u] = (Wb, Rb), gate blocks reordered
/// from Keras (LSTM i, f, c, o; GRU z, r, h) to ONNX (LSTM i, o, f, c; GRU z, r, h).
/// </summary>
public static class OnnxRecurrentOracle
{
    private const long IrVersion = 8;
    private const long OpsetVersion = 14;

    // For each ONNX gate block, the Keras gate block that fills it.
    private static readonly int[] SimpleRnnGates = [0];
    private static readonly int[] LstmGates = [0, 3, 1, 2]; // ONNX i, o, f, c ← Keras i(0), o(3), f(1), c(2)
    private static readonly int[] GruGates = [0, 1, 2];     // z, r, h in both

    /// <summary>
    /// Runs ONNX <c>RNN</c>. <paramref name="activation"/> is an ONNX activation name ("Tanh", "Relu", "Sigmoid").
    /// Returns Y as [steps, numDirections, units].
    /// </summary>
    public static float[] RunSimpleRnn(int inputSize, int units, float[][] kernel, float[][] recurrentKernel, float[][] bias, float[] x, int steps, OnnxDirection direction, string activation = "Tanh")
    {
        var directions = Directions(direction);
        CheckBias(bias, directions, units, 1);
        var (w, r, b) = Convert(inputSize, units, SimpleRnnGates, kernel, recurrentKernel, bias, biasHasRecurrentRow: false, directions);
        var activations = new string[directions];
        Array.Fill(activations, activation);
        return Run("RNN", inputSize, units, 1, w, r, b, x, steps, direction, node => node.StringsAttribute("activations", activations));
    }

    /// <summary>Runs ONNX <c>LSTM</c> (no peepholes, no clipping). Returns Y as [steps, numDirections, units].</summary>
    public static float[] RunLstm(int inputSize, int units, float[][] kernel, float[][] recurrentKernel, float[][] bias, float[] x, int steps, OnnxDirection direction)
    {
        var directions = Directions(direction);
        CheckBias(bias, directions, units, 4);
        var (w, r, b) = Convert(inputSize, units, LstmGates, kernel, recurrentKernel, bias, biasHasRecurrentRow: false, directions);
        return Run("LSTM", inputSize, units, 4, w, r, b, x, steps, direction, _ => { });
    }

    /// <summary>
    /// Runs ONNX <c>GRU</c>; <paramref name="resetAfter"/> maps to <c>linear_before_reset</c>, and then each bias is
    /// Keras's [2, 3u] (input row, recurrent row), otherwise [3u]. Returns Y as [steps, numDirections, units].
    /// </summary>
    public static float[] RunGru(int inputSize, int units, float[][] kernel, float[][] recurrentKernel, float[][] bias, bool resetAfter, float[] x, int steps, OnnxDirection direction)
    {
        var directions = Directions(direction);
        CheckBias(bias, directions, units, resetAfter ? 6 : 3);
        var (w, r, b) = Convert(inputSize, units, GruGates, kernel, recurrentKernel, bias, biasHasRecurrentRow: resetAfter, directions);
        return Run("GRU", inputSize, units, 3, w, r, b, x, steps, direction, node => node.IntAttribute("linear_before_reset", resetAfter ? 1 : 0));
    }

    private static int Directions(OnnxDirection direction) => direction == OnnxDirection.Bidirectional ? 2 : 1;

    private static void CheckBias(float[][] bias, int directions, int units, int perUnit)
    {
        ArgumentNullException.ThrowIfNull(bias);
        if (bias.Length != directions)
        {
            throw new ArgumentException($"Expected {directions} bias arrays (one per direction), got {bias.Length}.", nameof(bias));
        }

        foreach (var b in bias)
        {
            if (b.Length != perUnit * units)
            {
                throw new ArgumentException($"Expected a bias of {perUnit * units} values per direction, got {b.Length}.", nameof(bias));
            }
        }
    }

    private static (float[] W, float[] R, float[] B) Convert(int inputSize, int units, int[] gateMap, float[][] kernel, float[][] recurrentKernel, float[][] bias, bool biasHasRecurrentRow, int directions)
    {
        ArgumentNullException.ThrowIfNull(kernel);
        ArgumentNullException.ThrowIfNull(recurrentKernel);
        if (kernel.Length != directions || recurrentKernel.Length != directions)
        {
            throw new ArgumentException($"Expected {directions} kernel and recurrent kernel arrays (one per direction).");
        }

        var gates = gateMap.Length;
        var gu = gates * units;
        var w = new float[directions * gu * inputSize];
        var r = new float[directions * gu * units];
        var b = new float[directions * 2 * gu];
        for (var d = 0; d < directions; d++)
        {
            if (kernel[d].Length != inputSize * gu || recurrentKernel[d].Length != units * gu)
            {
                throw new ArgumentException($"Direction {d}: expected kernel [{inputSize}, {gu}] and recurrent kernel [{units}, {gu}].");
            }

            for (var onnxGate = 0; onnxGate < gates; onnxGate++)
            {
                var kerasGate = gateMap[onnxGate];
                for (var j = 0; j < units; j++)
                {
                    var onnxRow = onnxGate * units + j;
                    var kerasColumn = kerasGate * units + j;

                    // W[d, row, i] = K[i, column]; R[d, row, k] = RK[k, column].
                    for (var i = 0; i < inputSize; i++)
                    {
                        w[(d * gu + onnxRow) * inputSize + i] = kernel[d][i * gu + kerasColumn];
                    }

                    for (var k = 0; k < units; k++)
                    {
                        r[(d * gu + onnxRow) * units + k] = recurrentKernel[d][k * gu + kerasColumn];
                    }

                    // B[d] = (Wb, Rb). Keras's single bias is the input bias; a second row (GRU reset_after) is Rb.
                    b[d * 2 * gu + onnxRow] = bias[d][kerasColumn];
                    b[d * 2 * gu + gu + onnxRow] = biasHasRecurrentRow ? bias[d][gu + kerasColumn] : 0f;
                }
            }
        }

        return (w, r, b);
    }

    private static float[] Run(string opType, int inputSize, int units, int gates, float[] w, float[] r, float[] b, float[] x, int steps, OnnxDirection direction, Action<OnnxProtoWriter> extraAttributes)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (steps < 1 || x.Length != steps * inputSize)
        {
            throw new ArgumentException($"Expected {steps} x {inputSize} inputs, got {x.Length}.", nameof(x));
        }

        var directions = Directions(direction);
        var directionName = direction switch
        {
            OnnxDirection.Forward => "forward",
            OnnxDirection.Reverse => "reverse",
            _ => "bidirectional",
        };

        var model = OnnxProtoWriter.Model(IrVersion, OpsetVersion, graph =>
        {
            graph.Node(opType, "recurrent", ["X", "W", "R", "B"], ["Y", "Y_h"], node =>
            {
                node.IntAttribute("hidden_size", units).StringAttribute("direction", directionName);
                extraAttributes(node);
            });
            graph.GraphName("oracle");
            graph.FloatInitializer("W", [directions, gates * units, inputSize], w);
            graph.FloatInitializer("R", [directions, gates * units, units], r);
            graph.FloatInitializer("B", [directions, 2 * gates * units], b);
            graph.FloatInput("X", steps, 1, inputSize);
            graph.FloatOutput("Y", steps, directions, 1, units);
            graph.FloatOutput("Y_h", directions, 1, units);
        });

        using var options = new SessionOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1 };
        using var session = new InferenceSession(model, options);
        using var input = OrtValue.CreateTensorValueFromMemory(x, [steps, 1, inputSize]);
        using var runOptions = new RunOptions();
        using var outputs = session.Run(runOptions, ["X"], [input], ["Y"]);

        // Y is [steps, directions, batch = 1, units]; with batch 1 that is [steps, directions, units] in memory.
        return outputs[0].GetTensorDataAsSpan<float>().ToArray();
    }
}
