using System;
using System.Collections.Generic;
using System.Linq;
using RnnCompiler.Training;
using Xunit;

namespace RnnCompiler.Tests.Training;

/// <summary>
/// Keras's masking (Embedding mask_zero, Masking) and batches of different lengths: a padded sequence gives exactly what
/// it gives alone, unpadded (outputs, loss, gradients), wherever its padding is; a packed batch gives the weighted sum of
/// its sequences alone; the gradients pass central finite differences; and wrong lengths or empty sequences are refused.
/// </summary>
public class MaskingTests
{
    private enum Padding { Before, After, Scattered }

    /// <summary>A sequence of real steps placed among padding: where each real step went, in order.</summary>
    private sealed record Placement(int Steps, int[] Positions);

    private static Placement Place(int real, int steps, Padding padding, Random random)
    {
        int[] positions = padding switch
        {
            Padding.Before => Enumerable.Range(steps - real, real).ToArray(),
            Padding.After => Enumerable.Range(0, real).ToArray(),
            _ => Enumerable.Range(0, steps).OrderBy(_ => random.Next()).Take(real).OrderBy(p => p).ToArray(),
        };
        return new Placement(steps, positions);
    }

    private static int[] RealTokens(int count, int vocabulary, Random random) =>
        Enumerable.Range(0, count).Select(_ => random.Next(1, vocabulary)).ToArray();

    private static int[] PadTokens(int[] real, Placement placement)
    {
        var padded = new int[placement.Steps];
        for (int i = 0; i < real.Length; i++)
        {
            padded[placement.Positions[i]] = real[i];
        }

        return padded;
    }

    private static double[] RealFeatures(int count, int features, Random random) =>
        Enumerable.Range(0, count * features).Select(_ => random.NextDouble() * 2 - 1).ToArray();

    private static double[] PadFeatures(double[] real, int features, Placement placement, double maskValue)
    {
        var padded = Enumerable.Repeat(maskValue, placement.Steps * features).ToArray();
        for (int i = 0; i < placement.Positions.Length; i++)
        {
            Array.Copy(real, i * features, padded, placement.Positions[i] * features, features);
        }

        return padded;
    }

    private static (int Real, Placement Placement) Draw(Random random, int sequenceLength)
    {
        int steps = random.Next(1, sequenceLength + 1);
        int real = random.Next(1, steps + 1);
        return (real, Place(real, steps, (Padding)random.Next(3), random));
    }

    private static void Randomize<T>(Span<T> parameters, int seed)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        double[] values = TrainingData.Doubles(parameters.Length, seed, 0.5);
        for (int i = 0; i < values.Length; i++)
        {
            parameters[i] = T.CreateTruncating(values[i]);
        }
    }

    // ---- Predict -------------------------------------------------------------------------------------------------

    [Fact]
    public void Padded_token_sequence_predicts_exactly_what_it_predicts_alone()
    {
        var model = new MaskedTokenClassifier();
        Randomize<double>(model.Parameters, 1);
        var random = new Random(2);
        var padded = new double[3];
        var alone = new double[3];
        for (int trial = 0; trial < 60; trial++)
        {
            (int real, Placement placement) = Draw(random, 8);
            int[] tokens = RealTokens(real, 12, random);
            model.Predict(PadTokens(tokens, placement), padded);
            model.Predict(tokens, alone);
            Assert.Equal(alone, padded);
        }
    }

    [Fact]
    public void Padded_float_sequence_predicts_exactly_what_it_predicts_alone()
    {
        var model = new MaskedFeatureRegressor();
        Randomize<double>(model.Parameters, 3);
        var random = new Random(4);
        var padded = new double[2];
        var alone = new double[2];
        for (int trial = 0; trial < 60; trial++)
        {
            (int real, Placement placement) = Draw(random, 7);
            double[] steps = RealFeatures(real, 2, random);
            model.Predict(PadFeatures(steps, 2, placement, -1), padded);
            model.Predict(steps, alone);
            Assert.Equal(alone, padded);
        }
    }

    [Fact]
    public void Masked_steps_of_a_tagger_repeat_the_previous_output_as_keras_does()
    {
        // The last recurrent layer (SimpleRNN) passes its previous output on at a masked step, zeros before the first
        // real step: the Dense after it then gives softmax(bias) there.
        var model = new MaskedTokenTagger();
        Randomize<double>(model.Parameters, 5);
        double[] bias = model.Parameters.Slice(model.Parameters.Length - 4).ToArray();
        double[] start = Softmax(bias);
        var random = new Random(6);
        for (int trial = 0; trial < 40; trial++)
        {
            (int real, Placement placement) = Draw(random, 7);
            int[] tokens = RealTokens(real, 10, random);
            int[] padded = PadTokens(tokens, placement);
            var outputs = new double[padded.Length * 4];
            var alone = new double[real * 4];
            model.Predict(padded, outputs);
            model.Predict(tokens, alone);
            int next = 0;
            for (int t = 0; t < padded.Length; t++)
            {
                double[] row = outputs.AsSpan(t * 4, 4).ToArray();
                if (padded[t] != 0)
                {
                    Assert.Equal(alone.AsSpan(next * 4, 4).ToArray(), row);
                    next++;
                }
                else if (next == 0)
                {
                    AssertClose(start, row, 1e-15);
                }
                else
                {
                    Assert.Equal(outputs.AsSpan((t - 1) * 4, 4).ToArray(), row);
                }
            }
        }
    }

    [Fact]
    public void Masked_steps_of_a_bidirectional_layer_are_zeros_as_keras_gives_them()
    {
        var model = new MaskedBidirectionalSequence();
        Randomize<double>(model.Parameters, 7);
        var random = new Random(8);
        for (int trial = 0; trial < 40; trial++)
        {
            (int real, Placement placement) = Draw(random, 6);
            double[] steps = RealFeatures(real, 2, random);
            double[] padded = PadFeatures(steps, 2, placement, 0);
            var outputs = new double[placement.Steps * 6];
            var alone = new double[real * 6];
            model.Predict(padded, outputs);
            model.Predict(steps, alone);
            var expected = new double[placement.Steps * 6];
            for (int i = 0; i < real; i++)
            {
                Array.Copy(alone, i * 6, expected, placement.Positions[i] * 6, 6);
            }

            Assert.Equal(expected, outputs);
        }
    }

    [Fact]
    public void A_sequence_with_every_step_masked_is_refused_and_changes_nothing()
    {
        var model = new MaskedTokenClassifier();
        double[] before = model.Parameters.ToArray();
        var error = Assert.Throws<ArgumentException>(() => model.Predict(new int[5], new double[3]));
        Assert.Equal("tokens", error.ParamName);
        var features = new MaskedFeatureRegressor();
        error = Assert.Throws<ArgumentException>(() => features.Predict(Enumerable.Repeat(-1.0, 6).ToArray(), new double[2]));
        Assert.Equal("inputs", error.ParamName);
        Assert.Equal(before, model.Parameters.ToArray());
    }

    // ---- Step ----------------------------------------------------------------------------------------------------

    [Fact]
    public void Step_keeps_every_state_through_a_masked_token_and_agrees_with_predict()
    {
        var model = new MaskedStreamingClassifier();
        Randomize<double>(model.Parameters, 9);
        double[] start = Softmax(model.Parameters.Slice(model.Parameters.Length - 3).ToArray());
        var random = new Random(10);
        var output = new double[3];
        var previous = new double[3];
        var predicted = new double[3];
        for (int trial = 0; trial < 20; trial++)
        {
            (int real, Placement placement) = Draw(random, 8);
            int[] padded = PadTokens(RealTokens(real, 12, random), placement);
            model.ResetState();
            start.CopyTo(previous, 0);
            for (int t = 0; t < padded.Length; t++)
            {
                model.Step(padded[t], output);
                if (padded[t] == 0)
                {
                    AssertClose(previous, output, 1e-15);
                }

                if (padded.Take(t + 1).Any(token => token != 0))
                {
                    model.Predict(padded.AsSpan(0, t + 1), predicted);
                    Assert.Equal(predicted, output);
                }

                output.CopyTo(previous, 0);
            }
        }
    }

    [Fact]
    public void Step_keeps_every_state_through_a_masked_float_step_and_agrees_with_predict()
    {
        var model = new MaskedStreamingTagger();
        Randomize<double>(model.Parameters, 11);
        var random = new Random(12);
        var output = new double[2];
        for (int trial = 0; trial < 20; trial++)
        {
            (int real, Placement placement) = Draw(random, 6);
            double[] padded = PadFeatures(RealFeatures(real, 2, random), 2, placement, -1);
            model.ResetState();
            for (int t = 0; t < placement.Steps; t++)
            {
                model.Step(padded.AsSpan(t * 2, 2), output);
                if (placement.Positions.Any(p => p <= t))
                {
                    var predicted = new double[(t + 1) * 2];
                    model.Predict(padded.AsSpan(0, (t + 1) * 2), predicted);
                    Assert.Equal(predicted.AsSpan(t * 2, 2).ToArray(), output);
                }
            }
        }
    }

    // ---- Training: one sequence, exactly -------------------------------------------------------------------------

    [Fact] public void Padded_tokens_train_exactly_as_alone_classifier() => PaddedTokensExactly(new MaskedTokenClassifier(), 12, 13);

    [Fact] public void Padded_tokens_train_exactly_as_alone_tagger() => PaddedTokensExactly(new MaskedTokenTagger(), 10, 14);

    [Fact] public void Padded_tokens_train_exactly_as_alone_in_two_shares() => PaddedTokensExactly(new ParallelMaskedTokenClassifier(), 12, 15);

    [Fact]
    public void Padded_float_steps_train_exactly_as_alone()
    {
        var model = new MaskedFeatureRegressor();
        Randomize<double>(model.Parameters, 16);
        var random = new Random(17);
        for (int trial = 0; trial < 25; trial++)
        {
            (int real, Placement placement) = Draw(random, 7);
            double[] steps = RealFeatures(real, 2, random);
            double[] targets = RealFeatures(1, 2, random);
            double alone = model.ComputeGradients(steps, targets, 1);
            double[] expected = model.Gradients.ToArray();
            double padded = model.ComputeGradients(PadFeatures(steps, 2, placement, -1), targets, 1);
            Assert.Equal(alone, padded);
            Assert.Equal(expected, model.Gradients.ToArray());
        }
    }

    private static void PaddedTokensExactly(ITrainableModel<double, int, int> model, int vocabulary, int seed)
    {
        Randomize<double>(model.Parameters, seed);
        var random = new Random(seed + 1);
        bool perStep = model.Info.OutputIsSequence;
        for (int trial = 0; trial < 25; trial++)
        {
            (int real, Placement placement) = Draw(random, model.Info.SequenceLength);
            int[] tokens = RealTokens(real, vocabulary, random);
            int[] labels = Enumerable.Range(0, perStep ? real : 1).Select(_ => random.Next(model.Info.OutputUnits)).ToArray();
            int[] paddedLabels = labels;
            if (perStep)
            {
                // Labels at masked steps are anything: they count in no loss.
                paddedLabels = Enumerable.Range(0, placement.Steps).Select(_ => random.Next(model.Info.OutputUnits)).ToArray();
                for (int i = 0; i < real; i++)
                {
                    paddedLabels[placement.Positions[i]] = labels[i];
                }
            }

            double alone = model.ComputeGradients(tokens, labels, 1);
            double[] expected = model.Gradients.ToArray();
            (double aloneLoss, double aloneAccuracy) = model.Evaluate(tokens, labels, 1);
            double padded = model.ComputeGradients(PadTokens(tokens, placement), paddedLabels, 1);
            Assert.Equal(alone, padded);
            Assert.Equal(expected, model.Gradients.ToArray());
            Assert.Equal((aloneLoss, aloneAccuracy), model.Evaluate(PadTokens(tokens, placement), paddedLabels, 1));
        }
    }

    // ---- Training: a batch of different lengths ------------------------------------------------------------------

    [Fact] public void Packed_token_batch_is_the_weighted_sum_of_its_sequences_classifier() => PackedBatch(new MaskedTokenClassifier(), 12, 20);

    [Fact] public void Packed_token_batch_is_the_weighted_sum_of_its_sequences_tagger() => PackedBatch(new MaskedTokenTagger(), 10, 21);

    [Fact] public void Packed_token_batch_is_the_weighted_sum_of_its_sequences_in_two_shares() => PackedBatch(new ParallelMaskedTokenClassifier(), 12, 22);

    /// <summary>
    /// A batch of padded sequences of different lengths against each sequence alone: the batch's loss is the mean over
    /// sequences (over real steps, for per-step outputs), so its gradient is each one's weighted by its share.
    /// </summary>
    private static void PackedBatch(ITrainableModel<double, int, int> model, int vocabulary, int seed)
    {
        Randomize<double>(model.Parameters, seed);
        var random = new Random(seed + 1);
        int steps = model.Info.SequenceLength;
        int batch = model.Training.BatchSize;
        bool perStep = model.Info.OutputIsSequence;
        for (int trial = 0; trial < 8; trial++)
        {
            var inputs = new List<int>();
            var targets = new List<int>();
            var sequences = new List<(int[] Tokens, int[] Labels)>();
            for (int s = 0; s < batch; s++)
            {
                int real = random.Next(1, steps + 1);
                Placement placement = Place(real, steps, (Padding)random.Next(3), random);
                int[] tokens = RealTokens(real, vocabulary, random);
                int[] labels = Enumerable.Range(0, perStep ? real : 1).Select(_ => random.Next(model.Info.OutputUnits)).ToArray();
                inputs.AddRange(PadTokens(tokens, placement));
                if (perStep)
                {
                    var padded = new int[steps];
                    for (int i = 0; i < real; i++)
                    {
                        padded[placement.Positions[i]] = labels[i];
                    }

                    targets.AddRange(padded);
                }
                else
                {
                    targets.AddRange(labels);
                }

                sequences.Add((tokens, labels));
            }

            int counted = perStep ? sequences.Sum(s => s.Labels.Length) : batch;
            double expectedLoss = 0;
            var expected = new double[model.Parameters.Length];
            foreach ((int[] tokens, int[] labels) in sequences)
            {
                double weight = (double)(perStep ? labels.Length : 1) / counted;
                expectedLoss += weight * model.ComputeGradients(tokens, labels, 1);
                ReadOnlySpan<double> gradients = model.Gradients;
                for (int i = 0; i < expected.Length; i++)
                {
                    expected[i] += weight * gradients[i];
                }
            }

            double loss = model.ComputeGradients(inputs.ToArray(), targets.ToArray(), batch);
            AssertClose([expectedLoss], [loss], 1e-12);
            AssertClose(expected, model.Gradients.ToArray(), 1e-12);
        }
    }

    [Fact]
    public void Lengths_pack_a_batch_of_an_unmasked_model_and_padding_is_never_read()
    {
        // The padding after each length holds NaN: a pass that read it would give NaN.
        var model = new MaskedFeatureRegressor();
        Randomize<double>(model.Parameters, 30);
        var random = new Random(31);
        const int Steps = 7;
        int batch = MaskedFeatureRegressor.BatchSize;
        var inputs = Enumerable.Repeat(double.NaN, batch * Steps * 2).ToArray();
        var targets = RealFeatures(batch, 2, random);
        var lengths = new int[batch];
        var expected = new double[model.Parameters.Length];
        double expectedLoss = 0;
        for (int s = 0; s < batch; s++)
        {
            lengths[s] = random.Next(1, Steps + 1);
            double[] steps = RealFeatures(lengths[s], 2, random);
            Array.Copy(steps, 0, inputs, s * Steps * 2, steps.Length);
            expectedLoss += model.ComputeGradients(steps, targets.AsSpan(s * 2, 2), 1) / batch;
            ReadOnlySpan<double> gradients = model.Gradients;
            for (int i = 0; i < expected.Length; i++)
            {
                expected[i] += gradients[i] / batch;
            }
        }

        double loss = model.ComputeGradients(inputs, targets, lengths);
        AssertClose([expectedLoss], [loss], 1e-12);
        AssertClose(expected, model.Gradients.ToArray(), 1e-12);
        Assert.Equal(loss, model.Evaluate(inputs, targets, lengths).Loss, 12);
    }

    [Fact]
    public void Fit_and_evaluate_take_lengths_and_never_read_the_padding()
    {
        var model = new MaskedFeatureRegressor();
        Randomize<double>(model.Parameters, 32);
        var random = new Random(33);
        const int Count = 12, Steps = 7;
        var inputs = Enumerable.Repeat(double.NaN, Count * Steps * 2).ToArray();
        double[] targets = RealFeatures(Count, 2, random);
        var lengths = new int[Count];
        for (int s = 0; s < Count; s++)
        {
            lengths[s] = random.Next(1, Steps + 1);
            Array.Copy(RealFeatures(lengths[s], 2, random), 0, inputs, s * Steps * 2, lengths[s] * 2);
        }

        // Evaluate over batches of 4 is the mean of each sequence's loss alone.
        double expected = 0;
        for (int s = 0; s < Count; s++)
        {
            expected += model.Evaluate(inputs.AsSpan(s * Steps * 2, lengths[s] * 2), targets.AsSpan(s * 2, 2), 1).Loss / Count;
        }

        EvaluationResult evaluation = ModelTrainer.Evaluate(model, inputs, targets, lengths, Steps);
        AssertClose([expected], [evaluation.Loss], 1e-12);
        Assert.Equal(Count, evaluation.Sequences);

        FitResult fit = ModelTrainer.Fit(model, inputs, targets, lengths, Steps, new FitOptions(Epochs: 3, ValidationSplit: 0.25));
        Assert.All(fit.History, epoch => Assert.True(double.IsFinite(epoch.Loss) && double.IsFinite(epoch.ValidationLoss)));
        Assert.True(fit.History[^1].Loss < fit.History[0].Loss, "three epochs should lower the training loss");
        Assert.Equal("lengths", Assert.Throws<ArgumentException>(() => ModelTrainer.Fit(model, inputs, targets, lengths.Select(l => l + Steps).ToArray(), Steps)).ParamName);
    }

    [Fact]
    public void Without_token_0_a_masking_model_computes_the_bits_of_its_unmasked_twin()
    {
        var masked = new MaskedTokenClassifier();
        var plain = new UnmaskedTokenClassifier();
        Randomize<double>(masked.Parameters, 40);
        masked.Parameters.CopyTo(plain.Parameters);
        var random = new Random(41);
        int[] tokens = RealTokens(5 * 8, 12, random);
        int[] labels = Enumerable.Range(0, 5).Select(_ => random.Next(3)).ToArray();
        Assert.Equal(plain.ComputeGradients(tokens, labels, 5), masked.ComputeGradients(tokens, labels, 5));
        Assert.Equal(plain.Gradients.ToArray(), masked.Gradients.ToArray());
        var a = new double[3];
        var b = new double[3];
        plain.Predict(tokens.AsSpan(0, 8), a);
        masked.Predict(tokens.AsSpan(0, 8), b);
        Assert.Equal(a, b);
    }

    // ---- Finite differences and float ------------------------------------------------------------------------------

    [Fact] public void Masked_classifier_gradients_pass_finite_differences() => FiniteDifferences(new MaskedTokenClassifier(), 12, 50);

    [Fact] public void Masked_tagger_gradients_pass_finite_differences() => FiniteDifferences(new MaskedTokenTagger(), 10, 51);

    [Fact] public void Masked_classifier_in_two_shares_passes_finite_differences() => FiniteDifferences(new ParallelMaskedTokenClassifier(), 12, 52);

    private static void FiniteDifferences(ITrainableModel<double, int, int> model, int vocabulary, int seed)
    {
        (int[] inputs, int[] targets) = PaddedBatch(model.Info, model.Training.BatchSize, vocabulary, seed);
        Span<double> parameters = model.Parameters;
        Randomize(parameters, seed + 2);
        int batch = model.Training.BatchSize;
        model.ComputeGradients(inputs, targets, batch);
        double[] gradients = model.Gradients.ToArray();
        double largest = 0;
        const double H = 1e-5;
        for (int i = 0; i < parameters.Length; i++)
        {
            double saved = parameters[i];
            parameters[i] = saved + H;
            double plus = model.Evaluate(inputs, targets, batch).Loss;
            parameters[i] = saved - H;
            double minus = model.Evaluate(inputs, targets, batch).Loss;
            parameters[i] = saved;
            double numeric = (plus - minus) / (2 * H);
            largest = Math.Max(largest, Math.Abs(numeric));
            Assert.True(Math.Abs(gradients[i] - numeric) <= 1e-6 * Math.Max(Math.Abs(gradients[i]), Math.Abs(numeric)) + 1e-9,
                $"parameter {i}: backprop {gradients[i]:R}, finite difference {numeric:R}");
        }

        Assert.True(largest > 1e-3, "the gradients are all tiny, so the check would prove nothing");
    }

    /// <summary>A batch of sequences of different real lengths, padded before, after and between their tokens.</summary>
    private static (int[] Inputs, int[] Targets) PaddedBatch(ModelInfo info, int batch, int vocabulary, int seed)
    {
        var random = new Random(seed);
        int steps = info.SequenceLength;
        var inputs = new List<int>();
        var targets = new List<int>();
        for (int s = 0; s < batch; s++)
        {
            int real = 1 + (s * 3 + seed) % steps;
            inputs.AddRange(PadTokens(RealTokens(real, vocabulary, random), Place(real, steps, (Padding)(s % 3), random)));
            targets.AddRange(Enumerable.Range(0, info.OutputIsSequence ? steps : 1).Select(_ => random.Next(info.OutputUnits)));
        }

        return (inputs.ToArray(), targets.ToArray());
    }

    [Fact]
    public void Masked_float_gradients_equal_double_gradients_within_1e_4()
    {
        var precise = new MaskedTokenClassifier();
        var single = new FloatMaskedTokenClassifier();
        (int[] inputs, int[] targets) = PaddedBatch(((IRnnModel<double>)precise).Info, 5, 12, 60);
        double[] parameters = TrainingData.Doubles(precise.Parameters.Length, 61, 0.5);
        parameters.CopyTo(precise.Parameters);
        TrainingData.ToFloat(parameters).CopyTo(single.Parameters);
        double preciseLoss = precise.ComputeGradients(inputs, targets, 5);
        float singleLoss = single.ComputeGradients(inputs, targets, 5);
        GradientAsserts.FloatFollowsDouble(preciseLoss, singleLoss, precise.Gradients.ToArray(), single.Gradients.ToArray());
    }

    // ---- Wrong lengths and masks ---------------------------------------------------------------------------------

    [Theory]
    [InlineData(new[] { 3, 0 }, "lengths")]
    [InlineData(new[] { 3, 9 }, "lengths")]
    [InlineData(new[] { 3, -1 }, "lengths")]
    public void Wrong_lengths_are_refused_and_change_nothing(int[] lengths, string argument)
    {
        var model = new MaskedTokenClassifier();
        Randomize<double>(model.Parameters, 70);
        double[] before = model.Parameters.ToArray();
        long updates = model.UpdateCount;
        int[] tokens = RealTokens(2 * 8, 12, new Random(71));
        int[] labels = [0, 1];
        var error = Assert.Throws<ArgumentException>(() => model.TrainBatch(tokens, labels, lengths));
        Assert.Equal(argument, error.ParamName);
        Assert.Equal(before, model.Parameters.ToArray());
        Assert.Equal(updates, model.UpdateCount);
    }

    [Fact]
    public void Lengths_of_the_wrong_count_are_refused()
    {
        var model = new UnmaskedTokenClassifier();
        int[] tokens = RealTokens(2 * 8, 12, new Random(72));
        Assert.Equal("lengths", Assert.Throws<ArgumentException>(() => model.ComputeGradients(tokens, [0, 1], ReadOnlySpan<int>.Empty)).ParamName);
        Assert.Equal("lengths", Assert.Throws<ArgumentException>(() => model.Evaluate(tokens, [0, 1], [8, 8, 8, 8, 8, 8])).ParamName);
    }

    [Fact]
    public void A_training_sequence_with_every_step_masked_is_refused_and_changes_nothing()
    {
        var model = new MaskedTokenClassifier();
        Randomize<double>(model.Parameters, 73);
        double[] before = model.Parameters.ToArray();
        int[] tokens = RealTokens(2 * 8, 12, new Random(74));
        Array.Clear(tokens, 8, 8);
        var error = Assert.Throws<ArgumentException>(() => model.TrainBatch(tokens, [0, 1], 2));
        Assert.Equal("inputs", error.ParamName);
        // Within its length a sequence must still have a real step: three real tokens after a length of 2 do not count.
        tokens = RealTokens(2 * 8, 12, new Random(75));
        Array.Clear(tokens, 8, 2);
        Assert.Equal("inputs", Assert.Throws<ArgumentException>(() => model.TrainBatch(tokens, [0, 1], [8, 2])).ParamName);
        Assert.Equal(before, model.Parameters.ToArray());
        Assert.Equal(0, model.UpdateCount);
    }

    private static double[] Softmax(double[] logits)
    {
        double max = logits.Max();
        double[] e = logits.Select(x => Math.Exp(x - max)).ToArray();
        double sum = e.Sum();
        return e.Select(x => x / sum).ToArray();
    }

    private static void AssertClose(double[] expected, double[] actual, double relative)
    {
        Assert.Equal(expected.Length, actual.Length);
        double scale = expected.Length == 0 ? 0 : expected.Max(Math.Abs);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(actual[i] - expected[i]) <= relative * Math.Max(Math.Abs(expected[i]), scale) + 1e-300,
                $"element {i}: {actual[i]:R}, expected {expected[i]:R}");
        }
    }
}
