using System;
using System.IO;
using System.Linq;
using RnnCompiler.Training;
using Xunit;

namespace RnnCompiler.Tests.Training;

/// <summary>
/// Learning rates that change while training: the schedules give the rates of Keras's formulas (written out here,
/// 1e-12), a model's <c>LearningRate</c> and <c>LearningRateSchedule</c> drive its updates with the step counted as
/// Keras counts it, and a checkpoint carries rate and step so a resumed run continues bit for bit.
/// </summary>
public class LearningRateScheduleTests
{
    [Fact]
    public void ExponentialDecay_gives_the_Keras_formula()
    {
        var smooth = new ExponentialDecay(0.1, decaySteps: 100, decayRate: 0.96);
        var staircase = new ExponentialDecay(0.1, decaySteps: 100, decayRate: 0.96, staircase: true);
        foreach (long step in new long[] { 0, 1, 50, 99, 100, 101, 250, 10_000 })
        {
            AssertClose(0.1 * Math.Pow(0.96, step / 100.0), smooth.Rate(step));
            AssertClose(0.1 * Math.Pow(0.96, Math.Floor(step / 100.0)), staircase.Rate(step));
        }
    }

    [Fact]
    public void PiecewiseConstantDecay_changes_after_each_boundary()
    {
        var schedule = new PiecewiseConstantDecay([100, 110], [1.0, 0.5, 0.1]);
        Assert.Equal([1.0, 1.0, 0.5, 0.5, 0.1, 0.1], new long[] { 0, 100, 101, 110, 111, 5_000 }.Select(schedule.Rate));
    }

    [Fact]
    public void CosineDecay_gives_the_Keras_formula_with_and_without_warm_up()
    {
        var decay = new CosineDecay(0.1, decaySteps: 1000, alpha: 0.1);
        foreach (long step in new long[] { 0, 1, 250, 500, 999, 1000, 1001, 4000 })
        {
            double s = Math.Min(step, 1000);
            AssertClose(0.1 * ((0.9 * 0.5 * (1 + Math.Cos(Math.PI * s / 1000))) + 0.1), decay.Rate(step));
        }

        var warm = new CosineDecay(0, decaySteps: 1000, warmupTarget: 0.1, warmupSteps: 500);
        foreach (long step in new long[] { 0, 1, 250, 499, 500, 501, 1000, 1500, 9000 })
        {
            double s = Math.Min(step, 1500);
            double expected = s < 500 ? 0.1 * (s / 500) : 0.1 * 0.5 * (1 + Math.Cos(Math.PI * (s - 500) / 1000));
            AssertClose(expected, warm.Rate(step));
        }
    }

    [Fact]
    public void Bad_schedule_arguments_are_named()
    {
        Assert.Equal("decaySteps", Assert.Throws<ArgumentOutOfRangeException>(() => new ExponentialDecay(0.1, 0, 0.9)).ParamName);
        Assert.Equal("initialLearningRate", Assert.Throws<ArgumentOutOfRangeException>(() => new ExponentialDecay(double.NaN, 10, 0.9)).ParamName);
        Assert.Equal("values", Assert.Throws<ArgumentException>(() => new PiecewiseConstantDecay([10], [0.1])).ParamName);
        Assert.Equal("boundaries", Assert.Throws<ArgumentException>(() => new PiecewiseConstantDecay([10, 10], [0.1, 0.2, 0.3])).ParamName);
        Assert.Equal("alpha", Assert.Throws<ArgumentOutOfRangeException>(() => new CosineDecay(0.1, 10, alpha: 2)).ParamName);
        Assert.Equal("warmupSteps", Assert.Throws<ArgumentOutOfRangeException>(() => new CosineDecay(0.1, 10, warmupTarget: 0.2)).ParamName);
    }

    [Fact]
    public void A_changed_LearningRate_is_the_rate_of_the_next_update()
    {
        var model = new SgdModel();
        model.InitializeWeights(5);
        (double[] inputs, double[] targets) = Batch();
        Assert.Equal(0.1, model.LearningRate, 7); // the declared [Train(LearningRate = 0.1)]

        model.ComputeGradients(inputs, targets);
        double[] gradients = model.Gradients.ToArray();
        double[] before = model.Parameters.ToArray();
        model.LearningRate = 0.37;
        model.TrainBatch(inputs, targets);
        double[] after = model.Parameters.ToArray();
        for (int i = 0; i < after.Length; i++)
        {
            Assert.Equal(before[i] - (0.37 * gradients[i]), after[i], 1e-15);
        }
    }

    [Fact]
    public void A_schedule_gives_update_n_its_rate_for_n_counted_from_0()
    {
        var model = new SgdModel();
        model.InitializeWeights(5);
        (double[] inputs, double[] targets) = Batch();
        model.LearningRateSchedule = new PiecewiseConstantDecay([0], [0.0, 0.2]);
        double[] before = model.Parameters.ToArray();
        model.TrainBatch(inputs, targets);
        Assert.Equal(before, model.Parameters.ToArray()); // update 0: rate 0
        Assert.Equal(1, model.UpdateCount);

        model.ComputeGradients(inputs, targets);
        double[] gradients = model.Gradients.ToArray();
        model.TrainBatch(inputs, targets); // update 1: rate 0.2, not LearningRate
        double[] after = model.Parameters.ToArray();
        for (int i = 0; i < after.Length; i++)
        {
            Assert.Equal(before[i] - (0.2 * gradients[i]), after[i], 1e-15);
        }
    }

    [Fact]
    public void A_bad_rate_is_refused_and_nothing_changes()
    {
        var model = new SgdModel();
        model.InitializeWeights(5);
        (double[] inputs, double[] targets) = Batch();
        Assert.Equal("value", Assert.Throws<ArgumentOutOfRangeException>(() => model.LearningRate = -1).ParamName);
        Assert.Equal("value", Assert.Throws<ArgumentOutOfRangeException>(() => model.LearningRate = double.NaN).ParamName);
        Assert.Equal(0.1, model.LearningRate, 7);

        model.LearningRateSchedule = new BrokenSchedule();
        double[] before = model.Parameters.ToArray();
        InvalidOperationException error = Assert.Throws<InvalidOperationException>(() => model.TrainBatch(inputs, targets));
        Assert.Contains("BrokenSchedule gave NaN for step 0", error.Message);
        Assert.Equal(before, model.Parameters.ToArray());
        Assert.Equal(0, model.UpdateCount);
    }

    [Fact]
    public void A_checkpoint_carries_rate_and_step_so_a_resumed_run_continues_bit_for_bit()
    {
        (int[] tokens, int[] classes) = TokenBatch();
        var schedule = new CosineDecay(0.001, decaySteps: 5, warmupTarget: 0.02, warmupSteps: 3);

        // One run of 8 updates: 4, a rate change, then a checkpoint and 4 more.
        var first = new TokenClassifier();
        first.InitializeWeights(3);
        first.LearningRateSchedule = schedule;
        for (int i = 0; i < 4; i++)
        {
            first.TrainBatch(tokens, classes);
        }

        first.LearningRate = 0.0123; // no effect while a schedule is set, but the checkpoint keeps it
        using var checkpoint = new MemoryStream();
        first.SaveCheckpoint(checkpoint);
        for (int i = 0; i < 4; i++)
        {
            first.TrainBatch(tokens, classes);
        }

        // A fresh instance resumed from the checkpoint, given the same schedule.
        var resumed = new TokenClassifier();
        checkpoint.Position = 0;
        resumed.LoadCheckpoint(checkpoint);
        Assert.Equal(0.0123, resumed.LearningRate);
        Assert.Equal(4, resumed.UpdateCount);
        resumed.LearningRateSchedule = schedule;
        for (int i = 0; i < 4; i++)
        {
            resumed.TrainBatch(tokens, classes);
        }

        Assert.Equal(first.Parameters.ToArray(), resumed.Parameters.ToArray());

        // Without the schedule the resumed run would differ: the check can fail.
        var unscheduled = new TokenClassifier();
        checkpoint.Position = 0;
        unscheduled.LoadCheckpoint(checkpoint);
        unscheduled.TrainBatch(tokens, classes);
        Assert.NotEqual(first.Parameters.ToArray(), unscheduled.Parameters.ToArray());
    }

    [Fact]
    public void A_checkpoint_written_before_rates_were_saved_loads_with_the_declared_rate()
    {
        var model = new TokenClassifier();
        model.LearningRate = 0.5;
        using var stream = new MemoryStream();
        model.SaveCheckpoint(stream);

        // The same file with its "learning_rate" key renamed (same length, so the offsets hold): as older versions wrote it.
        byte[] bytes = stream.ToArray();
        string text = System.Text.Encoding.Latin1.GetString(bytes);
        int at = text.IndexOf("\"learning_rate\"", StringComparison.Ordinal);
        Assert.True(at > 0);
        bytes[at + "\"learning_rat".Length] = (byte)'X';

        var loaded = new TokenClassifier();
        loaded.LearningRate = 0.25;
        loaded.LoadCheckpoint(new MemoryStream(bytes));
        Assert.Equal(0.01, loaded.LearningRate, 7); // the declared [Train(LearningRate = 0.01)]

        loaded.LoadCheckpoint(new MemoryStream(stream.ToArray()));
        Assert.Equal(0.5, loaded.LearningRate);
    }

    private sealed class BrokenSchedule : LearningRateSchedule
    {
        public override double Rate(long step) => double.NaN;
    }

    private static (double[] Inputs, double[] Targets) Batch()
    {
        double[] inputs = Enumerable.Range(0, 2 * 4 * 2).Select(i => Math.Sin(i * 0.7)).ToArray();
        double[] targets = [0.3, -0.2, 0.5, 0.1];
        return (inputs, targets);
    }

    /// <summary>Four sequences of 12 tokens for TokenClassifier, and their classes.</summary>
    private static (int[] Tokens, int[] Classes) TokenBatch() => (TrainingData.Ints(4 * 12, 20, seed: 40), TrainingData.Ints(4, 3, seed: 41));

    private static void AssertClose(double expected, double actual) =>
        Assert.True(Math.Abs(expected - actual) <= 1e-12 * Math.Max(1e-300, Math.Abs(expected)) || expected == actual, $"expected {expected:R}, got {actual:R}");
}
