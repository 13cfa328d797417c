using System;
using Xunit;

namespace RnnCompiler.Tests.Training;

// A many-to-one and a many-to-many model for the sequence-count rule of the two-argument overloads.
[RnnModel(SequenceLength = 6, Precision = Precision.Double)]
[Train(Loss = Loss.SparseCategoricalCrossentropy, BatchSize = 4)]
[Embedding(9, 3)]
[Gru(4)]
[Dense(3, Activation = Activation.Softmax)]
public partial class CountedClassifier;

[RnnModel(SequenceLength = 6, Precision = Precision.Double)]
[Train(Loss = Loss.MeanSquaredError, BatchSize = 4)]
[Input(2)]
[Lstm(4, ReturnSequences = true)]
[Dense(2)]
public partial class CountedTagger;

/// <summary>
/// The rule: without a count, the batch is the whole of <c>targets</c>: one target row per sequence for a model with
/// one output per sequence, SequenceLength rows per sequence for a model that outputs sequences. Messages name the
/// arguments the caller passed.
/// </summary>
public class SequenceCountTests
{
    private static int[] Tokens(int count, int steps)
    {
        var tokens = new int[count * steps];
        for (int i = 0; i < tokens.Length; i++)
        {
            tokens[i] = (i * 7 + 3) % 9;
        }

        return tokens;
    }

    private static double[] Values(int count)
    {
        var values = new double[count];
        for (int i = 0; i < count; i++)
        {
            values[i] = Math.Sin(i * 0.37);
        }

        return values;
    }

    [Theory]
    [InlineData(1, 6)]
    [InlineData(3, 6)]
    [InlineData(3, 2)]
    [InlineData(4, 1)]
    public void A_one_output_model_counts_one_sequence_per_target(int count, int steps)
    {
        var twoArguments = new CountedClassifier();
        var threeArguments = new CountedClassifier();
        twoArguments.InitializeWeights(5);
        threeArguments.InitializeWeights(5);
        int[] inputs = Tokens(count, steps);
        int[] targets = new int[count];
        for (int i = 0; i < count; i++)
        {
            targets[i] = i % 3;
        }

        double loss2 = twoArguments.ComputeGradients(inputs, targets);
        double loss3 = threeArguments.ComputeGradients(inputs, targets, count);
        Assert.Equal(loss3, loss2);
        Assert.Equal(threeArguments.Gradients.ToArray(), twoArguments.Gradients.ToArray());
        Assert.Equal(threeArguments.Evaluate(inputs, targets, count), twoArguments.Evaluate(inputs, targets));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(4)]
    public void A_sequence_model_counts_full_length_sequences(int count)
    {
        var twoArguments = new CountedTagger();
        var threeArguments = new CountedTagger();
        twoArguments.InitializeWeights(5);
        threeArguments.InitializeWeights(5);
        double[] inputs = Values(count * 6 * 2);
        double[] targets = Values(count * 6 * 2 + 1)[1..];
        Assert.Equal(threeArguments.TrainBatch(inputs, targets, count), twoArguments.TrainBatch(inputs, targets));
        Assert.Equal(threeArguments.Parameters.ToArray(), twoArguments.Parameters.ToArray());
    }

    [Fact]
    public void Shorter_sequences_without_a_count_are_refused_naming_targets_and_the_third_argument()
    {
        var model = new CountedTagger();
        model.InitializeWeights(5);
        double[] before = model.Parameters.ToArray();
        // Three sequences of 3 steps: 9 target rows, not a whole number of 6-step sequences.
        double[] inputs = Values(3 * 3 * 2);
        double[] targets = Values(3 * 3 * 2);
        var error = Assert.Throws<ArgumentException>(() => model.TrainBatch(inputs, targets));
        Assert.Equal("targets", error.ParamName);
        Assert.Contains("third argument", error.Message, StringComparison.Ordinal);
        Assert.Equal(before, model.Parameters.ToArray());
        Assert.Equal(0, model.UpdateCount);

        // With the count the same batch trains.
        model.TrainBatch(inputs, targets, 3);
        Assert.Equal(1, model.UpdateCount);
    }

    [Fact]
    public void More_sequences_than_BatchSize_without_a_count_names_targets_not_sequences()
    {
        var model = new CountedClassifier();
        model.InitializeWeights(5);
        var error = Assert.Throws<ArgumentException>(() => model.TrainBatch(Tokens(5, 6), new int[5]));
        Assert.Equal("targets", error.ParamName);
        Assert.Contains("BatchSize 4", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("sequences", error.ParamName!, StringComparison.Ordinal);

        var empty = Assert.Throws<ArgumentException>(() => model.Evaluate(Tokens(1, 6), ReadOnlySpan<int>.Empty));
        Assert.Equal("targets", empty.ParamName);
    }

    [Fact]
    public void A_count_that_disagrees_with_the_inputs_names_inputs()
    {
        var model = new CountedClassifier();
        model.InitializeWeights(5);
        // 2 targets inferred as 2 sequences, but 13 tokens are not two equal sequences.
        var error = Assert.Throws<ArgumentException>(() => model.TrainBatch(Tokens(1, 13), new int[2]));
        Assert.Equal("inputs", error.ParamName);
    }
}
