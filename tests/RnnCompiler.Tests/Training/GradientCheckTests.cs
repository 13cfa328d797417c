using System;
using RnnCompiler.Training;
using Xunit;

namespace RnnCompiler.Tests.Training;

/// <summary>
/// Every gradient against central finite differences of the loss, on double-precision models of every layer kind,
/// option and loss; and the float model's gradients against the double model's.
/// </summary>
public class GradientCheckTests
{
    private const double Step = 1e-5;
    private const double Relative = 1e-6;
    private const double Absolute = 1e-9;

    [Fact] public void SimpleRnn_tanh_relu_bidirectional_concat_with_mse() => CheckFeatures(new GradSimpleRnnMse(), steps: 5, seed: 1);

    [Fact] public void Stacked_lstm_bidirectional_sum_with_sparse_crossentropy() => CheckFeatures(new GradLstmSparse(), steps: 6, seed: 2);

    [Fact] public void Gru_reset_before_and_after_bidirectional_multiply_average_with_binary_crossentropy() => CheckFeatures(new GradGruBinary(), steps: 4, seed: 3);

    [Fact] public void Embedding_gru_per_step_softmax_with_categorical_crossentropy() => CheckTokens(new GradTokenTagger(), steps: 5, seed: 4);

    [Fact] public void Per_step_dense_before_a_bidirectional_sigmoid_rnn_with_mae() => CheckFeatures(new GradDenseFirstMae(), steps: 3, seed: 5);

    [Fact] public void Linear_simple_rnn_with_mse() => CheckFeatures(new GradLinearRnn(), steps: 5, seed: 6);

    [Fact] public void Bidirectional_lstm_with_sparse_crossentropy_from_logits() => CheckFeatures(new GradLstmLogits(), steps: 4, seed: 7);

    [Fact] public void Gru_sequence_with_binary_crossentropy_from_logits() => CheckFeatures(new GradGruSequenceLogits(), steps: 5, seed: 8);

    [Fact] public void Recurrent_last_layer_with_mse() => CheckFeatures(new GradLstmOutputIsState(), steps: 4, seed: 9);

    [Fact] public void Softmax_output_with_mse_uses_the_softmax_jacobian() => CheckFeatures(new GradSoftmaxMse(), steps: 3, seed: 10);

    [Fact] public void Parallel_shares_stacked_lstm_with_sparse_crossentropy() => CheckFeatures(new ParallelGradLstmSparse(), steps: 6, seed: 21);

    [Fact] public void Parallel_shares_bidirectional_gru_with_binary_crossentropy() => CheckFeatures(new ParallelGradGruBinary(), steps: 4, seed: 22);

    [Fact] public void Parallel_shares_embedding_gru_tagger() => CheckTokens(new ParallelGradTokenTagger(), steps: 5, seed: 23);

    [Fact] public void Parallel_shares_of_three_one_sequence_each() => CheckFeatures(new ParallelGradDenseFirstMae(), steps: 3, seed: 24);

    [Fact] public void Parallel_shares_of_three_with_a_batch_of_two_leave_one_empty() => CheckFeatures(new ParallelGradDenseFirstMae(), steps: 3, seed: 5, sequences: 2);

    [Fact] public void Lock_step_stacked_lstm_into_two_dense_layers() => CheckFeatures(new GradLockStepStacked(), steps: 6, seed: 31);

    [Fact] public void Lock_step_stacked_lstm_on_a_short_partial_batch() => CheckFeatures(new GradLockStepStacked(), steps: 2, seed: 32, sequences: 2);

    [Fact] public void Lock_step_embedding_lstm_per_step_softmax() => CheckTokens(new GradLockStepTagger(), steps: 5, seed: 33);

    [Fact] public void Lock_step_per_step_dense_before_and_after_an_lstm_with_mae() => CheckFeatures(new GradLockStepDenseFirst(), steps: 4, seed: 34);

    [Fact] public void Lock_step_in_two_shares() => CheckFeatures(new ParallelLockStepStacked(), steps: 5, seed: 40);

    [Fact] public void Lock_step_in_two_shares_with_one_left_empty() => CheckFeatures(new ParallelLockStepStacked(), steps: 3, seed: 41, sequences: 1);

    [Fact]
    public void Lock_step_in_two_shares_equals_one_thread_within_rounding()
    {
        var serial = new GradLockStepStacked();
        var parallel = new ParallelLockStepStacked();
        serial.Parameters.CopyTo(parallel.Parameters);
        double[] inputs = TrainingData.Doubles(3 * 6 * 4, seed: 35, 1.0);
        int[] labels = TrainingData.Ints(3, 3, seed: 36);
        double expected = serial.ComputeGradients(inputs, labels, 3);
        double actual = parallel.ComputeGradients(inputs, labels, 3);
        Assert.True(Math.Abs(actual - expected) <= 1e-13, $"loss {actual:R}, expected {expected:R}");
        double[] wanted = serial.Gradients.ToArray();
        double[] got = parallel.Gradients.ToArray();
        for (int i = 0; i < wanted.Length; i++)
        {
            Assert.True(Math.Abs(got[i] - wanted[i]) <= 1e-13 * Math.Max(1, Math.Abs(wanted[i])), $"gradient {i}: {got[i]:R}, expected {wanted[i]:R}");
        }

        Assert.Equal(expected, parallel.Evaluate(inputs, labels, 3).Loss, 13);
    }

    [Fact]
    public void Predict_between_lock_step_batches_changes_nothing_they_compute()
    {
        // Predict runs in the first sequence's block of the buffers a lock-step batch uses; training must not read what
        // it leaves there.
        var quiet = new GradLockStepStacked();
        var busy = new GradLockStepStacked();
        quiet.Parameters.CopyTo(busy.Parameters);
        double[] first = TrainingData.Doubles(3 * 6 * 4, seed: 42, 1.0);
        double[] second = TrainingData.Doubles(3 * 6 * 4, seed: 43, 1.0);
        int[] labels = TrainingData.Ints(3, 3, seed: 44);
        quiet.TrainBatch(first, labels, 3);
        busy.TrainBatch(first, labels, 3);
        busy.Predict(TrainingData.Doubles(5 * 4, seed: 45, 1.0), new double[3]);
        Assert.Equal(quiet.ComputeGradients(second, labels, 3), busy.ComputeGradients(second, labels, 3));
        Assert.Equal(quiet.Gradients.ToArray(), busy.Gradients.ToArray());
    }

    [Fact]
    public void Lock_step_float_gradients_equal_double_gradients_within_1e_4() =>
        Compare(new GradLockStepStacked(), new FloatLockStepStacked(), sequences: 3, steps: 6, seed: 37);

    [Fact] public void Lstm_activation_options_bidirectional_and_stacked() => CheckFeatures(new GradLstmActivations(), steps: 5, seed: 51);

    [Fact] public void Gru_activation_options_in_both_reset_modes_with_a_hard_sigmoid_output() => CheckFeatures(new GradGruActivations(), steps: 5, seed: 52);

    [Fact] public void Parallel_shares_gru_activation_options() => CheckFeatures(new ParallelGradGruActivations(), steps: 4, seed: 53);

    [Fact]
    public void Activation_options_float_gradients_equal_double_gradients_within_1e_4() =>
        Compare(new GradLstmActivations(), new FloatLstmActivations(), sequences: 3, steps: 5, seed: 54);

    [Fact]
    public void Shorter_sequences_and_partial_batches_are_checked_too() => CheckFeatures(new GradLstmSparse(), steps: 2, seed: 11, sequences: 1);

    [Fact]
    public void Float_gradients_equal_double_gradients_within_1e_4()
    {
        var precise = new GradLstmSparse();
        var single = new FloatLstmSparse();
        Compare(precise, single, sequences: 3, steps: 6, seed: 12);

        var preciseTagger = new GradTokenTagger();
        var singleTagger = new FloatTokenTagger();
        int[] tokens = TrainingData.Ints(2 * 5, 11, seed: 13);
        double[] targets = TrainingData.Targets(Loss.CategoricalCrossentropy, 2 * 5, 4, seed: 14);
        double[] parameters = TrainingData.Doubles(preciseTagger.Parameters.Length, seed: 15, scale: 0.5);
        parameters.CopyTo(preciseTagger.Parameters);
        TrainingData.ToFloat(parameters).CopyTo(singleTagger.Parameters);
        preciseTagger.ComputeGradients(tokens, targets, 2);
        singleTagger.ComputeGradients(tokens, TrainingData.ToFloat(targets), 2);
        AssertGradientsClose(preciseTagger.Gradients.ToArray(), singleTagger.Gradients.ToArray());
    }

    /// <summary>The same network in double and in float, on the same weights and batch: loss within 1e-5, gradients within 1e-4.</summary>
    private static void Compare(ITrainableModel<double, double, int> precise, ITrainableModel<float, float, int> single, int sequences, int steps, int seed)
    {
        double[] inputs = TrainingData.Doubles(sequences * steps * precise.Info.InputWidth, seed, 1.0);
        int[] labels = TrainingData.Ints(sequences, precise.Info.OutputUnits, seed + 1);
        double[] parameters = TrainingData.Doubles(precise.Parameters.Length, seed + 2, 0.5);
        parameters.CopyTo(precise.Parameters);
        TrainingData.ToFloat(parameters).CopyTo(single.Parameters);
        double preciseLoss = precise.ComputeGradients(inputs, labels, sequences);
        float singleLoss = single.ComputeGradients(TrainingData.ToFloat(inputs), labels, sequences);
        Assert.True(Math.Abs(preciseLoss - singleLoss) <= 1e-5 * Math.Max(1, Math.Abs(preciseLoss)), $"loss {singleLoss} vs {preciseLoss}");
        AssertGradientsClose(precise.Gradients.ToArray(), single.Gradients.ToArray());
    }

    private static void AssertGradientsClose(double[] expected, float[] actual)
    {
        double scale = 0;
        foreach (double g in expected)
        {
            scale = Math.Max(scale, Math.Abs(g));
        }

        for (int i = 0; i < expected.Length; i++)
        {
            double error = Math.Abs(actual[i] - expected[i]);
            Assert.True(error <= 1e-4 * Math.Max(Math.Abs(expected[i]), 1e-3 * scale), $"gradient {i}: float {actual[i]:R}, double {expected[i]:R}");
        }
    }

    private static void CheckFeatures<TTarget>(ITrainableModel<double, double, TTarget> model, int steps, int seed, int sequences = 0)
        where TTarget : unmanaged
    {
        sequences = sequences == 0 ? model.Training.BatchSize : sequences;
        double[] inputs = TrainingData.Doubles(sequences * steps * model.Info.InputWidth, seed, 1.0);
        Check(model, inputs, MakeTargets(model, sequences, steps, seed), sequences, seed);
    }

    private static void CheckTokens<TTarget>(ITrainableModel<double, int, TTarget> model, int steps, int seed)
        where TTarget : unmanaged
    {
        int sequences = model.Training.BatchSize;
        int[] tokens = TrainingData.Ints(sequences * steps, model.Info.InputWidth, seed);
        Check(model, tokens, MakeTargets(model, sequences, steps, seed), sequences, seed);
    }

    private static TTarget[] MakeTargets<TInput, TTarget>(ITrainableModel<double, TInput, TTarget> model, int sequences, int steps, int seed)
        where TInput : unmanaged
        where TTarget : unmanaged
    {
        TrainingInfo training = model.Training;
        int rows = sequences * TrainingData.RowsPerSequence(model.Info, steps);
        if (typeof(TTarget) == typeof(int))
        {
            return (TTarget[])(object)TrainingData.Ints(rows, model.Info.OutputUnits, seed + 100);
        }

        return (TTarget[])(object)TrainingData.Targets(training.Loss, rows, model.Info.OutputUnits, seed + 100);
    }

    private static void Check<TInput, TTarget>(ITrainableModel<double, TInput, TTarget> model, TInput[] inputs, TTarget[] targets, int sequences, int seed)
        where TInput : unmanaged
        where TTarget : unmanaged
    {
        Span<double> parameters = model.Parameters;
        TrainingData.Doubles(parameters.Length, seed + 200, 0.5).CopyTo(parameters);
        double loss = model.ComputeGradients(inputs, targets, sequences);
        Assert.True(double.IsFinite(loss));
        double[] gradients = model.Gradients.ToArray();
        int checkedCount = 0;
        double largest = 0;
        for (int i = 0; i < parameters.Length; i++)
        {
            double saved = parameters[i];
            parameters[i] = saved + Step;
            double plus = model.Evaluate(inputs, targets, sequences).Loss;
            parameters[i] = saved - Step;
            double minus = model.Evaluate(inputs, targets, sequences).Loss;
            parameters[i] = saved;
            double numeric = (plus - minus) / (2 * Step);
            double error = Math.Abs(gradients[i] - numeric);
            largest = Math.Max(largest, Math.Abs(numeric));
            Assert.True(
                error <= Relative * Math.Max(Math.Abs(gradients[i]), Math.Abs(numeric)) + Absolute,
                $"parameter {i}: backprop {gradients[i]:R}, finite difference {numeric:R}, error {error:E2}");
            checkedCount++;
        }

        Assert.Equal(model.Info.ParameterCount, checkedCount);
        Assert.True(largest > 1e-3, "the gradients are all tiny, so the check would prove nothing");
    }
}
