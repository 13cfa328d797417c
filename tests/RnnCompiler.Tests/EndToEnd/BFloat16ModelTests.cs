using System;
using System.Collections.Generic;
using System.IO;
using System.Reflection;
using RnnCompiler.Tests.Models;
using RnnCompiler.Tests.Reference;
using Xunit;
using Xunit.Abstractions;

namespace RnnCompiler.Tests.EndToEnd;

/// <summary>
/// Models declared with <c>WeightPrecision = WeightPrecision.BFloat16</c>: (1) exactly the network whose kernels are the
/// bfloat16-rounded weights (the naive double reference on those weights, within 1e-5), and (2) close to the float model
/// on the same weights. Relative error here is <c>max |bf16 − float| / max |float|</c> over every output of the run
/// (all Predict outputs of a full sequence, or every output of 40 streamed steps); the bound is 1e-2.
/// </summary>
public class BFloat16ModelTests(ITestOutputHelper output)
{
    private const double ErrorBound = 1e-2;

    public sealed record Bf16Case(string Name, Func<IRnnModel<float>> BFloat16, Func<IRnnModel<float>>? Float, RefLayer[] Layers)
    {
        public override string ToString() => Name;
    }

    private static readonly Bf16Case[] s_cases =
    {
        new("Lstm1x8x1", () => new Bf16Lstm1x8x1(), () => new F32Lstm1x8x1(), new RefLayer[] { new RefInput(1), new RefLstm(8), new RefDense(1) }),
        new("Lstm1x32x1", () => new Bf16Lstm1x32x1(), () => new F32Lstm1x32x1(), new RefLayer[] { new RefInput(1), new RefLstm(32), new RefDense(1) }),
        new("Gru1x32x1", () => new Bf16Gru1x32x1(), () => new F32Gru1x32x1(), new RefLayer[] { new RefInput(1), new RefGru(32), new RefDense(1) }),
        new("Lstm64x128x10", () => new Bf16Lstm64x128x10(), () => new F32Lstm64x128x10(), new RefLayer[] { new RefInput(64), new RefLstm(128), new RefDense(10) }),
        new("Gru64x128x10", () => new Bf16Gru64x128x10(), () => new F32Gru64x128x10(), new RefLayer[] { new RefInput(64), new RefGru(128), new RefDense(10) }),
        new("SimpleGruStack", () => new Bf16SimpleGruStack(), null, new RefLayer[] { new RefInput(5), new RefSimpleRnn(13, ReturnSequences: true), new RefGru(7, ResetAfter: false, ReturnSequences: true), new RefDense(3, RefActivation.Tanh) }),
        new("BiLstmTokens", () => new Bf16BiLstmTokens(), null, new RefLayer[] { new RefEmbedding(20, 6), new RefLstm(9, Bidirectional: true), new RefDense(4, RefActivation.Softmax) }),
        new("ActivationStack", () => new Bf16ActivationStack(), () => new F32ActivationStack(), new RefLayer[]
        {
            new RefInput(4),
            new RefLstm(16, ReturnSequences: true, Activation: RefActivation.Relu, RecurrentActivation: RefActivation.HardSigmoidKeras2),
            new RefGru(7, ResetAfter: false, ReturnSequences: true, RecurrentActivation: RefActivation.HardSigmoid),
            new RefGru(32, Activation: RefActivation.Linear, RecurrentActivation: RefActivation.HardSigmoidKeras2),
            new RefDense(2, RefActivation.HardSigmoid),
        }),
    };

    public static TheoryData<string> All() => Names(_ => true);

    public static TheoryData<string> WithFloatPeer() => Names(c => c.Float is not null);

    private static TheoryData<string> Names(Func<Bf16Case, bool> filter)
    {
        var data = new TheoryData<string>();
        foreach (Bf16Case c in s_cases)
        {
            if (filter(c))
            {
                data.Add(c.Name);
            }
        }

        return data;
    }

    private static Bf16Case Get(string name) => Array.Find(s_cases, c => c.Name == name)!;

    /// <summary>
    /// Realistic weights: Keras's initializers (glorot kernels, orthogonal recurrent kernels) and biases uniform in ±1,
    /// as the benchmarks set them, so no gate sits at a trivial value.
    /// </summary>
    internal static float[] Weights(IRnnModel<float> model, RefLayer[] layers, int seed)
    {
        model.InitializeWeights(seed);
        float[] weights = model.Parameters.ToArray();
        var random = new Random(seed);
        foreach ((int offset, int length, bool isKernel) in Tensors(layers))
        {
            bool isEmbeddingTable = layers[0] is RefEmbedding && offset == 0;
            if (!isKernel && !isEmbeddingTable)
            {
                for (int i = offset; i < offset + length; i++)
                {
                    weights[i] = (float)(random.NextDouble() * 2 - 1);
                }
            }
        }

        return weights;
    }

    /// <summary>Every tensor of the flat Keras layout with whether a product reads it (kernels) — written here from Keras's layout.</summary>
    internal static IEnumerable<(int Offset, int Length, bool IsKernel)> Tensors(RefLayer[] layers)
    {
        int offset = 0;
        int width = 0;
        foreach (RefLayer layer in layers)
        {
            switch (layer)
            {
                case RefInput input:
                    width = input.Features;
                    break;
                case RefEmbedding embedding:
                    yield return (offset, embedding.Vocabulary * embedding.Dimensions, false);
                    offset += embedding.Vocabulary * embedding.Dimensions;
                    width = embedding.Dimensions;
                    break;
                case RefDense dense:
                    yield return (offset, width * dense.Units, true);
                    offset += width * dense.Units;
                    yield return (offset, dense.Units, false);
                    offset += dense.Units;
                    width = dense.Units;
                    break;
                default:
                    (int units, int gates, int biasRows, bool bidirectional) = layer switch
                    {
                        RefSimpleRnn s => (s.Units, 1, 1, s.Bidirectional),
                        RefLstm l => (l.Units, 4, 1, l.Bidirectional),
                        RefGru g => (g.Units, 3, g.ResetAfter ? 2 : 1, g.Bidirectional),
                        _ => throw new ArgumentException(layer.ToString()),
                    };
                    for (int direction = 0; direction < (bidirectional ? 2 : 1); direction++)
                    {
                        yield return (offset, width * gates * units, true);
                        offset += width * gates * units;
                        yield return (offset, units * gates * units, true);
                        offset += units * gates * units;
                        yield return (offset, biasRows * gates * units, false);
                        offset += biasRows * gates * units;
                    }

                    width = bidirectional ? 2 * units : units;
                    break;
            }
        }
    }

    /// <summary>The weights the bfloat16 model computes with: every kernel rounded (by the test's own oracle) and widened back.</summary>
    private static float[] Rounded(float[] weights, RefLayer[] layers)
    {
        float[] rounded = (float[])weights.Clone();
        foreach ((int offset, int length, bool isKernel) in Tensors(layers))
        {
            for (int i = offset; isKernel && i < offset + length; i++)
            {
                rounded[i] = BitConverter.UInt32BitsToSingle((uint)BFloat16KernelTests.NearestBFloat16(weights[i]) << 16);
            }
        }

        return rounded;
    }

    /// <summary>A whole-sequence Predict at seed <paramref name="seed"/>, and (a streaming model) 40 streamed steps at the next seed.</summary>
    internal static (float[] Predicted, float[] Streamed) Run(IRnnModel<float> model, int seed)
    {
        ModelInfo info = model.Info;
        int steps = info.SequenceLength;
        float[] predicted = new float[info.OutputIsSequence ? steps * info.OutputUnits : info.OutputUnits];
        float[] streamed = Array.Empty<float>();
        if (info.TakesTokens)
        {
            ((ITokenModel<float>)model).Predict(TestData.Tokens(steps, info.InputWidth, seed), predicted);
            return (predicted, streamed);
        }

        float[] inputs = TestData.Uniform(steps * info.InputWidth, seed, scale: 1f);
        ((IFeatureModel<float>)model).Predict(inputs, predicted);
        if (model is IFeatureStreamingModel<float> streaming)
        {
            const int Steps = 40;
            float[] stream = TestData.Uniform(Steps * info.InputWidth, seed + 1, scale: 1f);
            streamed = new float[Steps * info.OutputUnits];
            streaming.ResetState();
            for (int t = 0; t < Steps; t++)
            {
                streaming.Step(stream.AsSpan(t * info.InputWidth, info.InputWidth), streamed.AsSpan(t * info.OutputUnits, info.OutputUnits));
            }
        }

        return (predicted, streamed);
    }

    [Theory]
    [MemberData(nameof(All))]
    public void A_bfloat16_model_is_the_network_with_rounded_kernels(string name)
    {
        Bf16Case c = Get(name);
        IRnnModel<float> model = c.BFloat16();
        float[] weights = Weights(model, c.Layers, seed: 3);
        weights.CopyTo(model.Parameters);
        float[] rounded = Rounded(weights, c.Layers);
        ModelInfo info = model.Info;
        (float[] predicted, float[] streamed) = Run(model, seed: 21);
        int steps = info.SequenceLength;
        if (info.TakesTokens)
        {
            TestData.AssertClose(NaiveNetwork.Predict(c.Layers, rounded, TestData.Tokens(steps, info.InputWidth, 21)), predicted, 1e-5, name + " Predict");
            return;
        }

        TestData.AssertClose(NaiveNetwork.Predict(c.Layers, rounded, TestData.Uniform(steps * info.InputWidth, 21, scale: 1f), steps), predicted, 1e-5, name + " Predict");
        TestData.AssertClose(NaiveNetwork.PredictStreaming(c.Layers, rounded, TestData.Uniform(40 * info.InputWidth, 22, scale: 1f), 40), streamed, 1e-5, name + " Step");
    }

    [Theory]
    [MemberData(nameof(WithFloatPeer))]
    public void A_bfloat16_model_is_within_1e_2_of_the_float_model_on_the_same_weights(string name)
    {
        Bf16Case c = Get(name);
        IRnnModel<float> bf16 = c.BFloat16();
        IRnnModel<float> f32 = c.Float!();
        float[] weights = Weights(f32, c.Layers, seed: 5);
        weights.CopyTo(f32.Parameters);
        weights.CopyTo(bf16.Parameters);
        (float[] expectedPredict, float[] expectedSteps) = Run(f32, seed: 31);
        (float[] actualPredict, float[] actualSteps) = Run(bf16, seed: 31);
        double predictError = RelativeError(actualPredict, expectedPredict);
        double stepError = RelativeError(actualSteps, expectedSteps);
        output.WriteLine($"{name}: relative error Predict {predictError:E2}, Step {stepError:E2}");
        Assert.True(predictError <= ErrorBound, $"{name} Predict: relative error {predictError:E2}");
        Assert.True(stepError <= ErrorBound, $"{name} Step: relative error {stepError:E2}");
        Assert.True(predictError > 0 && stepError > 0, $"{name}: bfloat16 gave exactly the float outputs, so its kernels were not read as bfloat16");
    }

    /// <summary><c>max |actual − expected| / max |expected|</c>.</summary>
    private static double RelativeError(float[] actual, float[] expected)
    {
        double difference = 0, scale = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            difference = Math.Max(difference, Math.Abs((double)actual[i] - expected[i]));
            scale = Math.Max(scale, Math.Abs((double)expected[i]));
        }

        return difference / scale;
    }

    [Fact]
    public void Every_way_of_changing_the_weights_reaches_the_bfloat16_copy()
    {
        Bf16Case c = Get("Lstm1x32x1");
        float[] inputs = TestData.Uniform(16, seed: 1, scale: 1f);
        float[] Predict(Bf16Lstm1x32x1 model)
        {
            var result = new float[1];
            model.Predict(inputs, result);
            return result;
        }

        double[] Expected(ReadOnlySpan<float> weights) => NaiveNetwork.Predict(c.Layers, Rounded(weights.ToArray(), c.Layers), inputs, 16);

        // A new model: the initial weights (seed 0) are rounded by the first Predict.
        var model = new Bf16Lstm1x32x1();
        var reference = new F32Lstm1x32x1();
        TestData.AssertClose(Expected(reference.Parameters), Predict(model), 1e-5, "initial weights");

        // Writing through Parameters, after a Predict has rounded the copy.
        float[] written = Weights(reference, c.Layers, seed: 8);
        written.CopyTo(model.Parameters);
        TestData.AssertClose(Expected(written), Predict(model), 1e-5, "written through Parameters");
        model.Parameters[0] += 0.5f;
        written[0] += 0.5f;
        TestData.AssertClose(Expected(written), Predict(model), 1e-5, "one element written through Parameters");

        // A span kept from before a Predict and written after it: seen after RefreshBFloat16Weights.
        Span<float> kept = model.Parameters;
        Predict(model);
        kept[1] += 0.5f;
        written[1] += 0.5f;
        model.RefreshBFloat16Weights();
        TestData.AssertClose(Expected(written), Predict(model), 1e-5, "written through a kept span, then refreshed");

        // InitializeWeights and LoadWeights round the copy at once.
        model.InitializeWeights(4);
        reference.InitializeWeights(4);
        TestData.AssertClose(Expected(reference.Parameters), Predict(model), 1e-5, "InitializeWeights");
        var saved = new MemoryStream();
        reference.InitializeWeights(9);
        reference.SaveWeights(saved);
        saved.Position = 0;
        model.LoadWeights(saved);
        TestData.AssertClose(Expected(reference.Parameters), Predict(model), 1e-5, "LoadWeights");

        // Step reads the same copy.
        written.CopyTo(model.Parameters);
        var stepped = new float[1];
        model.ResetState();
        for (int t = 0; t < 16; t++)
        {
            model.Step(inputs.AsSpan(t, 1), stepped);
        }

        TestData.AssertClose(Expected(written), stepped, 1e-5, "Step after writing through Parameters");
    }

    [Fact]
    public void Compiled_weights_start_as_constant_bfloat16_data_equal_to_rounding_the_loaded_file()
    {
        var compiled = new Bf16CompiledWeightsModel();
        Assert.False(Field<bool>(compiled, "_bf16Stale"), "the compiled-in copy should need no rounding at start");
        ushort[] constant = Field<RnnCompiler.Kernels.AlignedBuffer<ushort>>(compiled, "_bf16Weights").Span.ToArray();

        var loaded = new Bf16RuntimeWeightsModel();
        using (FileStream file = File.OpenRead(Path.Combine(AppContext.BaseDirectory, "Models", "compiled.safetensors")))
        {
            loaded.LoadWeights(file);
        }

        Assert.Equal(Field<RnnCompiler.Kernels.AlignedBuffer<ushort>>(loaded, "_bf16Weights").Span.ToArray(), constant);
        float[] inputs = TestData.Uniform(6 * 3, seed: 1, scale: 1f);
        float[] expected = new float[2], actual = new float[2];
        loaded.Predict(inputs, expected);
        compiled.Predict(inputs, actual);
        Assert.Equal(expected, actual);

        // And independently of the generator's rounding: the file's kernels rounded by the test's oracle.
        RefLayer[] layers = { new RefInput(3), new RefGru(4), new RefDense(2, RefActivation.Tanh) };
        float[] parameters = compiled.Parameters.ToArray();
        var expectedPacked = new List<ushort>();
        foreach ((int offset, int length, bool isKernel) in Tensors(layers))
        {
            for (int i = offset; isKernel && i < offset + length; i++)
            {
                expectedPacked.Add(BFloat16KernelTests.NearestBFloat16(parameters[i]));
            }
        }

        Assert.Equal(expectedPacked.ToArray(), constant);
    }

    private static T Field<T>(object model, string name) =>
        (T)model.GetType().GetField(name, BindingFlags.Instance | BindingFlags.NonPublic)!.GetValue(model)!;
}
