using System;
using System.Linq;
using RnnCompiler.Tests.Models;
using RnnCompiler.Tests.Oracles;
using Xunit;

namespace RnnCompiler.Tests.EndToEnd;

/// <summary>Generated models against ONNX Runtime's RNN, LSTM and GRU operators on the same weights.</summary>
public class OnnxAgreementTests
{
    private const int Features = 5;

    public static TheoryData<string, int> Cases()
    {
        var data = new TheoryData<string, int>();
        foreach (string kind in new[] { "SimpleRnnTanh", "Lstm", "GruAfter", "GruBefore" })
        {
            foreach (int units in new[] { 1, 3, 13, 33 })
            {
                data.Add(kind, units);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Forward_layer_equals_onnx(string kind, int units)
    {
        (float[] ours, float[] parameters, float[] inputs, int steps) = Run(kind + units, units);
        float[] onnx = RunOnnx(kind, units, parameters, inputs, steps, OnnxDirection.Forward, directions: 1);
        TestData.AssertClose(onnx, ours, 1e-5, $"{kind}{units} forward");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Bidirectional_layer_equals_onnx_bidirectional_and_its_backward_half_equals_onnx_reverse(string kind, int units)
    {
        (float[] ours, float[] parameters, float[] inputs, int steps) = Run("Bi" + kind.Replace("Tanh", string.Empty) + units, units);
        float[] onnx = RunOnnx(kind, units, parameters, inputs, steps, OnnxDirection.Bidirectional, directions: 2);
        TestData.AssertClose(onnx, ours, 1e-5, $"{kind}{units} bidirectional");

        // The backward direction alone: ONNX's reverse direction with the backward weights.
        int perDirection = parameters.Length / 2;
        float[] reverse = RunOnnx(kind, units, parameters[perDirection..], inputs, steps, OnnxDirection.Reverse, directions: 1);
        float[] backwardHalf = Enumerable.Range(0, steps).SelectMany(t => ours.Skip((2 * t + 1) * units).Take(units)).ToArray();
        TestData.AssertClose(reverse, backwardHalf, 1e-5, $"{kind}{units} reverse");
    }

    private static (float[] Outputs, float[] Parameters, float[] Inputs, int Steps) Run(string name, int units)
    {
        var model = (IFeatureModel<float>)ModelCase.Get(name).Create();
        ModelInfo info = model.Info;
        float[] parameters = TestData.Parameters(info, seed: 17 + units);
        parameters.CopyTo(model.Parameters);
        int steps = info.SequenceLength;
        float[] inputs = TestData.Uniform(steps * Features, seed: 5, scale: 1f);
        var outputs = new float[steps * info.OutputUnits];
        model.Predict(inputs, outputs);
        return (outputs, parameters, inputs, steps);
    }

    /// <summary>Splits a layer's flat Keras parameters into per-direction kernel, recurrent kernel and bias, and runs ONNX.</summary>
    private static float[] RunOnnx(string kind, int units, float[] parameters, float[] inputs, int steps, OnnxDirection direction, int directions)
    {
        int gates = kind switch { "Lstm" => 4, "SimpleRnnTanh" => 1, _ => 3 };
        int width = gates * units;
        int biasLength = kind == "GruAfter" ? 2 * width : width;
        var kernel = new float[directions][];
        var recurrent = new float[directions][];
        var bias = new float[directions][];
        int offset = 0;
        for (int d = 0; d < directions; d++)
        {
            kernel[d] = parameters.AsSpan(offset, Features * width).ToArray();
            offset += Features * width;
            recurrent[d] = parameters.AsSpan(offset, units * width).ToArray();
            offset += units * width;
            bias[d] = parameters.AsSpan(offset, biasLength).ToArray();
            offset += biasLength;
        }

        return kind switch
        {
            "SimpleRnnTanh" => OnnxRecurrentOracle.RunSimpleRnn(Features, units, kernel, recurrent, bias, inputs, steps, direction),
            "Lstm" => OnnxRecurrentOracle.RunLstm(Features, units, kernel, recurrent, bias, inputs, steps, direction),
            _ => OnnxRecurrentOracle.RunGru(Features, units, kernel, recurrent, bias, kind == "GruAfter", inputs, steps, direction),
        };
    }
}
