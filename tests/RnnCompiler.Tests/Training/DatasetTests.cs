using System;
using System.Linq;
using RnnCompiler.Training;
using Xunit;

namespace RnnCompiler.Tests.Training;

/// <summary>Evaluate and Predict over datasets larger than a batch, against one sequence at a time.</summary>
public class DatasetTests
{
    private const int Count = 590;

    private static int[] Tokens(int count, int steps) => Enumerable.Range(0, count * steps).Select(i => (i * 7 + i / 13) % 9).ToArray();

    [Fact]
    public void Evaluate_over_590_sequences_is_the_mean_of_each_sequence_alone()
    {
        var model = new CountedClassifier();
        model.InitializeWeights(8);
        int[] inputs = Tokens(Count, 5);
        int[] targets = Enumerable.Range(0, Count).Select(i => i * 5 % 3).ToArray();
        double[] before = model.Parameters.ToArray();

        EvaluationResult result = ModelTrainer.Evaluate(model, inputs, targets, Count, 5);

        double loss = 0;
        double accuracy = 0;
        for (int s = 0; s < Count; s++)
        {
            (double l, double a) = model.Evaluate(inputs.AsSpan(s * 5, 5), targets.AsSpan(s, 1), 1);
            loss += l;
            accuracy += a;
        }

        Assert.Equal(Count, result.Sequences);
        Assert.True(Math.Abs(result.Loss - loss / Count) < 1e-12, $"{result.Loss:R} against {loss / Count:R}");
        Assert.True(Math.Abs(result.Accuracy - accuracy / Count) < 1e-12, $"{result.Accuracy:R} against {accuracy / Count:R}");
        Assert.Equal(before, model.Parameters.ToArray());
    }

    [Fact]
    public void Evaluate_names_the_argument_that_does_not_fit()
    {
        var model = new CountedClassifier();
        int[] inputs = Tokens(10, 5);
        int[] targets = new int[10];
        Assert.Equal("sequenceCount", Assert.Throws<ArgumentOutOfRangeException>(() => ModelTrainer.Evaluate(model, inputs, targets, 0, 5)).ParamName);
        Assert.Equal("steps", Assert.Throws<ArgumentOutOfRangeException>(() => ModelTrainer.Evaluate(model, Tokens(10, 7), targets, 10, 7)).ParamName);
        Assert.Equal("inputs", Assert.Throws<ArgumentException>(() => ModelTrainer.Evaluate(model, inputs, targets, 10, 4)).ParamName);
        Assert.Equal("targets", Assert.Throws<ArgumentException>(() => ModelTrainer.Evaluate(model, inputs, new int[9], 10, 5)).ParamName);
    }

    [Fact]
    public void Predict_with_a_count_writes_each_sequence_as_Predict_alone_does()
    {
        var model = new CountedClassifier();
        model.InitializeWeights(8);
        int[] tokens = Tokens(Count, 4);
        var outputs = new double[Count * 3];
        model.Predict(tokens, outputs, Count);
        var one = new double[3];
        for (int s = Count - 1; s >= 0; s--)
        {
            model.Predict(tokens.AsSpan(s * 4, 4), one);
            Assert.Equal(one, outputs.AsSpan(s * 3, 3).ToArray());
        }

        var tagger = new CountedTagger();
        tagger.InitializeWeights(8);
        double[] inputs = Enumerable.Range(0, 37 * 6 * 2).Select(i => Math.Cos(i * 0.1)).ToArray();
        var sequenceOutputs = new double[37 * 6 * 2];
        tagger.Predict(inputs, sequenceOutputs, 37);
        var steps = new double[6 * 2];
        for (int s = 0; s < 37; s++)
        {
            tagger.Predict(inputs.AsSpan(s * 12, 12), steps);
            Assert.Equal(steps, sequenceOutputs.AsSpan(s * 12, 12).ToArray());
        }
    }

    [Fact]
    public void Predict_with_a_count_names_the_argument_that_does_not_fit()
    {
        var model = new CountedClassifier();
        int[] tokens = Tokens(10, 4);
        Assert.Equal("sequences", Assert.Throws<ArgumentOutOfRangeException>(() => model.Predict(tokens, new double[30], 0)).ParamName);
        Assert.Equal("tokens", Assert.Throws<ArgumentException>(() => model.Predict(tokens, new double[30], 3)).ParamName);
        Assert.Equal("outputs", Assert.Throws<ArgumentException>(() => model.Predict(tokens, new double[29], 10)).ParamName);
        var tagger = new CountedTagger();
        Assert.Equal("inputs", Assert.Throws<ArgumentException>(() => tagger.Predict(new double[2 * 7 * 2], new double[2 * 7 * 2], 2)).ParamName);
    }
}
