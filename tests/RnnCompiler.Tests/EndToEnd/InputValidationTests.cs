using System;
using RnnCompiler.Tests.Models;
using Xunit;

namespace RnnCompiler.Tests.EndToEnd;

/// <summary>Bad input gets an ArgumentException naming the argument and the size expected, and changes nothing.</summary>
public class InputValidationTests
{
    [Theory]
    [InlineData(0)] // no steps
    [InlineData(4)] // not a whole step of 3 features
    [InlineData(3 * 12)] // 12 steps, SequenceLength is 11
    public void Predict_refuses_input_lengths_that_are_not_1_to_SequenceLength_steps(int length)
    {
        var model = new LstmManyToOne();
        var error = Assert.Throws<ArgumentException>(() => model.Predict(new float[length], new float[LstmManyToOne.OutputUnits]));
        Assert.Equal("inputs", error.ParamName);
        Assert.Contains("1 to 11 steps of 3 features", error.Message);
    }

    [Theory]
    [InlineData(3)]
    [InlineData(5)]
    [InlineData(0)]
    public void Predict_refuses_an_output_span_of_the_wrong_length(int length)
    {
        var model = new LstmManyToOne();
        var error = Assert.Throws<ArgumentException>(() => model.Predict(new float[6], new float[length]));
        Assert.Equal("outputs", error.ParamName);
        Assert.Contains("length of 4", error.Message);
    }

    [Fact]
    public void Predict_of_a_sequence_model_wants_steps_times_units_outputs()
    {
        var model = new ManyToMany();
        var error = Assert.Throws<ArgumentException>(() => model.Predict(new float[2 * 3], new float[4]));
        Assert.Equal("outputs", error.ParamName);
        Assert.Contains("length of 8", error.Message);
        model.Predict(new float[2 * 3], new float[8]);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(50)]
    [InlineData(int.MaxValue)]
    public void Tokens_outside_the_vocabulary_are_refused(int token)
    {
        var model = new TokenGru();
        var error = Assert.ThrowsAny<ArgumentException>(() => model.Predict(new[] { 1, token, 2 }, new float[TokenGru.OutputUnits]));
        Assert.Equal("tokens", error.ParamName);
        Assert.Contains("[0, 50)", error.Message);
        var stepError = Assert.ThrowsAny<ArgumentException>(() => model.Step(token, new float[TokenGru.OutputUnits]));
        Assert.Equal("token", stepError.ParamName);
    }

    [Fact]
    public void Zero_or_too_many_tokens_are_refused()
    {
        var model = new TokenGru();
        Assert.Equal("tokens", Assert.Throws<ArgumentException>(() => model.Predict(ReadOnlySpan<int>.Empty, new float[3])).ParamName);
        Assert.Equal("tokens", Assert.Throws<ArgumentException>(() => model.Predict(new int[13], new float[3])).ParamName);
    }

    [Fact]
    public void A_refused_step_leaves_the_streaming_state_as_it_was()
    {
        float[] inputs = TestData.Uniform(6 * 3, seed: 9, scale: 1f);
        var reference = new LstmManyToOne();
        var model = new LstmManyToOne();
        var expected = new float[4];
        var actual = new float[4];
        for (int t = 0; t < 6; t++)
        {
            ReadOnlySpan<float> step = inputs.AsSpan(3 * t, 3);
            reference.Step(step, expected);
            model.Step(step, actual);
            Assert.Throws<ArgumentException>(() => model.Step(new float[2], new float[4]));
            Assert.Throws<ArgumentException>(() => model.Step(new float[3], new float[5]));
        }

        Assert.Equal(expected, actual);
    }

    [Fact]
    public void A_refused_prediction_leaves_the_streaming_state_and_the_weights_as_they_were()
    {
        var model = new TokenGru();
        var before = new float[3];
        model.Step(4, before);
        float[] weights = model.Parameters.ToArray();
        Assert.ThrowsAny<ArgumentException>(() => model.Predict(new[] { 1, 99 }, new float[3]));
        model.Predict(new[] { 1, 2, 3 }, new float[3]); // a good prediction does not touch the streaming state either
        Assert.Equal(weights, model.Parameters.ToArray());

        var reference = new TokenGru();
        var expected = new float[3];
        var actual = new float[3];
        reference.Step(4, expected);
        reference.Step(7, expected);
        model.Step(7, actual);
        Assert.Equal(expected, actual);
    }
}
