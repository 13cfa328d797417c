using System;
using RnnCompiler.Tests.Models;
using RnnCompiler.Tests.Reference;
using Xunit;

namespace RnnCompiler.Tests.EndToEnd;

/// <summary>Every declared model against the naive double-precision reference, on random weights and inputs.</summary>
public class ForwardTests
{
    private const double Tolerance = 1e-5;

    [Theory]
    [MemberData(nameof(ModelCase.Names), MemberType = typeof(ModelCase))]
    public void Predict_matches_the_naive_reference(string name)
    {
        ModelCase modelCase = ModelCase.Get(name);
        IRnnModel<float> model = modelCase.Create();
        ModelInfo info = model.Info;
        float[] parameters = TestData.Parameters(info, seed: name.Length);
        parameters.CopyTo(model.Parameters);
        foreach (int steps in new[] { 1, info.SequenceLength / 2 + 1, info.SequenceLength })
        {
            var outputs = new float[info.OutputIsSequence ? steps * info.OutputUnits : info.OutputUnits];
            double[] expected;
            if (info.TakesTokens)
            {
                int[] tokens = TestData.Tokens(steps, info.InputWidth, seed: steps);
                ((ITokenModel<float>)model).Predict(tokens, outputs);
                expected = NaiveNetwork.Predict(modelCase.Layers, parameters, tokens);
            }
            else
            {
                float[] inputs = TestData.Uniform(steps * info.InputWidth, seed: 100 + steps, scale: 1f);
                ((IFeatureModel<float>)model).Predict(inputs, outputs);
                expected = NaiveNetwork.Predict(modelCase.Layers, parameters, inputs, steps);
            }

            TestData.AssertClose(expected, outputs, Tolerance, $"{name}, {steps} steps");
        }
    }

    [Theory]
    [MemberData(nameof(ModelCase.StreamingNames), MemberType = typeof(ModelCase))]
    public void Step_carries_state_like_the_naive_reference_and_ResetState_starts_over(string name)
    {
        ModelCase modelCase = ModelCase.Get(name);
        IRnnModel<float> model = modelCase.Create();
        ModelInfo info = model.Info;
        float[] parameters = TestData.Parameters(info, seed: 7 * name.Length);
        parameters.CopyTo(model.Parameters);
        int steps = info.SequenceLength + 3; // streaming is not limited to SequenceLength
        var output = new float[info.OutputUnits];
        for (int pass = 0; pass < 2; pass++)
        {
            double[] expected;
            var actual = new float[steps * info.OutputUnits];
            if (info.TakesTokens)
            {
                var streaming = (ITokenStreamingModel<float>)model;
                int[] tokens = TestData.Tokens(steps, info.InputWidth, seed: 3);
                expected = NaiveNetwork.PredictStreaming(modelCase.Layers, parameters, tokens);
                streaming.ResetState();
                for (int t = 0; t < steps; t++)
                {
                    streaming.Step(tokens[t], output);
                    output.CopyTo(actual, t * info.OutputUnits);
                }
            }
            else
            {
                var streaming = (IFeatureStreamingModel<float>)model;
                float[] inputs = TestData.Uniform(steps * info.InputWidth, seed: 4, scale: 1f);
                expected = NaiveNetwork.PredictStreaming(modelCase.Layers, parameters, inputs, steps);
                streaming.ResetState();
                for (int t = 0; t < steps; t++)
                {
                    streaming.Step(inputs.AsSpan(t * info.InputWidth, info.InputWidth), output);
                    output.CopyTo(actual, t * info.OutputUnits);
                }
            }

            TestData.AssertClose(expected, actual, Tolerance, $"{name}, pass {pass}");
        }
    }

    [Fact]
    public void Streaming_equals_Predict_on_every_prefix_for_a_many_to_one_model()
    {
        var model = new LstmManyToOne();
        TestData.Uniform(LstmManyToOne.ParameterCount, seed: 11).CopyTo(model.Parameters);
        float[] inputs = TestData.Uniform(LstmManyToOne.SequenceLength * LstmManyToOne.InputFeatures, seed: 12, scale: 1f);
        var streamed = new float[LstmManyToOne.OutputUnits];
        var predicted = new float[LstmManyToOne.OutputUnits];
        for (int t = 0; t < LstmManyToOne.SequenceLength; t++)
        {
            model.Step(inputs.AsSpan(t * LstmManyToOne.InputFeatures, LstmManyToOne.InputFeatures), streamed);
            model.Predict(inputs.AsSpan(0, (t + 1) * LstmManyToOne.InputFeatures), predicted);
            TestData.AssertClose(predicted, streamed, 1e-6, $"prefix {t + 1}");
        }
    }

    [Fact]
    public void Streaming_a_state_of_one_or_two_vectors_equals_Predict_bit_for_bit_on_every_prefix()
    {
        // LstmLayer.Step fuses the whole step when the state is one or two vectors wide (8, 16 or 32 floats), GruLayer.Step
        // when it is two; the sums run in the sequence path's order and the activations are the same, so nothing may
        // differ, not even in the last bit.
        AssertStepEqualsPredict(new LstmOneVector8(), seed: 21);
        AssertStepEqualsPredict(new LstmOneVector16(), seed: 23);
        AssertStepEqualsPredict(new LstmTwoVectors32(), seed: 25);
        AssertStepEqualsPredict(new GruTwoVectors16(), seed: 27);
        AssertStepEqualsPredict(new GruTwoVectors32(), seed: 29);
        AssertStepEqualsPredict(new LstmOneOutput(), seed: 31);

        static void AssertStepEqualsPredict<TModel>(TModel model, int seed)
            where TModel : IFeatureStreamingModel<float>
        {
            var info = model.Info;
            TestData.Uniform(model.Parameters.Length, seed, scale: 1f).CopyTo(model.Parameters);
            float[] inputs = TestData.Uniform(info.SequenceLength * info.InputWidth, seed + 1, scale: 2f);
            var streamed = new float[info.OutputUnits];
            var predicted = new float[info.OutputUnits];
            for (int t = 0; t < info.SequenceLength; t++)
            {
                model.Step(inputs.AsSpan(t * info.InputWidth, info.InputWidth), streamed);
                model.Predict(inputs.AsSpan(0, (t + 1) * info.InputWidth), predicted);
                for (int i = 0; i < streamed.Length; i++)
                {
                    Assert.True(BitConverter.SingleToInt32Bits(predicted[i]) == BitConverter.SingleToInt32Bits(streamed[i]),
                        $"{typeof(TModel).Name}, prefix {t + 1}, output {i}: Step gave {streamed[i]:R}, Predict {predicted[i]:R}.");
                }
            }
        }
    }

    [Fact]
    public void Models_without_a_future_stream_and_bidirectional_ones_do_not()
    {
        Assert.True(((IRnnModel<float>)new Lstm3()).Info.CanStream);
        Assert.False(((IRnnModel<float>)new BiLstm3()).Info.CanStream);
        Assert.IsAssignableFrom<IFeatureStreamingModel<float>>(new DeepStreaming());
        Assert.False(new DeepStack() is IFeatureStreamingModel<float>);
    }
}
