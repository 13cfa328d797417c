using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Microsoft.ML.OnnxRuntime;
using RnnCompiler.Tests.Models;
using Xunit;

namespace RnnCompiler.Tests.EndToEnd;

/// <summary>
/// SaveOnnx: ONNX Runtime runs the written file on a batch of sequences, and every sequence's outputs equal what
/// Predict gives it alone, for every declared model (every layer kind, bidirectional merge mode, activation,
/// ReturnSequences, reset_after, Embedding and Dense placement), at full and at shorter length.
/// </summary>
public class OnnxExportTests
{
    public static IEnumerable<object[]> Names() =>
        ModelCatalog.All.Where(c => !c.Layers.Any(l => l is Reference.RefSimpleRnn { Activation: Reference.RefActivation.Softmax })).Select(c => new object[] { c.Name });

    [Theory]
    [MemberData(nameof(Names))]
    public void ONNX_Runtime_on_the_exported_file_gives_what_Predict_gives(string name)
    {
        ModelCase modelCase = ModelCase.Get(name);
        IRnnModel<float> model = modelCase.Create();
        TestData.Parameters(model.Info, seed: 11 + name.Length).CopyTo(model.Parameters);
        using var file = new MemoryStream();
        model.SaveOnnx(file);
        Assert.True(file.CanWrite, "SaveOnnx must leave the stream open.");

        using var options = new SessionOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1 };
        using var session = new InferenceSession(file.ToArray(), options);
        ModelInfo info = model.Info;
        foreach (int steps in new[] { info.SequenceLength, Math.Max(1, info.SequenceLength / 2) })
        {
            const int batch = 3;
            int perOutput = info.OutputIsSequence ? steps * info.OutputUnits : info.OutputUnits;
            var expected = new float[batch * perOutput];
            OrtValue input;
            if (info.TakesTokens)
            {
                var random = new Random(steps);
                int[] tokens = Enumerable.Range(0, batch * steps).Select(_ => random.Next(info.InputWidth)).ToArray();
                for (int s = 0; s < batch; s++)
                {
                    ((ITokenModel<float>)model).Predict(tokens.AsSpan(s * steps, steps), expected.AsSpan(s * perOutput, perOutput));
                }

                input = OrtValue.CreateTensorValueFromMemory(tokens.Select(t => (long)t).ToArray(), [batch, steps]);
            }
            else
            {
                float[] inputs = TestData.Uniform(batch * steps * info.InputWidth, seed: steps, scale: 1f);
                for (int s = 0; s < batch; s++)
                {
                    ((IFeatureModel<float>)model).Predict(inputs.AsSpan(s * steps * info.InputWidth, steps * info.InputWidth), expected.AsSpan(s * perOutput, perOutput));
                }

                input = OrtValue.CreateTensorValueFromMemory(inputs, [batch, steps, info.InputWidth]);
            }

            using (input)
            using (var runOptions = new RunOptions())
            using (IDisposableReadOnlyCollection<OrtValue> outputs = session.Run(runOptions, [info.TakesTokens ? "tokens" : "inputs"], [input], ["outputs"]))
            {
                float[] actual = outputs[0].GetTensorDataAsSpan<float>().ToArray();
                Assert.Equal(expected.Length, actual.Length);
                for (int i = 0; i < expected.Length; i++)
                {
                    double tolerance = 1e-5 * Math.Max(1, Math.Abs(expected[i]));
                    Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance, $"{name}, T = {steps}, value {i}: ONNX Runtime {actual[i]}, Predict {expected[i]}");
                }
            }
        }
    }

    [Fact]
    public void A_stream_that_cannot_be_written_is_refused()
    {
        IRnnModel<float> model = ModelCase.Get("Lstm3").Create();
        var error = Assert.Throws<ArgumentException>(() => model.SaveOnnx(new MemoryStream([], writable: false)));
        Assert.Equal("stream", error.ParamName);
        Assert.Throws<ArgumentNullException>(() => model.SaveOnnx(null!));
    }
}
