using System;
using System.IO;
using System.Reflection;
using RnnCompiler.Tests.Models;
using RnnCompiler.Tests.Reference;
using Xunit;
using Xunit.Abstractions;

namespace RnnCompiler.Tests.EndToEnd;

/// <summary>
/// Models declared with <c>WeightPrecision = WeightPrecision.Int8</c>: (1) the network whose every product follows the
/// int8 rule (the naive double reference with <see cref="NaiveNetwork.QuantizeProducts"/>, quantizing weights and
/// inputs by the test's own code), (2) Step equal to Predict bit for bit, and (3) close to the float model on the same
/// weights. Relative error is <c>max |int8 − float| / max |float|</c> over every output of the run.
/// </summary>
public class Int8ModelTests(ITestOutputHelper output)
{
    /// <summary>
    /// Against the naive int8 reference: outputs agree to about 1e-7, but the reference quantizes double states and the
    /// model float ones, so a state that lands within a rounding error of a half step can round the other way (one step
    /// in one input of one product, about 2e-3 of the outputs at most, measured). So: every output within this bound,
    /// and of ten or more outputs, nine in ten within <see cref="ReferenceClose"/>.
    /// </summary>
    private const double ReferenceBound = 5e-3;

    private const double ReferenceClose = 1e-5;

    /// <summary>Against the float model: activations and weights each keep about 1/254 of their row's or column's range.</summary>
    private const double FloatBound = 5e-2;

    public sealed record Int8Case(string Name, Func<IRnnModel<float>> Int8, Func<IRnnModel<float>>? Float, RefLayer[] Layers)
    {
        public override string ToString() => Name;
    }

    private static readonly Int8Case[] s_cases =
    {
        new("Lstm1x8x1", () => new Int8Lstm1x8x1(), () => new F32Lstm1x8x1(), new RefLayer[] { new RefInput(1), new RefLstm(8), new RefDense(1) }),
        new("Lstm1x32x1", () => new Int8Lstm1x32x1(), () => new F32Lstm1x32x1(), new RefLayer[] { new RefInput(1), new RefLstm(32), new RefDense(1) }),
        new("Gru1x32x1", () => new Int8Gru1x32x1(), () => new F32Gru1x32x1(), new RefLayer[] { new RefInput(1), new RefGru(32), new RefDense(1) }),
        new("Lstm64x128x10", () => new Int8Lstm64x128x10(), () => new F32Lstm64x128x10(), new RefLayer[] { new RefInput(64), new RefLstm(128), new RefDense(10) }),
        new("Gru64x128x10", () => new Int8Gru64x128x10(), () => new F32Gru64x128x10(), new RefLayer[] { new RefInput(64), new RefGru(128), new RefDense(10) }),
        new("SimpleGruStack", () => new Int8SimpleGruStack(), null, new RefLayer[] { new RefInput(5), new RefSimpleRnn(13, ReturnSequences: true), new RefGru(7, ResetAfter: false, ReturnSequences: true), new RefDense(3, RefActivation.Tanh) }),
        new("BiLstmTokens", () => new Int8BiLstmTokens(), null, new RefLayer[] { new RefEmbedding(20, 6), new RefLstm(9, Bidirectional: true), new RefDense(4, RefActivation.Softmax) }),
        new("ActivationStack", () => new Int8ActivationStack(), () => new F32ActivationStack(), new RefLayer[]
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

    private static TheoryData<string> Names(Func<Int8Case, bool> filter)
    {
        var data = new TheoryData<string>();
        foreach (Int8Case c in s_cases)
        {
            if (filter(c))
            {
                data.Add(c.Name);
            }
        }

        return data;
    }

    private static Int8Case Get(string name) => Array.Find(s_cases, c => c.Name == name)!;

    /// <summary>Keras's initializers for the kernels and biases uniform in ±1, as the bfloat16 tests set them.</summary>
    private static float[] Weights(IRnnModel<float> model, RefLayer[] layers, int seed) => BFloat16ModelTests.Weights(model, layers, seed);

    /// <summary>The streamed steps of <see cref="BFloat16ModelTests.Run"/>.</summary>
    private const int StreamSteps = 40;

    private static (float[] Predicted, float[] Streamed) Run(IRnnModel<float> model, int seed) => BFloat16ModelTests.Run(model, seed);

    private static double[] Reference(Func<double[]> run)
    {
        NaiveNetwork.QuantizeProducts = true;
        try
        {
            return run();
        }
        finally
        {
            NaiveNetwork.QuantizeProducts = false;
        }
    }

    [Theory]
    [MemberData(nameof(All))]
    public void An_int8_model_is_the_network_whose_products_follow_the_int8_rule(string name)
    {
        Int8Case c = Get(name);
        IRnnModel<float> model = c.Int8();
        float[] weights = Weights(model, c.Layers, seed: 3);
        weights.CopyTo(model.Parameters);
        ModelInfo info = model.Info;
        (float[] predicted, float[] streamed) = Run(model, seed: 21);
        int steps = info.SequenceLength;
        if (info.TakesTokens)
        {
            AssertRelative(Reference(() => NaiveNetwork.Predict(c.Layers, weights, TestData.Tokens(steps, info.InputWidth, 21))), predicted, ReferenceBound, name + " Predict");
            return;
        }

        AssertRelative(Reference(() => NaiveNetwork.Predict(c.Layers, weights, TestData.Uniform(steps * info.InputWidth, 21, scale: 1f), steps)), predicted, ReferenceBound, name + " Predict");
        AssertRelative(Reference(() => NaiveNetwork.PredictStreaming(c.Layers, weights, TestData.Uniform(StreamSteps * info.InputWidth, 22, scale: 1f), StreamSteps)), streamed, ReferenceBound, name + " Step");

        // The exact products are further away than the int8 rule: the reference does quantize.
        double exact = Relative(NaiveNetwork.Predict(c.Layers, weights, TestData.Uniform(steps * info.InputWidth, 21, scale: 1f), steps), predicted);
        double rule = Relative(Reference(() => NaiveNetwork.Predict(c.Layers, weights, TestData.Uniform(steps * info.InputWidth, 21, scale: 1f), steps)), predicted);
        output.WriteLine($"{name}: against the int8 rule {rule:E2}, against exact products {exact:E2}");
        Assert.True(rule < exact, $"{name}: the model is no closer to the int8 rule ({rule:E2}) than to exact products ({exact:E2})");
    }

    [Theory]
    [MemberData(nameof(All))]
    public void Step_gives_what_Predict_gives_bit_for_bit(string name)
    {
        IRnnModel<float> model = Get(name).Int8();
        if (model is not IFeatureStreamingModel<float> streaming || model.Info.OutputIsSequence)
        {
            return; // bidirectional models do not stream; sequence outputs are compared step by step below
        }

        Weights(model, Get(name).Layers, seed: 4).CopyTo(model.Parameters);
        ModelInfo info = model.Info;
        for (int steps = 1; steps <= info.SequenceLength; steps += 5)
        {
            float[] inputs = TestData.Uniform(steps * info.InputWidth, steps, scale: 1f);
            var predicted = new float[info.OutputUnits];
            streaming.Predict(inputs.AsSpan(0, steps * info.InputWidth), predicted);
            var stepped = new float[info.OutputUnits];
            streaming.ResetState();
            for (int t = 0; t < steps; t++)
            {
                streaming.Step(inputs.AsSpan(t * info.InputWidth, info.InputWidth), stepped);
            }

            Assert.Equal(predicted, stepped);
        }
    }

    [Theory]
    [MemberData(nameof(WithFloatPeer))]
    public void An_int8_model_is_close_to_the_float_model_on_the_same_weights(string name)
    {
        Int8Case c = Get(name);
        IRnnModel<float> int8 = c.Int8();
        IRnnModel<float> f32 = c.Float!();
        float[] weights = Weights(f32, c.Layers, seed: 5);
        weights.CopyTo(f32.Parameters);
        weights.CopyTo(int8.Parameters);
        (float[] expectedPredict, float[] expectedSteps) = Run(f32, seed: 31);
        (float[] actualPredict, float[] actualSteps) = Run(int8, seed: 31);
        double predictError = Relative(expectedPredict, actualPredict);
        double stepError = Relative(expectedSteps, actualSteps);
        output.WriteLine($"{name}: relative error against float Predict {predictError:E2}, Step {stepError:E2}");
        Assert.True(predictError <= FloatBound, $"{name} Predict: relative error {predictError:E2}");
        Assert.True(stepError <= FloatBound, $"{name} Step: relative error {stepError:E2}");
        Assert.True(predictError > 0 && stepError > 0, $"{name}: int8 gave exactly the float outputs, so its kernels were not read as int8");
    }

    private static double Relative(ReadOnlySpan<double> expected, ReadOnlySpan<float> actual)
    {
        double difference = 0, scale = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            difference = Math.Max(difference, Math.Abs(actual[i] - expected[i]));
            scale = Math.Max(scale, Math.Abs(expected[i]));
        }

        return difference / scale;
    }

    private static double Relative(float[] expected, float[] actual) => Relative(Array.ConvertAll(expected, v => (double)v), actual);

    private void AssertRelative(double[] expected, float[] actual, double bound, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        double error = Relative(expected, actual);
        double scale = 0;
        foreach (double value in expected)
        {
            scale = Math.Max(scale, Math.Abs(value));
        }

        int close = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            close += Math.Abs(actual[i] - expected[i]) <= ReferenceClose * scale ? 1 : 0;
        }

        output.WriteLine($"{what}: {error:E2}, {close} of {expected.Length} within {ReferenceClose:E0}");
        Assert.True(error <= bound, $"{what}: relative error {error:E2} against the naive int8 reference");
        Assert.True(expected.Length < 10 || close >= 0.9 * expected.Length, $"{what}: only {close} of {expected.Length} outputs within {ReferenceClose:E0} of the naive int8 reference");
    }

    [Fact]
    public void Every_way_of_changing_the_weights_reaches_the_int8_copy()
    {
        RefLayer[] layers = Get("Lstm1x32x1").Layers;
        float[] inputs = TestData.Uniform(16, seed: 1, scale: 1f);
        float[] Predict(Int8Lstm1x32x1 model)
        {
            var result = new float[1];
            model.Predict(inputs, result);
            return result;
        }

        float[] Twin(ReadOnlySpan<float> weights)
        {
            // A fresh model given the weights before its first Predict: what these weights must give.
            var fresh = new Int8Lstm1x32x1();
            weights.CopyTo(fresh.Parameters);
            return Predict(fresh);
        }

        double[] Expected(ReadOnlySpan<float> weights)
        {
            float[] copy = weights.ToArray();
            return Reference(() => NaiveNetwork.Predict(layers, copy, inputs, 16));
        }

        var model = new Int8Lstm1x32x1();
        var reference = new F32Lstm1x32x1();
        AssertRelative(Expected(reference.Parameters), Predict(model), ReferenceBound, "initial weights");

        float[] written = Weights(reference, layers, seed: 8);
        written.CopyTo(model.Parameters);
        Assert.Equal(Twin(written), Predict(model));
        model.Parameters[0] += 0.5f;
        written[0] += 0.5f;
        Assert.Equal(Twin(written), Predict(model));

        Span<float> kept = model.Parameters;
        Predict(model);
        kept[1] += 0.5f;
        written[1] += 0.5f;
        model.RefreshInt8Weights();
        Assert.Equal(Twin(written), Predict(model));

        model.InitializeWeights(4);
        reference.InitializeWeights(4);
        Assert.Equal(Twin(reference.Parameters), Predict(model));
        var saved = new MemoryStream();
        reference.InitializeWeights(9);
        reference.SaveWeights(saved);
        saved.Position = 0;
        model.LoadWeights(saved);
        Assert.Equal(Twin(reference.Parameters), Predict(model));
        AssertRelative(Expected(reference.Parameters), Predict(model), ReferenceBound, "LoadWeights");
    }

    [Fact]
    public void Info_says_how_the_kernels_are_read()
    {
        Assert.Equal(WeightPrecision.Int8, ((IRnnModel<float>)new Int8Lstm64x128x10()).Info.WeightPrecision);
        Assert.Equal(WeightPrecision.BFloat16, ((IRnnModel<float>)new Bf16Lstm64x128x10()).Info.WeightPrecision);
        Assert.Equal(WeightPrecision.Float, ((IRnnModel<float>)new F32Lstm64x128x10()).Info.WeightPrecision);
    }

    [Fact]
    public void Compiled_weights_are_quantized_by_the_first_call_as_loading_the_file_would()
    {
        var compiled = new Int8CompiledWeightsModel();
        var loaded = new Int8CompiledWeightsModel();
        using (FileStream file = File.OpenRead(Path.Combine(AppContext.BaseDirectory, "Models", "compiled.safetensors")))
        {
            loaded.LoadWeights(file);
        }

        float[] inputs = TestData.Uniform(6 * 3, seed: 1, scale: 1f);
        float[] expected = new float[2], actual = new float[2];
        loaded.Predict(inputs, expected);
        compiled.Predict(inputs, actual);
        Assert.Equal(expected, actual);
        Assert.Equal(Field<RnnCompiler.Kernels.AlignedBuffer<byte>>(loaded, "_int8Weights").Span.ToArray(), Field<RnnCompiler.Kernels.AlignedBuffer<byte>>(compiled, "_int8Weights").Span.ToArray());
        RefLayer[] layers = { new RefInput(3), new RefGru(4), new RefDense(2, RefActivation.Tanh) };
        float[] parameters = compiled.Parameters.ToArray();
        AssertRelative(Reference(() => NaiveNetwork.Predict(layers, parameters, inputs, 6)), actual, ReferenceBound, "compiled weights");
    }

    private static T Field<T>(object model, string name) =>
        (T)model.GetType().GetField(name, BindingFlags.Instance | BindingFlags.NonPublic)!.GetValue(model)!;
}
