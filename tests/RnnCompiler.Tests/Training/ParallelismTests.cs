using System;
using System.Threading;
using RnnCompiler.Training;
using Xunit;

namespace RnnCompiler.Tests.Training;

/// <summary>
/// <c>[Train(Parallelism = N)]</c>: a batch split into N fixed shares on several threads gives the gradients of one
/// thread (up to rounding), bit-identical results from run to run, and allocates nothing; and the runner of the shares
/// runs each exactly once and brings a share's exception back to the caller.
/// </summary>
public class ParallelismTests
{
    [Fact]
    public void Double_gradients_and_loss_equal_those_of_one_thread_to_rounding()
    {
        var serial = new GradLstmSparse();
        var parallel = new ParallelGradLstmSparse();
        foreach (int sequences in new[] { 3, 2, 1 })
        {
            double[] inputs = TrainingData.Doubles(sequences * 6 * 4, seed: 30 + sequences, 1.0);
            int[] labels = TrainingData.Ints(sequences, 3, seed: 40 + sequences);
            double[] parameters = TrainingData.Doubles(serial.Parameters.Length, seed: 50, 0.5);
            parameters.CopyTo(serial.Parameters);
            parameters.CopyTo(parallel.Parameters);
            double expected = serial.ComputeGradients(inputs, labels, sequences);
            double actual = parallel.ComputeGradients(inputs, labels, sequences);
            Assert.Equal(expected, actual, 1e-12);
            AssertClose(serial.Gradients.ToArray(), parallel.Gradients.ToArray(), 1e-12);
            Assert.Equal(serial.LastAccuracy, parallel.LastAccuracy);
        }
    }

    [Fact]
    public void Float_gradients_equal_those_of_one_thread_within_1e_5()
    {
        var serial = new FloatLstmSparse();
        var parallel = new ParallelFloatLstmSparse();
        float[] inputs = TrainingData.Features(3 * 5 * 4, seed: 60);
        int[] labels = TrainingData.Ints(3, 3, seed: 61);
        float[] parameters = TrainingData.ToFloat(TrainingData.Doubles(serial.Parameters.Length, seed: 62, 0.5));
        parameters.CopyTo(serial.Parameters);
        parameters.CopyTo(parallel.Parameters);
        float expected = serial.ComputeGradients(inputs, labels, 3);
        float actual = parallel.ComputeGradients(inputs, labels, 3);
        Assert.True(Math.Abs(expected - actual) <= 1e-5 * Math.Abs(expected), $"loss {actual} vs {expected}");
        AssertClose(ToDouble(serial.Gradients), ToDouble(parallel.Gradients), 1e-5);
    }

    [Theory]
    [InlineData(1)] // smaller than the 3 shares: two are empty
    [InlineData(2)] // one share empty
    [InlineData(3)] // one each
    [InlineData(4)] // 1 + 1 + 2
    public void Batches_of_any_size_give_the_gradients_evaluation_and_update_of_one_thread(int sequences)
    {
        var serial = new TokenClassifier();
        var parallel = new ParallelTokenClassifier();
        parallel.Parameters.Clear();
        serial.Parameters.CopyTo(parallel.Parameters);
        int[] tokens = TrainingData.Ints(sequences * 9, 20, seed: 70 + sequences);
        int[] labels = TrainingData.Ints(sequences, 3, seed: 80 + sequences);

        (float serialLoss, float serialAccuracy) = serial.Evaluate(tokens, labels, sequences);
        (float parallelLoss, float parallelAccuracy) = parallel.Evaluate(tokens, labels, sequences);
        Assert.True(Math.Abs(serialLoss - parallelLoss) <= 1e-5 * Math.Abs(serialLoss), $"loss {parallelLoss} vs {serialLoss}");
        Assert.Equal(serialAccuracy, parallelAccuracy);

        serial.ComputeGradients(tokens, labels, sequences);
        parallel.ComputeGradients(tokens, labels, sequences);
        AssertClose(ToDouble(serial.Gradients), ToDouble(parallel.Gradients), 1e-5);

        serial.TrainBatch(tokens, labels, sequences);
        parallel.TrainBatch(tokens, labels, sequences);
        Assert.Equal(1, parallel.UpdateCount);
        AssertClose(ToDouble(serial.Parameters), ToDouble(parallel.Parameters), 1e-5);
    }

    [Fact]
    public void Twenty_batches_give_bit_identical_results_from_run_to_run()
    {
        (float[] Losses, float[] Weights, float[] Gradients) Run()
        {
            var model = new ParallelTokenClassifier();
            var losses = new float[20];
            for (int i = 0; i < losses.Length; i++)
            {
                int sequences = 1 + (i % 4); // every split of the three shares, including empty ones
                int[] tokens = TrainingData.Ints(sequences * 12, 20, seed: 100 + i);
                int[] labels = TrainingData.Ints(sequences, 3, seed: 200 + i);
                losses[i] = model.TrainBatch(tokens, labels, sequences);
            }

            return (losses, model.Parameters.ToArray(), model.Gradients.ToArray());
        }

        (float[] Losses, float[] Weights, float[] Gradients) first = Run();
        (float[] Losses, float[] Weights, float[] Gradients) second = Run();
        AssertBitIdentical(first.Losses, second.Losses);
        AssertBitIdentical(first.Weights, second.Weights);
        AssertBitIdentical(first.Gradients, second.Gradients);

        // The training moved the weights, so the comparison compared something.
        Assert.NotEqual(new ParallelTokenClassifier().Parameters.ToArray(), first.Weights);
    }

    [Fact]
    public void The_same_batch_gives_bit_identical_gradients_every_time()
    {
        var model = new ParallelFloatLstmSparse();
        float[] inputs = TrainingData.Features(3 * 6 * 4, seed: 90);
        int[] labels = TrainingData.Ints(3, 3, seed: 91);
        float loss = model.ComputeGradients(inputs, labels, 3);
        float[] gradients = model.Gradients.ToArray();
        for (int i = 0; i < 50; i++)
        {
            Assert.Equal(BitConverter.SingleToInt32Bits(loss), BitConverter.SingleToInt32Bits(model.ComputeGradients(inputs, labels, 3)));
            AssertBitIdentical(gradients, model.Gradients.ToArray());
        }
    }

    [Fact]
    public void Stateful_training_carries_each_rows_state_as_on_one_thread() =>
        AssertStatefulAsOnOneThread(new StatefulClassifier(), new ParallelStatefulClassifier());

    [Fact]
    public void Stateful_training_in_lock_step_carries_each_rows_lstm_state_as_on_one_thread() =>
        AssertStatefulAsOnOneThread(new StatefulLockStep(), new ParallelStatefulLockStep());

    /// <summary>Six stateful batches of 2 rows × 4 steps (state reset before the fifth) on one thread and in two shares.</summary>
    private static void AssertStatefulAsOnOneThread<TModel, TParallel>(TModel serial, TParallel parallel)
        where TModel : ITrainableModel<double, double, int>, IFeatureStreamingModel<double>
        where TParallel : ITrainableModel<double, double, int>, IFeatureStreamingModel<double>
    {
        serial.Parameters.CopyTo(parallel.Parameters);
        for (int batch = 0; batch < 6; batch++)
        {
            if (batch == 4)
            {
                serial.ResetState();
                parallel.ResetState();
            }

            double[] inputs = TrainingData.Doubles(2 * 4 * 2, seed: 300 + batch, 1.0);
            int[] labels = TrainingData.Ints(2, 3, seed: 400 + batch);
            double expected = serial.TrainBatch(inputs, labels, 2);
            double actual = parallel.TrainBatch(inputs, labels, 2);
            Assert.Equal(expected, actual, 1e-12);
            AssertClose(serial.Gradients.ToArray(), parallel.Gradients.ToArray(), 1e-12);
        }

        AssertClose(serial.Parameters.ToArray(), parallel.Parameters.ToArray(), 1e-12);

        // The carried state matters (a stateless rerun of the last batch gives another loss), so the match above checked it.
        double[] lastInputs = TrainingData.Doubles(2 * 4 * 2, seed: 305, 1.0);
        int[] lastLabels = TrainingData.Ints(2, 3, seed: 405);
        Assert.NotEqual(parallel.Evaluate(lastInputs, lastLabels, 2).Loss, parallel.ComputeGradients(lastInputs, lastLabels, 2), 6);
    }

    [Fact]
    public void Predict_and_Step_run_in_the_first_workspace_as_on_one_thread()
    {
        var serial = new TokenClassifier();
        var parallel = new ParallelTokenClassifier();
        int[] tokens = TrainingData.Ints(12, 20, seed: 500);
        var expected = new float[3];
        var actual = new float[3];
        serial.Predict(tokens, expected);
        parallel.Predict(tokens, actual);
        AssertBitIdentical(expected, actual);
        foreach (int token in tokens)
        {
            serial.Step(token, expected);
            parallel.Step(token, actual);
            AssertBitIdentical(expected, actual);
        }
    }

    [Fact]
    public void A_non_finite_share_skips_the_whole_update()
    {
        var model = new ParallelFloatLstmSparse();
        float[] inputs = TrainingData.Features(3 * 6 * 4, seed: 600);
        int[] labels = TrainingData.Ints(3, 3, seed: 601);
        model.TrainBatch(inputs, labels, 3);
        float[] weights = model.Parameters.ToArray();

        inputs[2 * 6 * 4 + 5] = float.NaN; // in the last sequence, which the second share runs
        Assert.True(float.IsNaN(model.TrainBatch(inputs, labels, 3)));
        Assert.Equal(1, model.SkippedUpdates);
        Assert.Equal(1, model.UpdateCount);
        AssertBitIdentical(weights, model.Parameters.ToArray());
    }

    [Fact]
    public void Bad_input_is_refused_before_any_share_runs()
    {
        var model = new ParallelTokenClassifier();
        int[] tokens = TrainingData.Ints(4 * 12, 20, seed: 700);
        tokens[30] = 20;
        int[] labels = TrainingData.Ints(4, 3, seed: 701);
        Assert.ThrowsAny<ArgumentException>(() => model.TrainBatch(tokens, labels, 4));
        Assert.ThrowsAny<ArgumentException>(() => model.TrainBatch(new int[5 * 12], new int[5], 5));
        Assert.Equal(0, model.UpdateCount);
    }

    [Fact]
    public void TrainBatch_ComputeGradients_and_Evaluate_allocate_nothing_once_warm()
    {
        var model = new ParallelTokenClassifier();
        int[] tokens = TrainingData.Ints(4 * 12, 20, seed: 800);
        int[] labels = TrainingData.Ints(4, 3, seed: 801);
        var outputs = new float[3];

        void RunAll()
        {
            model.TrainBatch(tokens, labels);
            model.ComputeGradients(new ReadOnlySpan<int>(tokens, 0, 3 * 12), new ReadOnlySpan<int>(labels, 0, 3), 3);
            model.Evaluate(tokens, labels, 4);
            model.Predict(new ReadOnlySpan<int>(tokens, 0, 12), outputs);
            model.Step(tokens[0], outputs);
        }

        Assert.Equal(0, EndToEnd.Allocations.OnceWarm(RunAll));
    }

    [Fact]
    public void BatchWorkers_runs_every_share_exactly_once_per_run()
    {
        var shares = new CountingShare[5];
        for (int i = 0; i < shares.Length; i++)
        {
            shares[i] = new CountingShare();
        }

        var workers = new BatchWorkers(shares);
        Assert.Equal(5, workers.Count);
        for (int run = 1; run <= 200; run++)
        {
            workers.Run();
            foreach (CountingShare share in shares)
            {
                Assert.Equal(run, share.Runs);
            }
        }
    }

    [Fact]
    public void Shares_run_at_the_same_time_on_two_cores()
    {
        if (Environment.ProcessorCount < 2)
        {
            return; // one core: the caller runs every share itself, which the other tests cover
        }

        // Whichever share runs first waits (up to 30 s) for the other to start: only a second thread can start it.
        using var started = new CountdownEvent(2);
        var meeting = new MeetingShare(started);
        var workers = new BatchWorkers(new IBatchShare[] { meeting, meeting });
        workers.Run();
        Assert.True(meeting.Met, "the two shares never ran at the same time");
        Assert.NotEqual(meeting.Threads[0], meeting.Threads[1]);
    }

    [Fact]
    public void A_share_exception_surfaces_on_the_calling_thread_and_the_next_run_works()
    {
        var failing = new FailingShare();
        var other = new CountingShare();
        var workers = new BatchWorkers(new IBatchShare[] { other, failing, new CountingShare() });
        failing.Fail = true;
        var error = Assert.Throws<InvalidOperationException>(workers.Run);
        Assert.Equal("share 1 failed", error.Message);
        Assert.Equal(1, other.Runs); // the other shares still ran

        failing.Fail = false;
        workers.Run();
        Assert.Equal(2, other.Runs);
    }

    [Fact]
    public void BatchWorkers_refuses_bad_arguments()
    {
        Assert.Throws<ArgumentException>(() => new BatchWorkers(Array.Empty<IBatchShare>()));
        Assert.Throws<ArgumentException>(() => new BatchWorkers(new IBatchShare[65]));
        Assert.Throws<ArgumentException>(() => new BatchWorkers(new IBatchShare[] { new CountingShare(), null! }));
    }

    private sealed class CountingShare : IBatchShare
    {
        private int _runs;

        public int Runs => Volatile.Read(ref _runs);

        public void Run() => Interlocked.Increment(ref _runs);
    }

    private sealed class MeetingShare(CountdownEvent started) : IBatchShare
    {
        private int _arrivals;

        public int[] Threads { get; } = new int[2];

        public bool Met { get; private set; }

        public void Run()
        {
            Threads[Interlocked.Increment(ref _arrivals) - 1] = Environment.CurrentManagedThreadId;
            started.Signal();
            if (started.Wait(TimeSpan.FromSeconds(30)))
            {
                Met = true;
            }
        }
    }

    private sealed class FailingShare : IBatchShare
    {
        public bool Fail { get; set; }

        public void Run()
        {
            if (Fail)
            {
                throw new InvalidOperationException("share 1 failed");
            }
        }
    }

    private static double[] ToDouble(Span<float> values) => Array.ConvertAll(values.ToArray(), value => (double)value);

    /// <summary>Each value within <paramref name="relative"/> of the expected one, or of the largest expected value for tiny ones.</summary>
    private static void AssertClose(double[] expected, double[] actual, double relative)
    {
        Assert.Equal(expected.Length, actual.Length);
        double scale = 0;
        foreach (double value in expected)
        {
            scale = Math.Max(scale, Math.Abs(value));
        }

        Assert.True(scale > 0, "all expected values are zero, so the comparison would prove nothing");
        for (int i = 0; i < expected.Length; i++)
        {
            double error = Math.Abs(actual[i] - expected[i]);
            Assert.True(error <= relative * Math.Max(Math.Abs(expected[i]), 1e-3 * scale), $"element {i}: {actual[i]:R} vs {expected[i]:R}");
        }
    }

    private static void AssertBitIdentical(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(BitConverter.SingleToInt32Bits(expected[i]) == BitConverter.SingleToInt32Bits(actual[i]), $"element {i}: {actual[i]:R} vs {expected[i]:R}");
        }
    }
}
