using System;
using System.IO;
using System.Linq;
using RnnCompiler.Tests.Reference;
using RnnCompiler.Tests.Training;
using RnnCompiler.Training;
using Xunit;

namespace RnnCompiler.Tests.Sequences;

/// <summary>
/// Encoder-decoder models through <c>[RepeatVector(n)]</c> (Keras's addition_rnn form): the output has the repeat's
/// steps whatever the input's length; Predict agrees with the naive reference, batched Predict gives each sequence what
/// Predict gives it, masked steps of the source are left out, the gradients pass central finite differences (through
/// decoder, repeat and encoder), float follows double, and wrong arguments are refused with nothing changed.
/// </summary>
public class RepeatVectorTests
{
    private static readonly RefLayer[] TokenLayers = [new RefEmbedding(10, 3), new RefLstm(4), new RefRepeatVector(3), new RefGru(3, ReturnSequences: true), new RefDense(10, RefActivation.Softmax)];

    private static readonly RefLayer[] MaskedLayers = [new RefEmbedding(8, 3), new RefLstm(3, Bidirectional: true), new RefRepeatVector(5), new RefLstm(4, ReturnSequences: true), new RefDense(8, RefActivation.Softmax)];

    private static readonly RefLayer[] FeatureLayers = [new RefInput(2), new RefSimpleRnn(5), new RefDense(4, RefActivation.Tanh), new RefRepeatVector(2), new RefLstm(3, ReturnSequences: true), new RefGru(2, ReturnSequences: true), new RefDense(2)];

    /// <summary>Weights that float holds exactly, so the double model and the naive reference read the same numbers.</summary>
    private static float[] Weights(Span<double> parameters, int seed)
    {
        float[] weights = TrainingData.ToFloat(TrainingData.Doubles(parameters.Length, seed, 0.5));
        for (int i = 0; i < weights.Length; i++)
        {
            parameters[i] = weights[i];
        }

        return weights;
    }

    private static void Close(double[] expected, ReadOnlySpan<double> actual, double tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance, $"output {i}: expected {expected[i]:R}, got {actual[i]:R}");
        }
    }

    [Fact]
    public void The_model_has_the_repeat_steps_and_Keras_counts()
    {
        var model = new RepeatTokenModel();
        ModelInfo info = ((IRnnModel<double>)model).Info;
        Assert.Equal(3, info.OutputSteps);
        Assert.Equal(3, RepeatTokenModel.OutputSteps);
        Assert.True(info.OutputIsSequence);
        Assert.False(info.CanStream);
        // Keras: Embedding 10·3 = 30; LSTM 4·4·(3 + 4) + 16 = 128; GRU (reset_after) 3·3·(4 + 3) + 2·9 = 81; Dense 3·10 + 10 = 40.
        Assert.Equal(30 + 128 + 81 + 40, RepeatTokenModel.ParameterCount);
        Assert.Equal(RepeatTokenModel.ParameterCount, NaiveNetwork.ParameterCount(TokenLayers));
        string summary = RepeatTokenModel.Summary;
        Assert.Contains("repeat_vector (RepeatVector", summary); // the column holds 27 characters
        Assert.Contains("(None, 3, 4)", summary);   // the repeated vector
        Assert.Contains("(None, 3, 10)", summary);  // the softmax at every decoder step
        Assert.Contains("(None, 4)", summary);      // the encoder's last output
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(6)]
    public void Token_Predict_matches_the_naive_reference_at_any_input_length(int steps)
    {
        var model = new RepeatTokenModel();
        float[] weights = Weights(model.Parameters, 10 + steps);
        int[] tokens = TrainingData.Ints(steps, 10, 20 + steps);
        var outputs = new double[RepeatTokenModel.OutputSteps * RepeatTokenModel.OutputUnits];
        model.Predict(tokens, outputs);
        Close(NaiveNetwork.Predict(TokenLayers, weights, tokens), outputs, 1e-12);
    }

    [Fact]
    public void Feature_Predict_matches_the_naive_reference()
    {
        var model = new RepeatFeatureModel();
        float[] weights = Weights(model.Parameters, 30);
        float[] inputs = TrainingData.Features(5 * 2, 31);
        var outputs = new double[RepeatFeatureModel.OutputSteps * RepeatFeatureModel.OutputUnits];
        model.Predict(Array.ConvertAll(inputs, v => (double)v), outputs);
        Close(NaiveNetwork.Predict(FeatureLayers, weights, inputs, 5), outputs, 1e-12);
    }

    [Fact]
    public void One_vector_in_gives_a_sequence_out_that_matches_the_reference_and_its_gradients()
    {
        RefLayer[] layers = [new RefInput(5), new RefDense(4, RefActivation.Relu), new RefGru(4), new RefRepeatVector(6), new RefLstm(3, ReturnSequences: true), new RefDense(2)];
        var model = new OneToManyModel();
        float[] weights = Weights(model.Parameters, 130);
        float[] vector = TrainingData.Features(5, 131);
        var outputs = new double[6 * 2];
        model.Predict(Array.ConvertAll(vector, v => (double)v), outputs);
        Close(NaiveNetwork.Predict(layers, weights, vector, 1), outputs, 1e-12);

        double[] inputs = TrainingData.Doubles(2 * 5, 132, 1.0);
        double[] targets = TrainingData.Doubles(2 * 6 * 2, 133, 1.0);
        model.ComputeGradients(inputs, targets, 2);
        CheckAgainstFiniteDifferences(model.Parameters, model.Gradients.ToArray(), () => model.Evaluate(inputs, targets, 2).Loss);
    }

    [Fact]
    public void Masked_source_steps_are_left_out_as_Keras_masks_them()
    {
        var model = new MaskedRepeatTokenModel();
        float[] weights = Weights(model.Parameters, 40);
        var outputs = new double[5 * 8];
        foreach (int[] padded in new[] { new[] { 0, 3, 5, 0 }, new[] { 7, 0, 0, 0 }, new[] { 0, 0, 2, 6 }, new[] { 1, 2, 3, 4 } })
        {
            int[] real = padded.Where(token => token != 0).ToArray();
            model.Predict(padded, outputs);
            Close(NaiveNetwork.Predict(MaskedLayers, weights, real), outputs, 1e-12);
        }
    }

    [Fact]
    public void Batched_Predict_gives_each_sequence_what_Predict_gives_it()
    {
        // A training model (lock step in its training buffers) and two inference models: packed on one core, packed
        // and split over two.
        var trained = new RepeatTokenModel();
        Weights(trained.Parameters, 50);
        int[] tokens = TrainingData.Ints(9 * 5, 10, 51);
        var batch = new double[9 * 3 * 10];
        trained.Predict(tokens, batch, 9);
        var alone = new double[3 * 10];
        for (int s = 0; s < 9; s++)
        {
            trained.Predict(tokens.AsSpan(s * 5, 5), alone);
            Assert.Equal(alone, batch.AsSpan(s * 30, 30).ToArray());
        }

        var reference = new SingleMaskedRepeatScorer();
        float[] weights = TrainingData.ToFloat(TrainingData.Doubles(reference.Parameters.Length, 52, 0.5));
        weights.CopyTo(reference.Parameters);
        var random = new Random(53);
        int[] padded = Enumerable.Range(0, 13 * 4).Select(i => random.Next(3) == 0 ? 0 : random.Next(1, 8)).ToArray();
        for (int s = 0; s < 13; s++)
        {
            padded[s * 4 + random.Next(4)] = 1 + s % 7; // every sequence keeps a real token
        }

        var expected = new float[13 * 5 * 8];
        for (int s = 0; s < 13; s++)
        {
            reference.Predict(padded.AsSpan(s * 4, 4), expected.AsSpan(s * 40, 40));
        }

        foreach (IRnnModel<float> scorer in new IRnnModel<float>[] { new MaskedRepeatScorer(), new ParallelMaskedRepeatScorer() })
        {
            weights.CopyTo(scorer.Parameters);
            var outputs = new float[13 * 5 * 8];
            ((ITokenModel<float>)scorer).Predict(padded, outputs, 13);
            Assert.Equal(expected, outputs);
        }
    }

    // ---- Gradients ----------------------------------------------------------------------------------------------

    [Fact] public void Token_gradients_pass_finite_differences() => FiniteDifferences(new RepeatTokenModel(), TokenBatch(4, 6, 10, 3, 10, 60), 61);

    [Fact] public void Gradients_on_two_cores_pass_finite_differences() => FiniteDifferences(new ParallelRepeatTokenModel(), TokenBatch(4, 5, 10, 3, 10, 62), 63);

    [Fact] public void Masked_gradients_pass_finite_differences() => FiniteDifferences(new MaskedRepeatTokenModel(), MaskedBatch(5, 64), 65);

    [Fact]
    public void Feature_gradients_pass_finite_differences()
    {
        var model = new RepeatFeatureModel();
        double[] inputs = TrainingData.Doubles(3 * 7 * 2, 66, 1.0);
        double[] targets = TrainingData.Doubles(3 * 2 * 2, 67, 1.0);
        Span<double> parameters = model.Parameters;
        Weights(parameters, 68);
        model.ComputeGradients(inputs, targets, 3);
        double[] gradients = model.Gradients.ToArray();
        CheckAgainstFiniteDifferences(parameters, gradients, () => model.Evaluate(inputs, targets, 3).Loss);
    }

    private static (int[] Inputs, int[] Targets) TokenBatch(int sequences, int steps, int vocabulary, int outputSteps, int classes, int seed) =>
        (TrainingData.Ints(sequences * steps, vocabulary, seed), TrainingData.Ints(sequences * outputSteps, classes, seed + 1));

    /// <summary>Sequences of 4 steps with 1 to 4 real tokens, padded before, after and between.</summary>
    private static (int[] Inputs, int[] Targets) MaskedBatch(int sequences, int seed)
    {
        var random = new Random(seed);
        var inputs = new int[sequences * 4];
        for (int s = 0; s < sequences; s++)
        {
            int real = 1 + s % 4;
            foreach (int position in Enumerable.Range(0, 4).OrderBy(_ => random.Next()).Take(real))
            {
                inputs[s * 4 + position] = random.Next(1, 8);
            }
        }

        return (inputs, TrainingData.Ints(sequences * 5, 8, seed + 1));
    }

    private static void FiniteDifferences(ITrainableModel<double, int, int> model, (int[] Inputs, int[] Targets) batch, int seed)
    {
        Span<double> parameters = model.Parameters;
        Weights(parameters, seed);
        int sequences = batch.Targets.Length / model.Info.OutputSteps;
        model.ComputeGradients(batch.Inputs, batch.Targets, sequences);
        double[] gradients = model.Gradients.ToArray();
        CheckAgainstFiniteDifferences(parameters, gradients, () => model.Evaluate(batch.Inputs, batch.Targets, sequences).Loss);
    }

    private static void CheckAgainstFiniteDifferences(Span<double> parameters, double[] gradients, Func<double> loss)
    {
        double[] numeric = GradientAsserts.MatchFiniteDifferences(parameters, gradients, loss);
        Assert.True(numeric.Take(numeric.Length / 3).Max(Math.Abs) > 1e-6, "no gradient reached the first layers, so the repeat's backward pass is unchecked");
    }

    [Fact]
    public void Two_cores_give_the_gradients_of_one()
    {
        var one = new RepeatTokenModel();
        var two = new ParallelRepeatTokenModel();
        Weights(one.Parameters, 70);
        one.Parameters.CopyTo(two.Parameters);
        (int[] inputs, int[] targets) = TokenBatch(4, 6, 10, 3, 10, 71);
        double a = one.ComputeGradients(inputs, targets, 4);
        double b = two.ComputeGradients(inputs, targets, 4);
        GradientAsserts.SameWithinRounding(a, b, one.Gradients.ToArray(), two.Gradients.ToArray());
    }

    [Fact]
    public void Float_gradients_follow_double_within_1e_4()
    {
        var precise = new RepeatFeatureModel();
        var single = new FloatRepeatFeatureModel();
        float[] weights = Weights(precise.Parameters, 80);
        weights.CopyTo(single.Parameters);
        double[] inputs = TrainingData.Doubles(3 * 7 * 2, 81, 1.0);
        double[] targets = TrainingData.Doubles(3 * 2 * 2, 82, 1.0);
        double preciseLoss = precise.ComputeGradients(inputs, targets, 3);
        float singleLoss = single.ComputeGradients(TrainingData.ToFloat(inputs), TrainingData.ToFloat(targets), 3);
        GradientAsserts.FloatFollowsDouble(preciseLoss, singleLoss, precise.Gradients.ToArray(), single.Gradients.ToArray());
    }

    [Fact]
    public void Padded_sequences_train_with_given_lengths_as_alone()
    {
        // A batch whose sequences have different lengths (given) gives each sequence's loss and gradient as it gives
        // them alone: the loss is their mean, the gradient the mean of theirs.
        var model = new RepeatTokenModel();
        Weights(model.Parameters, 90);
        int[] lengths = [6, 2, 4];
        int[] tokens = TrainingData.Ints(3 * 6, 10, 91);
        int[] targets = TrainingData.Ints(3 * 3, 10, 92);
        double batchLoss = model.ComputeGradients(tokens, targets, lengths);
        double[] batchGradients = model.Gradients.ToArray();
        double loss = 0;
        var sum = new double[batchGradients.Length];
        for (int s = 0; s < 3; s++)
        {
            loss += model.ComputeGradients(tokens.AsSpan(s * 6, lengths[s]), targets.AsSpan(s * 3, 3), 1) / 3;
            double[] gradients = model.Gradients.ToArray();
            for (int i = 0; i < sum.Length; i++)
            {
                sum[i] += gradients[i] / 3;
            }
        }

        Assert.True(Math.Abs(batchLoss - loss) <= 1e-12 * loss);
        for (int i = 0; i < sum.Length; i++)
        {
            Assert.True(Math.Abs(batchGradients[i] - sum[i]) <= 1e-12 * Math.Max(1, Math.Abs(sum[i])), $"gradient {i}");
        }
    }

    [Fact]
    public void Fit_learns_to_copy_the_first_tokens()
    {
        // Three output steps give back the first three tokens of a six-token input: the encoder has to hold them all in
        // its last output, and the decoder has to take them out in order.
        var model = new LearningRepeatModel();
        model.InitializeWeights(7);
        var random = new Random(100);
        const int Count = 600;
        int[] inputs = Enumerable.Range(0, Count * 6).Select(_ => random.Next(1, 5)).ToArray();
        int[] targets = new int[Count * 3];
        for (int s = 0; s < Count; s++)
        {
            for (int t = 0; t < 3; t++)
            {
                targets[s * 3 + t] = inputs[s * 6 + t];
            }
        }

        ModelTrainer.Fit(model, inputs, targets, Count, 6, new FitOptions(Epochs: 40));
        int exact = 0;
        var outputs = new float[3 * 5];
        for (int s = 0; s < 100; s++)
        {
            int[] source = Enumerable.Range(0, 6).Select(_ => random.Next(1, 5)).ToArray();
            model.Predict(source, outputs);
            bool right = true;
            for (int t = 0; t < 3; t++)
            {
                int best = 0;
                for (int c = 1; c < 5; c++)
                {
                    best = outputs[t * 5 + c] > outputs[t * 5 + best] ? c : best;
                }

                right &= best == source[t];
            }

            exact += right ? 1 : 0;
        }

        Assert.True(exact >= 90, $"{exact} of 100 held-out sequences copied exactly");
    }

    [Fact]
    public void Dropout_across_the_repeat_trains_and_at_rate_0_changes_nothing()
    {
        var plain = new RepeatTokenModel();
        var zero = new ZeroDropoutRepeatTokenModel();
        var dropping = new DropoutRepeatTokenModel();
        Weights(plain.Parameters, 120);
        plain.Parameters.CopyTo(zero.Parameters);
        plain.Parameters.CopyTo(dropping.Parameters);
        (int[] inputs, int[] targets) = TokenBatch(4, 6, 10, 3, 10, 121);
        Assert.Equal(plain.ComputeGradients(inputs, targets, 4), zero.ComputeGradients(inputs, targets, 4));
        Assert.Equal(plain.Gradients.ToArray(), zero.Gradients.ToArray());

        // At 0.2 and 0.3 the training gradient differs from Predict's model, and Predict is the same.
        double dropped = dropping.ComputeGradients(inputs, targets, 4);
        Assert.True(double.IsFinite(dropped));
        Assert.NotEqual(plain.Gradients.ToArray(), dropping.Gradients.ToArray());
        var a = new double[30];
        var b = new double[30];
        plain.Predict(inputs.AsSpan(0, 6), a);
        dropping.Predict(inputs.AsSpan(0, 6), b);
        Assert.Equal(a, b);
    }

    // ---- Bad input --------------------------------------------------------------------------------------------------

    [Fact]
    public void Wrong_arguments_are_refused_and_change_nothing()
    {
        var model = new RepeatTokenModel();
        Weights(model.Parameters, 110);
        double[] before = model.Parameters.ToArray();
        int[] tokens = TrainingData.Ints(2 * 6, 10, 111);

        // Outputs sized for the input's steps instead of the repeat's.
        Assert.Equal("outputs", Assert.Throws<ArgumentException>(() => model.Predict(tokens.AsSpan(0, 6), new double[6 * 10])).ParamName);
        Assert.Equal("outputs", Assert.Throws<ArgumentException>(() => model.Predict(tokens, new double[2 * 6 * 10], 2)).ParamName);

        // Targets for every input step instead of the repeat's.
        var error = Assert.Throws<ArgumentException>(() => model.TrainBatch(tokens, TrainingData.Ints(2 * 6, 10, 112), 2));
        Assert.Equal("targets", error.ParamName);
        Assert.Equal("targets", Assert.Throws<ArgumentException>(() => ModelTrainer.Fit(model, tokens, TrainingData.Ints(2 * 6, 10, 113), 2, 6, new FitOptions(Epochs: 1))).ParamName);
        Assert.Equal(before, model.Parameters.ToArray());
        Assert.Equal(0, model.UpdateCount);
    }

    [Fact]
    public void The_ONNX_export_refuses_a_repeat_instead_of_writing_a_wrong_graph()
    {
        var model = new SingleMaskedRepeatScorer();
        var error = Assert.Throws<NotSupportedException>(() => model.SaveOnnx(new MemoryStream()));
        Assert.Contains("RepeatVector", error.Message);
    }
}

[RnnModel(SequenceLength = 6)]
[Train(Loss = Loss.SparseCategoricalCrossentropy, Optimizer = Optimizer.Adam, LearningRate = 0.01, BatchSize = 32)]
[Embedding(5, 8)]
[Lstm(32)]
[RepeatVector(3)]
[Lstm(32, ReturnSequences = true)]
[Dense(5, Activation = Activation.Softmax)]
public partial class LearningRepeatModel;
