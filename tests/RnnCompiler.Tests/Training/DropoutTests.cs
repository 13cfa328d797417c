using System;
using System.Linq;
using RnnCompiler.Layers;
using RnnCompiler.Training;
using Xunit;

namespace RnnCompiler.Tests.Training;

/// <summary>
/// Keras's dropout: a [Dropout] layer drops each value with its own draw, a recurrent layer's Dropout one mask per
/// sequence for every step; only while training (TrainBatch, ComputeGradients), with inverted scaling, from a
/// counter-based generator (the same run bit for bit, with any Parallelism). Checked against the twin model without
/// dropout fed the masked values, against finite differences with the masks fixed, and float against double.
/// </summary>
public class DropoutTests
{
    private static void Randomize(Span<double> parameters, int seed) => TrainingData.Doubles(parameters.Length, seed, 0.5).CopyTo(parameters);

    /// <summary>Draws the model's weights from <paramref name="seed"/>, trains it on one batch repeatedly, and returns its weights.</summary>
    private static double[] TrainFrom<TTarget>(ITrainableModel<double, double, TTarget> model, double[] inputs, TTarget[] targets, int sequences, int seed, int updates)
        where TTarget : unmanaged
    {
        Randomize(model.Parameters, seed);
        for (int i = 0; i < updates; i++)
        {
            model.TrainBatch(inputs, targets, sequences);
        }

        return model.Parameters.ToArray();
    }

    [Fact]
    public void Masks_drop_the_rate_scale_the_rest_and_depend_only_on_site_step_and_index()
    {
        var mask = new float[200_000];
        DropoutLayer.Draw<float>(mask, 0.3, site: 2, step: 7, first: 0);
        double dropped = mask.Count(m => m == 0) / (double)mask.Length;
        Assert.InRange(dropped, 0.295, 0.305);
        Assert.All(mask.Where(m => m != 0), m => Assert.Equal(1 / 0.7f, m));

        var again = new float[200_000];
        DropoutLayer.Draw<float>(again, 0.3, site: 2, step: 7, first: 0);
        Assert.Equal(mask, again);

        // A share of the batch that starts at element 1,000 draws what the whole batch draws there.
        var share = new float[500];
        DropoutLayer.Draw<float>(share, 0.3, site: 2, step: 7, first: 1_000);
        Assert.Equal(mask.AsSpan(1_000, 500).ToArray(), share);

        // Another step or site draws another mask (they agree on about 0.7² + 0.3² of the elements).
        DropoutLayer.Draw<float>(again, 0.3, site: 2, step: 8, first: 0);
        Assert.InRange(mask.Zip(again).Count(p => p.First == p.Second) / (double)mask.Length, 0.55, 0.61);
        DropoutLayer.Draw<float>(again, 0.3, site: 3, step: 7, first: 0);
        Assert.InRange(mask.Zip(again).Count(p => p.First == p.Second) / (double)mask.Length, 0.55, 0.61);

        DropoutLayer.Draw<float>(again, 0, site: 0, step: 0, first: 0);
        Assert.All(again, m => Assert.Equal(1f, m));
        Assert.Throws<ArgumentOutOfRangeException>(() => DropoutLayer.Draw<float>(again, 1, 0, 0, 0));
    }

    [Fact]
    public void Outside_training_dropout_changes_nothing()
    {
        var dropout = new DropoutClassifier();
        var plain = new PlainClassifier();
        Assert.Equal(plain.Parameters.Length, dropout.Parameters.Length);
        Randomize(dropout.Parameters, 1);
        dropout.Parameters.CopyTo(plain.Parameters);
        double[] inputs = TrainingData.Doubles(4 * 6 * 3, 2, 1.0);
        int[] labels = TrainingData.Ints(4, 3, 3);
        var a = new double[3];
        var b = new double[3];
        dropout.Predict(inputs.AsSpan(0, 18), a);
        plain.Predict(inputs.AsSpan(0, 18), b);
        Assert.Equal(b, a);
        Assert.Equal(plain.Evaluate(inputs, labels, 4), dropout.Evaluate(inputs, labels, 4));

        var lstm = new InputDropoutLstm();
        var twin = new PlainLstm();
        Randomize(lstm.Parameters, 4);
        lstm.Parameters.CopyTo(twin.Parameters);
        var x = new double[1];
        var y = new double[1];
        foreach (double[] step in Enumerable.Range(0, 5).Select(t => TrainingData.Doubles(2, 10 + t, 1.0)))
        {
            lstm.Step(step, x);
            twin.Step(step, y);
            Assert.Equal(y, x);
        }
    }

    [Fact]
    public void A_recurrent_layers_dropout_is_its_input_times_one_mask_per_sequence()
    {
        var lstm = new InputDropoutLstm();
        var twin = new PlainLstm();
        Randomize(lstm.Parameters, 5);
        lstm.Parameters.CopyTo(twin.Parameters);
        double[] inputs = TrainingData.Doubles(3 * 5 * 2, 6, 1.0);
        double[] targets = TrainingData.Doubles(3, 7, 1.0);
        var mask = new double[3 * 2];
        DropoutLayer.Draw<double>(mask, 0.5, site: 0, step: lstm.UpdateCount, first: 0);
        Assert.Contains(0.0, mask);
        double[] dropped = inputs.Select((v, i) => v * mask[(i / 10 * 2) + (i % 2)]).ToArray();

        Assert.Equal(twin.ComputeGradients(dropped, targets, 3), lstm.ComputeGradients(inputs, targets, 3));
        Assert.Equal(twin.Gradients.ToArray(), lstm.Gradients.ToArray());
    }

    [Fact]
    public void DropoutSeed_draws_other_masks()
    {
        var seeded = new SeededInputDropoutLstm();
        var twin = new PlainLstm();
        Randomize(seeded.Parameters, 15);
        seeded.Parameters.CopyTo(twin.Parameters);
        double[] inputs = TrainingData.Doubles(3 * 5 * 2, 16, 1.0);
        double[] targets = TrainingData.Doubles(3, 17, 1.0);
        var mask = new double[3 * 2];
        var unseeded = new double[3 * 2];
        DropoutLayer.Draw<double>(mask, 0.5, site: 0, step: 0, first: 0, seed: 5);
        DropoutLayer.Draw<double>(unseeded, 0.5, site: 0, step: 0, first: 0);
        Assert.NotEqual(unseeded, mask);
        double[] dropped = inputs.Select((v, i) => v * mask[(i / 10 * 2) + (i % 2)]).ToArray();
        Assert.Equal(twin.ComputeGradients(dropped, targets, 3), seeded.ComputeGradients(inputs, targets, 3));
        Assert.Equal(twin.Gradients.ToArray(), seeded.Gradients.ToArray());
    }

    [Fact]
    public void A_dropout_layer_draws_every_value_of_every_step()
    {
        var model = new LayerDropoutLstm();
        var twin = new PlainLstm();
        Randomize(model.Parameters, 8);
        model.Parameters.CopyTo(twin.Parameters);
        double[] inputs = TrainingData.Doubles(3 * 5 * 2, 9, 1.0);
        double[] targets = TrainingData.Doubles(3, 10, 1.0);
        var mask = new double[inputs.Length];
        DropoutLayer.Draw<double>(mask, 0.5, site: 0, step: 0, first: 0);
        double[] dropped = inputs.Zip(mask, (v, m) => v * m).ToArray();
        Assert.Equal(twin.ComputeGradients(dropped, targets, 3), model.ComputeGradients(inputs, targets, 3));
        Assert.Equal(twin.Gradients.ToArray(), model.Gradients.ToArray());
    }

    [Fact]
    public void Training_with_dropout_is_reproducible_bit_for_bit_and_differs_from_without()
    {
        double[] inputs = TrainingData.Doubles(4 * 6 * 3, 11, 1.0);
        int[] labels = TrainingData.Ints(4, 3, 12);
        double[] Train(ITrainableModel<double, double, int> model) => TrainFrom(model, inputs, labels, sequences: 4, seed: 13, updates: 4);

        double[] first = Train(new DropoutClassifier());
        Assert.Equal(first, Train(new DropoutClassifier()));
        Assert.NotEqual(first, Train(new PlainClassifier()));

        // Two shares draw the masks one thread draws: the same training within the rounding of the sums' order.
        double[] parallel = Train(new ParallelDropoutClassifier());
        for (int i = 0; i < first.Length; i++)
        {
            Assert.True(Math.Abs(parallel[i] - first[i]) <= 1e-12 * Math.Max(1, Math.Abs(first[i])), $"parameter {i}: {parallel[i]:R} vs {first[i]:R}");
        }
    }

    [Fact]
    public void A_zero_rate_dropout_layer_trains_as_the_model_without_it()
    {
        double[] inputs = TrainingData.Doubles(3 * 5 * 2, 31, 1.0);
        double[] targets = TrainingData.Doubles(3, 32, 1.0);
        double[] Train(ITrainableModel<double, double, double> model) => TrainFrom(model, inputs, targets, sequences: 3, seed: 33, updates: 3);

        double[] plain = Train(new PlainLstm());
        Assert.Equal(plain, Train(new ZeroRateDropoutLstm()));
        Assert.NotEqual(TrainingData.Doubles(plain.Length, 33, 0.5), plain);
    }

    [Fact] public void Dropout_classifier_gradients_pass_finite_differences() => FiniteDifferences(new DropoutClassifier(), 20);

    [Fact] public void Dropout_in_two_shares_passes_finite_differences() => FiniteDifferences(new ParallelDropoutClassifier(), 21);

    [Fact]
    public void Dropout_tagger_on_masked_tokens_passes_finite_differences()
    {
        var model = new DropoutTagger();
        int[] tokens = [3, 5, 0, 0, 0, 0, 1, 8, 2, 7, 4, 4, 0, 6, 1];
        int[] labels = TrainingData.Ints(15, 4, 22);
        Check(model, tokens, labels, 3, 23);
    }

    [Fact]
    public void Normalized_masked_dropout_model_passes_finite_differences_and_keeps_its_statistics()
    {
        var model = new NormalizedMaskedDropoutTagger();
        // Raw values far from 0 and 1 (mean about 20, spread about 5), padded with -1 steps before, between and after.
        double[] raw = TrainingData.Doubles(3 * 5 * 2, 50, 1.0).Select(v => 20 + (5 * v)).ToArray();
        for (int t = 0; t < 2; t++)
        {
            raw[(t * 2) + 0] = raw[(t * 2) + 1] = -1;            // sequence 0 starts with two padded steps
        }

        raw[(1 * 10) + 6] = raw[(1 * 10) + 7] = -1;             // sequence 1 has a padded step in the middle
        raw[(2 * 10) + 8] = raw[(2 * 10) + 9] = -1;             // sequence 2 ends with one
        double[] targets = TrainingData.Doubles(3 * 5 * 2, 51, 1.0);
        Randomize(model.Parameters, 52);
        model.Adapt(TrainingData.Doubles(4 * 5 * 2, 53, 1.0).Select(v => 20 + (5 * v)).ToArray(), 4);
        double[] statistics = model.Parameters.Slice(0, 5).ToArray();   // mean [2], variance [2], count
        Assert.True(statistics[0] > 15 && statistics[2] > 1, "Adapt set the mean and variance");

        Span<double> parameters = model.Parameters;
        model.ComputeGradients(raw, targets, 3);
        double[] gradients = model.Gradients.ToArray();
        Assert.All(gradients.Take(5), g => Assert.Equal(0.0, g));
        const double H = 1e-5;
        double largest = 0;
        for (int i = 5; i < parameters.Length; i++)
        {
            double saved = parameters[i];
            parameters[i] = saved + H;
            double plus = model.ComputeGradients(raw, targets, 3);
            parameters[i] = saved - H;
            double minus = model.ComputeGradients(raw, targets, 3);
            parameters[i] = saved;
            double numeric = (plus - minus) / (2 * H);
            largest = Math.Max(largest, Math.Abs(numeric));
            Assert.True(Math.Abs(gradients[i] - numeric) <= 1e-6 * Math.Max(Math.Abs(gradients[i]), Math.Abs(numeric)) + 1e-9,
                $"parameter {i}: backprop {gradients[i]:R}, finite difference {numeric:R}");
        }

        Assert.True(largest > 1e-3, "the gradients are all tiny, so the check would prove nothing");
        model.TrainBatch(raw, targets, 3);
        Assert.Equal(statistics, model.Parameters.Slice(0, 5).ToArray());
    }

    [Fact] public void Recurrent_dropout_stack_passes_finite_differences() => FiniteDifferences(new RecurrentDropoutStack(), 60);

    [Fact] public void Recurrent_dropout_in_two_shares_passes_finite_differences() => FiniteDifferences(new ParallelRecurrentDropoutStack(), 61);

    [Fact]
    public void Recurrent_dropout_gru_reset_before_and_simple_rnn_pass_finite_differences()
    {
        var model = new RecurrentDropoutResetBefore();
        double[] inputs = TrainingData.Doubles(3 * 5 * 2, 62, 1.0);
        double[] targets = TrainingData.Doubles(3 * 2, 63, 1.0);
        Span<double> parameters = model.Parameters;
        Randomize(parameters, 64);
        model.ComputeGradients(inputs, targets, 3);
        double[] gradients = model.Gradients.ToArray();
        const double H = 1e-5;
        double largest = 0;
        for (int i = 0; i < parameters.Length; i++)
        {
            double saved = parameters[i];
            parameters[i] = saved + H;
            double plus = model.ComputeGradients(inputs, targets, 3);
            parameters[i] = saved - H;
            double minus = model.ComputeGradients(inputs, targets, 3);
            parameters[i] = saved;
            double numeric = (plus - minus) / (2 * H);
            largest = Math.Max(largest, Math.Abs(numeric));
            Assert.True(Math.Abs(gradients[i] - numeric) <= 1e-6 * Math.Max(Math.Abs(gradients[i]), Math.Abs(numeric)) + 1e-9,
                $"parameter {i}: backprop {gradients[i]:R}, finite difference {numeric:R}");
        }

        Assert.True(largest > 1e-3, "the gradients are all tiny, so the check would prove nothing");
    }

    [Fact]
    public void Recurrent_dropout_on_masked_tokens_in_a_packed_batch_passes_finite_differences()
    {
        var model = new MaskedRecurrentDropout();
        int[] tokens = [0, 0, 3, 5, 1, 8, 2, 0, 7, 4, 6, 0, 0, 0, 2];
        int[] labels = TrainingData.Ints(3, 3, 65);
        Check(model, tokens, labels, 3, 66);
    }

    [Fact]
    public void Recurrent_dropout_changes_nothing_outside_training()
    {
        var dropout = new RecurrentDropoutStack();
        var plain = new PlainStack();
        Randomize(dropout.Parameters, 67);
        dropout.Parameters.CopyTo(plain.Parameters);
        double[] inputs = TrainingData.Doubles(4 * 6 * 3, 68, 1.0);
        int[] labels = TrainingData.Ints(4, 3, 69);
        Assert.Equal(plain.Evaluate(inputs, labels, 4), dropout.Evaluate(inputs, labels, 4));
        Assert.NotEqual(plain.ComputeGradients(inputs, labels, 4), dropout.ComputeGradients(inputs, labels, 4));
    }

    [Fact]
    public void Recurrent_dropout_is_keras_masks_per_gate_on_state_and_input()
    {
        // An independent LSTM in the test, Keras's implementation=1: z_g = (x ⊙ m_g)·K_g + (h ⊙ r_g)·U_g + b_g, with the
        // masks drawn as the model draws them (gate g of the input at site 1000 + g, of the state at 1008 + g, step 0).
        var model = new RecurrentDropoutLstm();
        Randomize(model.Parameters, 70);
        double[] inputs = TrainingData.Doubles(3 * 5 * 2, 71, 1.0);
        double[] targets = TrainingData.Doubles(3, 72, 1.0);
        double[] p = model.Parameters.ToArray();
        const int In = 2, U = 3, W = 12;
        double[][] inputMasks = Enumerable.Range(0, 4).Select(g => { var m = new double[3 * In]; DropoutLayer.Draw<double>(m, 0.5, 1000 + g, 0, 0); return m; }).ToArray();
        double[][] stateMasks = Enumerable.Range(0, 4).Select(g => { var m = new double[3 * U]; DropoutLayer.Draw<double>(m, 0.5, 1008 + g, 0, 0); return m; }).ToArray();
        double loss = 0;
        for (int s = 0; s < 3; s++)
        {
            var h = new double[U];
            var c = new double[U];
            for (int t = 0; t < 5; t++)
            {
                var z = new double[W];
                for (int g = 0; g < 4; g++)
                {
                    for (int j = 0; j < U; j++)
                    {
                        int col = (g * U) + j;
                        double sum = p[(In * W) + (U * W) + col];
                        for (int i = 0; i < In; i++)
                        {
                            sum += inputs[(s * 10) + (t * In) + i] * inputMasks[g][(s * In) + i] * p[(i * W) + col];
                        }

                        for (int i = 0; i < U; i++)
                        {
                            sum += h[i] * stateMasks[g][(s * U) + i] * p[(In * W) + (i * W) + col];
                        }

                        z[col] = sum;
                    }
                }

                for (int j = 0; j < U; j++)
                {
                    double ig = 1 / (1 + Math.Exp(-z[j])), fg = 1 / (1 + Math.Exp(-z[U + j])), cg = Math.Tanh(z[(2 * U) + j]), og = 1 / (1 + Math.Exp(-z[(3 * U) + j]));
                    c[j] = (fg * c[j]) + (ig * cg);
                    h[j] = og * Math.Tanh(c[j]);
                }
            }

            int dense = (In * W) + (U * W) + W;
            double y = p[dense + U];
            for (int j = 0; j < U; j++)
            {
                y += h[j] * p[dense + j];
            }

            loss += (y - targets[s]) * (y - targets[s]) / 3;
        }

        Assert.Contains(0.0, inputMasks.SelectMany(m => m));
        Assert.Contains(0.0, stateMasks.SelectMany(m => m));
        double actual = model.ComputeGradients(inputs, targets, 3);
        Assert.True(Math.Abs(actual - loss) <= 1e-12 * Math.Abs(loss), $"loss {actual:R}, the naive LSTM's {loss:R}");
    }

    [Fact]
    public void Recurrent_dropout_float_gradients_equal_double_within_1e_4()
    {
        var precise = new RecurrentDropoutStack();
        var single = new FloatRecurrentDropoutStack();
        double[] inputs = TrainingData.Doubles(4 * 6 * 3, 73, 1.0);
        int[] labels = TrainingData.Ints(4, 3, 74);
        double[] parameters = TrainingData.Doubles(precise.Parameters.Length, 75, 0.5);
        parameters.CopyTo(precise.Parameters);
        TrainingData.ToFloat(parameters).CopyTo(single.Parameters);
        double preciseLoss = precise.ComputeGradients(inputs, labels, 4);
        float singleLoss = single.ComputeGradients(TrainingData.ToFloat(inputs), labels, 4);
        GradientAsserts.FloatFollowsDouble(preciseLoss, singleLoss, precise.Gradients.ToArray(), single.Gradients.ToArray());
    }

    private static void FiniteDifferences(ITrainableModel<double, double, int> model, int seed)
    {
        double[] inputs = TrainingData.Doubles(4 * 6 * 3, seed, 1.0);
        int[] labels = TrainingData.Ints(4, 3, seed + 1);
        Check(model, inputs, labels, 4, seed + 2);
    }

    /// <summary>Central differences of ComputeGradients' loss: the masks stay fixed while UpdateCount does.</summary>
    private static void Check<TInput>(ITrainableModel<double, TInput, int> model, TInput[] inputs, int[] labels, int sequences, int seed)
        where TInput : unmanaged
    {
        Span<double> parameters = model.Parameters;
        Randomize(parameters, seed);
        model.ComputeGradients(inputs, labels, sequences);
        double[] gradients = model.Gradients.ToArray();
        double largest = 0;
        const double H = 1e-5;
        for (int i = 0; i < parameters.Length; i++)
        {
            double saved = parameters[i];
            parameters[i] = saved + H;
            double plus = model.ComputeGradients(inputs, labels, sequences);
            parameters[i] = saved - H;
            double minus = model.ComputeGradients(inputs, labels, sequences);
            parameters[i] = saved;
            double numeric = (plus - minus) / (2 * H);
            largest = Math.Max(largest, Math.Abs(numeric));
            Assert.True(Math.Abs(gradients[i] - numeric) <= 1e-6 * Math.Max(Math.Abs(gradients[i]), Math.Abs(numeric)) + 1e-9,
                $"parameter {i}: backprop {gradients[i]:R}, finite difference {numeric:R}");
        }

        Assert.True(largest > 1e-3, "the gradients are all tiny, so the check would prove nothing");
    }

    [Fact]
    public void Float_dropout_gradients_equal_double_within_1e_4()
    {
        var precise = new DropoutClassifier();
        var single = new FloatDropoutClassifier();
        double[] inputs = TrainingData.Doubles(4 * 6 * 3, 30, 1.0);
        int[] labels = TrainingData.Ints(4, 3, 31);
        double[] parameters = TrainingData.Doubles(precise.Parameters.Length, 32, 0.5);
        parameters.CopyTo(precise.Parameters);
        TrainingData.ToFloat(parameters).CopyTo(single.Parameters);
        double preciseLoss = precise.ComputeGradients(inputs, labels, 4);
        float singleLoss = single.ComputeGradients(TrainingData.ToFloat(inputs), labels, 4);
        Assert.True(Math.Abs(preciseLoss - singleLoss) <= 1e-5 * Math.Max(1, Math.Abs(preciseLoss)), $"loss {singleLoss} vs {preciseLoss}");
        double[] expected = precise.Gradients.ToArray();
        float[] actual = single.Gradients.ToArray();
        double scale = expected.Max(Math.Abs);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(actual[i] - expected[i]) <= 1e-4 * Math.Max(Math.Abs(expected[i]), 1e-3 * scale), $"gradient {i}: float {actual[i]:R}, double {expected[i]:R}");
        }
    }

    [Fact]
    public void Training_with_dropout_allocates_nothing()
    {
        var model = new FloatDropoutClassifier();
        float[] inputs = TrainingData.Features(4 * 6 * 3, 40);
        int[] labels = TrainingData.Ints(4, 3, 41);
        Assert.Equal(0, EndToEnd.Allocations.OnceWarm(() =>
        {
            model.TrainBatch(inputs, labels, 4);
            model.Evaluate(inputs, labels, 4);
        }, 5));
    }
}
