using System;
using System.IO;
using System.Linq;
using RnnCompiler.Training;
using Xunit;

namespace RnnCompiler.Tests.Training;

/// <summary>What training guarantees besides exact gradients: no allocation, nothing changed by bad input or by a
/// non-finite batch, exact resumption from checkpoints, carried state in stateful training.</summary>
public class TrainingBehaviourTests
{
    private static (int[] Tokens, int[] Labels) TokenBatch(int seed, int sequences = 4, int steps = 12) =>
        (TrainingData.Ints(sequences * steps, 20, seed), TrainingData.Ints(sequences, 3, seed + 1));

    [Fact]
    public void TrainBatch_ComputeGradients_and_Evaluate_allocate_nothing_after_construction()
    {
        var model = new TokenClassifier();
        var regressor = new SequenceRegressor();
        (int[] tokens, int[] labels) = TokenBatch(1);
        float[] inputs = TrainingData.Features(3 * 9 * 2, seed: 2);
        float[] targets = TrainingData.Features(3 * 9 * 2, seed: 3);

        void RunAll()
        {
            model.TrainBatch(tokens, labels);
            model.ComputeGradients(tokens, labels, 4);
            model.Evaluate(tokens, labels, 4);
            regressor.TrainBatch(inputs, targets);
            regressor.Evaluate(inputs, targets);
        }

        Assert.Equal(0, EndToEnd.Allocations.OnceWarm(RunAll));
    }

    [Fact]
    public void A_non_finite_batch_skips_the_update_and_is_counted_and_leaves_weights_and_optimizer_untouched()
    {
        var model = new SequenceRegressor();
        var reference = new SequenceRegressor();
        float[] inputs = TrainingData.Features(3 * 9 * 2, seed: 4);
        float[] targets = TrainingData.Features(3 * 9 * 2, seed: 5);
        model.TrainBatch(inputs, targets);
        reference.TrainBatch(inputs, targets);
        float[] weights = model.Parameters.ToArray();

        float[] poisoned = (float[])inputs.Clone();
        poisoned[7] = float.NaN;
        float loss = model.TrainBatch(poisoned, targets);
        Assert.True(float.IsNaN(loss));
        Assert.Equal(1, model.SkippedUpdates);
        Assert.Equal(1, model.UpdateCount);
        Assert.Equal(weights, model.Parameters.ToArray());

        poisoned[7] = float.PositiveInfinity;
        model.TrainBatch(poisoned, targets);
        Assert.Equal(2, model.SkippedUpdates);

        // The optimizer's moments are untouched too: the next good batch gives exactly what a model that never saw
        // the bad batches gives.
        model.TrainBatch(inputs, targets);
        reference.TrainBatch(inputs, targets);
        Assert.Equal(reference.Parameters.ToArray(), model.Parameters.ToArray());
        Assert.Equal(0, reference.SkippedUpdates);
    }

    [Fact]
    public void Bad_input_throws_naming_the_argument_and_changes_nothing()
    {
        var model = new TokenClassifier();
        (int[] tokens, int[] labels) = TokenBatch(6);
        model.TrainBatch(tokens, labels);
        float[] weights = model.Parameters.ToArray();

        Assert.Equal("inputs", Assert.Throws<ArgumentException>(() => model.TrainBatch(tokens.AsSpan(1).ToArray(), labels)).ParamName);
        Assert.Equal("inputs", Assert.Throws<ArgumentException>(() => model.TrainBatch(new int[4 * 13], labels)).ParamName);
        int[] badTokens = (int[])tokens.Clone();
        badTokens[5] = 20;
        Assert.Equal("inputs", Assert.ThrowsAny<ArgumentException>(() => model.TrainBatch(badTokens, labels)).ParamName);
        int[] badLabels = { 0, 1, 3, 2 };
        var labelError = Assert.ThrowsAny<ArgumentException>(() => model.TrainBatch(tokens, badLabels));
        Assert.Equal("targets", labelError.ParamName);
        Assert.Contains("[0, 3)", labelError.Message);
        Assert.Equal("targets", Assert.ThrowsAny<ArgumentException>(() => model.TrainBatch(tokens, labels.AsSpan(0, 3), 4)).ParamName);
        Assert.Equal("sequences", Assert.ThrowsAny<ArgumentException>(() => model.TrainBatch(tokens, labels, 5)).ParamName);
        Assert.Equal("sequences", Assert.ThrowsAny<ArgumentException>(() => model.Evaluate(tokens, labels, 0)).ParamName);

        var regressor = new SequenceRegressor();
        float[] inputs = TrainingData.Features(3 * 9 * 2, seed: 7);
        float[] targets = TrainingData.Features(3 * 9 * 2, seed: 8);
        targets[3] = float.NaN;
        var nanError = Assert.Throws<ArgumentException>(() => regressor.TrainBatch(inputs, targets));
        Assert.Equal("targets", nanError.ParamName);
        Assert.Contains("finite", nanError.Message);
        Assert.Equal(0, regressor.UpdateCount);

        Assert.Equal(weights, model.Parameters.ToArray());
        Assert.Equal(1, model.UpdateCount);
    }

    [Fact]
    public void A_checkpoint_resumes_training_exactly()
    {
        var first = new TokenClassifier();
        for (int i = 0; i < 3; i++)
        {
            (int[] t, int[] l) = TokenBatch(10 + i);
            first.TrainBatch(t, l);
        }

        using var checkpoint = new MemoryStream();
        first.SaveCheckpoint(checkpoint);
        for (int i = 3; i < 6; i++)
        {
            (int[] t, int[] l) = TokenBatch(10 + i);
            first.TrainBatch(t, l);
        }

        var resumed = new TokenClassifier();
        resumed.InitializeWeights(99);
        checkpoint.Position = 0;
        resumed.LoadCheckpoint(checkpoint);
        Assert.Equal(3, resumed.UpdateCount);
        for (int i = 3; i < 6; i++)
        {
            (int[] t, int[] l) = TokenBatch(10 + i);
            resumed.TrainBatch(t, l);
        }

        Assert.Equal(first.Parameters.ToArray(), resumed.Parameters.ToArray());
        Assert.Equal(6, resumed.UpdateCount);
    }

    [Fact]
    public void Loading_weights_alone_is_not_resuming_Adam_so_its_result_differs()
    {
        // The same experiment as above with LoadWeights: the moments start at zero again, so the weights differ —
        // which shows that the checkpoint's moments are what makes resumption exact.
        var first = new TokenClassifier();
        (int[] t1, int[] l1) = TokenBatch(20);
        (int[] t2, int[] l2) = TokenBatch(21);
        first.TrainBatch(t1, l1);
        using var weights = new MemoryStream();
        first.SaveWeights(weights);
        first.TrainBatch(t2, l2);
        var other = new TokenClassifier();
        weights.Position = 0;
        other.LoadWeights(weights);
        other.TrainBatch(t2, l2);
        Assert.NotEqual(first.Parameters.ToArray(), other.Parameters.ToArray());
    }

    [Fact]
    public void A_damaged_or_foreign_checkpoint_is_refused_and_changes_nothing()
    {
        var model = new TokenClassifier();
        (int[] t, int[] l) = TokenBatch(30);
        model.TrainBatch(t, l);
        using var stream = new MemoryStream();
        model.SaveCheckpoint(stream);
        byte[] bytes = stream.ToArray();

        var target = new TokenClassifier();
        target.InitializeWeights(5);
        float[] before = target.Parameters.ToArray();
        Assert.Throws<InvalidDataException>(() => target.LoadCheckpoint(new MemoryStream(bytes[..(bytes.Length - 9)])));
        using var weightsOnly = new MemoryStream();
        model.SaveWeights(weightsOnly);
        weightsOnly.Position = 0;
        Assert.Contains("checkpoint", Assert.Throws<InvalidDataException>(() => target.LoadCheckpoint(weightsOnly)).Message);
        using var rmsProp = new MemoryStream();
        new SequenceRegressor().SaveCheckpoint(rmsProp);
        rmsProp.Position = 0;
        Assert.Throws<InvalidDataException>(() => target.LoadCheckpoint(rmsProp));
        Assert.Equal(before, target.Parameters.ToArray());
        Assert.Equal(0, target.UpdateCount);
    }

    [Fact]
    public void Saving_a_checkpoint_to_a_path_replaces_the_file_whole_and_keeps_the_old_one_when_the_save_fails()
    {
        string folder = Path.Combine(Path.GetTempPath(), "rnn-checkpoint-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        try
        {
            string path = Path.Combine(folder, "model.ckpt");
            var model = new TokenClassifier();
            model.SaveCheckpoint(path);
            byte[] original = File.ReadAllBytes(path);

            // A save that fails half-way leaves the previous checkpoint as it was, and no temporary file behind.
            Assert.Throws<InvalidOperationException>(() => Checkpoint.WriteAtomically(path, stream =>
            {
                stream.Write(new byte[100]);
                throw new InvalidOperationException("interrupted");
            }));
            Assert.Equal(original, File.ReadAllBytes(path));
            Assert.Single(Directory.GetFiles(folder));

            (int[] t, int[] l) = TokenBatch(40);
            model.TrainBatch(t, l);
            model.SaveCheckpoint(path);
            var loaded = new TokenClassifier();
            loaded.LoadCheckpoint(path);
            Assert.Equal(model.Parameters.ToArray(), loaded.Parameters.ToArray());
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void A_save_removes_the_temporary_files_of_killed_saves_but_not_one_being_written()
    {
        string folder = Path.Combine(Path.GetTempPath(), "rnn-checkpoint-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        try
        {
            string path = Path.Combine(folder, "model.ckpt");
            // What a save killed mid-write leaves, as WriteAtomically names it; and one a save in progress holds open.
            string abandoned = Path.Combine(folder, ".model.ckpt." + Guid.NewGuid().ToString("N") + ".tmp");
            string inProgress = Path.Combine(folder, ".model.ckpt." + Guid.NewGuid().ToString("N") + ".tmp");
            string unrelated = Path.Combine(folder, ".other.ckpt." + Guid.NewGuid().ToString("N") + ".tmp");
            string notOurs = Path.Combine(folder, ".model.ckpt.backup.tmp");
            foreach (string file in new[] { abandoned, unrelated, notOurs })
            {
                File.WriteAllBytes(file, new byte[1000]);
            }

            using (var held = new FileStream(inProgress, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                new TokenClassifier().SaveCheckpoint(path);
                Assert.False(File.Exists(abandoned));
                Assert.True(File.Exists(inProgress));
            }

            Assert.True(File.Exists(unrelated));
            Assert.True(File.Exists(notOurs));
            new TokenClassifier().LoadCheckpoint(path);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void Stateful_training_carries_each_rows_state_into_the_next_batch_until_ResetState() =>
        AssertStateCarried(() => new StatefulClassifier(), () => new LongStatefulTwin(), labels: [2, 0], seed: 50);

    [Fact]
    public void Stateful_lstm_training_carries_hidden_and_cell_state_into_the_next_batch_until_ResetState() =>
        AssertStateCarried(() => new StatefulLockStep(), () => new LongStatefulLockStepTwin(), labels: [1, 2], seed: 52);

    /// <summary>
    /// Two batches of 2 rows × 4 steps: with the state carried, the loss of the second batch is the loss of the model run
    /// over each row's 8 steps at once (a twin without [Train] and with room for both batches' steps).
    /// </summary>
    private static void AssertStateCarried<TModel, TTwin>(Func<TModel> create, Func<TTwin> createTwin, int[] labels, int seed)
        where TModel : ITrainableModel<double, double, int>, IFeatureStreamingModel<double>
        where TTwin : IFeatureModel<double>
    {
        TModel model = create();
        double[] first = TrainingData.Doubles(2 * 4 * 2, seed: seed, scale: 1);
        double[] second = TrainingData.Doubles(2 * 4 * 2, seed: seed + 1, scale: 1);
        TModel probe = create();
        model.Parameters.CopyTo(probe.Parameters);

        model.ComputeGradients(first, labels, 2); // no update: the weights stay those of the probe
        double carried = model.ComputeGradients(second, labels, 2);

        double expected = 0;
        var outputs = new double[3];
        for (int row = 0; row < 2; row++)
        {
            double[] whole = first.Skip(row * 8).Take(8).Concat(second.Skip(row * 8).Take(8)).ToArray();
            TTwin longModel = createTwin();
            probe.Parameters.CopyTo(longModel.Parameters);
            longModel.Predict(whole, outputs);
            expected -= Math.Log(outputs[labels[row]]);
        }

        expected /= 2;
        Assert.True(Math.Abs(carried - expected) < 1e-12, $"carried {carried:R}, expected {expected:R}");

        model.ResetState();
        double fresh = model.ComputeGradients(second, labels, 2);
        double evaluated = model.Evaluate(second, labels, 2).Loss;
        Assert.Equal(evaluated, fresh, 12);
        Assert.NotEqual(carried, fresh);
    }

    [Fact]
    public void Fit_reports_every_epoch_splits_off_validation_and_stops_early()
    {
        var model = new StandIn(batchLosses: new[] { 1.0 }, validationLosses: new[] { 1.0, 0.8, 0.9, 0.85, 0.95, 0.5 });
        var reports = new System.Collections.Generic.List<EpochReport>();
        var progress = new SynchronousProgress(reports.Add);
        FitResult result = ModelTrainer.Fit(model, new double[10 * 2], new double[10], 10, 2, new FitOptions(Epochs: 6, ValidationSplit: 0.2, Patience: 2), progress);
        Assert.True(result.StoppedEarly);
        Assert.Equal(2, result.BestEpoch);
        Assert.Equal(4, result.History.Count);
        Assert.Equal(reports, result.History);
        Assert.Equal(8, model.TrainedSequences / 4); // 8 training sequences per epoch, 2 held out
        Assert.Equal(0.8, result.History[1].ValidationLoss, 12);
        Assert.Equal(2.0, model.Parameters[0]); // restored to the weights after epoch 2
    }

    private sealed class SynchronousProgress(Action<EpochReport> report) : IProgress<EpochReport>
    {
        public void Report(EpochReport value) => report(value);
    }
}
