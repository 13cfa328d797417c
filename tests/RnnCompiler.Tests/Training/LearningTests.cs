using System;
using System.Diagnostics;
using System.Linq;
using System.Runtime.InteropServices;
using RnnCompiler.Training;
using Xunit;
using Xunit.Abstractions;

namespace RnnCompiler.Tests.Training;

// Learning is shown, with fixed seeds, on tasks that need memory (issue 3, "Must hold"). These are experiments that
// measure convergence, not kernels: CI runs them once (Category=Learning), not on every vector path. Every seed is
// fixed: the data generator's, InitializeWeights's and FitOptions.Seed.

/// <summary>
/// The long-lag task: step 0 carries a class marker (one of 4 one-hot channels, plus a first-step flag); steps 1..50
/// carry nothing but Gaussian noise on 4 other channels; the target is the class of step 0, read after step 50. The
/// answer depends on an input 50 steps back and nothing after step 0 carries any information about it.
/// </summary>
internal static class LongLagTask
{
    public const int Classes = 4;
    public const int Lag = 50;
    public const int Steps = Lag + 1;
    public const int NoiseChannels = 4;
    public const int Flag = Classes;
    public const int Width = Classes + 1 + NoiseChannels;

    /// <summary>The noise's standard deviation on the noise channels, at every step.</summary>
    public const double Noise = 2.0;

    public const int TrainCount = 8192;
    public const int TestCount = 1024;
    public const int Epochs = 6;

    /// <summary>
    /// The bias given to the gate that keeps memory (LSTM's forget gate, GRU's update gate): sigmoid(3) = 0.95, a
    /// memory time constant of about 20 steps at initialization (chrono initialization, Tallec and Ollivier 2018).
    /// With Keras's defaults alone (forget bias 1, update bias 0) the marker fades by roughly 0.73^50 or 0.5^50 before
    /// training starts, and neither gated layer learns this task in this budget (measured: both stay near chance).
    /// </summary>
    public const float KeepGateBias = 3f;

    private static readonly Lazy<(float[] Inputs, int[] Labels)> s_train = new(() => Make(TrainCount, Noise, seed: 101));
    private static readonly Lazy<(float[] Inputs, int[] Labels)> s_test = new(() => Make(TestCount, Noise, seed: 202));

    public static (float[] Inputs, int[] Labels) Train => s_train.Value;

    public static (float[] Inputs, int[] Labels) Test => s_test.Value;

    /// <summary>[count, Steps, Width] inputs and a class id per sequence.</summary>
    public static (float[] Inputs, int[] Labels) Make(int count, double noise, int seed)
    {
        var random = new Random(seed);
        var inputs = new float[count * Steps * Width];
        var labels = new int[count];
        for (int s = 0; s < count; s++)
        {
            int label = random.Next(Classes);
            labels[s] = label;
            int sequence = s * Steps * Width;
            inputs[sequence + label] = 1;
            inputs[sequence + Flag] = 1;
            for (int t = 0; t < Steps; t++)
            {
                for (int k = Classes + 1; k < Width; k++)
                {
                    inputs[sequence + t * Width + k] = (float)(noise * Gaussian(random));
                }
            }
        }

        return (inputs, labels);
    }

    private static double Gaussian(Random random)
    {
        double u1 = 1 - random.NextDouble();
        double u2 = random.NextDouble();
        return Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }
}

[Trait("Category", "Learning")]
public class LongLagLearningTests
{
    private const int WeightSeed = 11;
    private const int FitSeed = 12;
    private const int Units = 32;

    private readonly ITestOutputHelper _output;

    public LongLagLearningTests(ITestOutputHelper output) => _output = output;

    [Fact]
    public void Lstm_learns_a_50_step_lag_to_99_percent()
    {
        var model = new LongLagLstm();
        model.InitializeWeights(WeightSeed);
        // Declared with KeepGateBias: bias [4 × units], blocks i, f, c, o, the forget block (the second) starts at it.
        int bias = LongLagTask.Width * 4 * Units + Units * 4 * Units;
        Assert.All(model.Parameters.Slice(bias + Units, Units).ToArray(), value => Assert.Equal(LongLagTask.KeepGateBias, value));

        double accuracy = TrainAndTest(model, "Lstm", gateWidth: 4 * Units);
        Assert.True(accuracy >= 0.99, $"Lstm reached {accuracy:P2} on the held-out set; expected at least 99%.");
    }

    [Fact]
    public void Gru_learns_a_50_step_lag_to_99_percent()
    {
        var model = new LongLagGru();
        model.InitializeWeights(WeightSeed);
        // Declared with KeepGateBias: bias [2, 3 × units] (ResetAfter), the input bias row first, blocks z, r, h; z keeps the old state.
        int bias = LongLagTask.Width * 3 * Units + Units * 3 * Units;
        Assert.All(model.Parameters.Slice(bias, Units).ToArray(), value => Assert.Equal(LongLagTask.KeepGateBias, value));

        double accuracy = TrainAndTest(model, "Gru", gateWidth: 3 * Units);
        Assert.True(accuracy >= 0.99, $"Gru reached {accuracy:P2} on the held-out set; expected at least 99%.");
    }

    [Fact]
    public void SimpleRnn_with_the_same_size_and_budget_stays_near_chance()
    {
        var model = new LongLagSimpleRnn();
        model.InitializeWeights(WeightSeed);

        double accuracy = TrainAndTest(model, "SimpleRnn", gateWidth: Units);
        Assert.True(accuracy < 0.40, $"SimpleRnn reached {accuracy:P2} on the held-out set; expected near chance (25%), below 40%.");
    }

    /// <summary>
    /// The control: without the noise the same SimpleRnn carries the marker across the 50 steps easily (its orthogonal
    /// recurrent kernel keeps a small state intact). So it fails above not because it cannot store the class, but
    /// because the training signal from step 0 does not survive 50 noisy tanh steps.
    /// </summary>
    [Fact]
    public void SimpleRnn_learns_the_lag_when_there_is_no_noise()
    {
        var model = new LongLagSimpleRnn();
        model.InitializeWeights(WeightSeed);
        (float[] inputs, int[] labels) = LongLagTask.Make(2048, noise: 0, seed: 303);
        (float[] testInputs, int[] testLabels) = LongLagTask.Make(512, noise: 0, seed: 404);

        double markerGradient = MarkerGradient(model, Units, inputs, labels);
        ModelTrainer.Fit(model, inputs, labels, labels.Length, LongLagTask.Steps, new FitOptions(Epochs: 2, Seed: FitSeed));
        (double loss, double accuracy) = LearningHelpers.Evaluate(model, testInputs, testLabels, LongLagTask.Steps * LongLagTask.Width, 1);
        _output.WriteLine($"SimpleRnn({Units}), no noise: marker-row gradient at initialization {markerGradient:E2}; after 2 epochs of 2048 sequences held-out accuracy {accuracy:P2}, loss {loss:G4}");
        Assert.True(accuracy >= 0.99, $"SimpleRnn without noise reached {accuracy:P2}; expected at least 99%.");
    }

    private double TrainAndTest<TModel>(TModel model, string name, int gateWidth)
        where TModel : ITrainableModel<float, float, int>
    {
        (float[] inputs, int[] labels) = LongLagTask.Train;
        (float[] testInputs, int[] testLabels) = LongLagTask.Test;
        int perSequence = LongLagTask.Steps * LongLagTask.Width;

        double markerGradient = MarkerGradient(model, gateWidth, inputs, labels);
        double noiseGradient = LearningHelpers.Norm(model.Gradients.Slice((LongLagTask.Flag + 1) * gateWidth, LongLagTask.NoiseChannels * gateWidth));

        var clock = Stopwatch.StartNew();
        FitResult fit = ModelTrainer.Fit(model, inputs, labels, labels.Length, LongLagTask.Steps, new FitOptions(Epochs: LongLagTask.Epochs, Seed: FitSeed));
        clock.Stop();
        (double loss, double accuracy) = LearningHelpers.Evaluate(model, testInputs, testLabels, perSequence, 1);

        _output.WriteLine($"{name}({Units}), lag {LongLagTask.Lag}, noise σ {LongLagTask.Noise}, {LongLagTask.TrainCount} sequences × {LongLagTask.Epochs} epochs in {clock.Elapsed.TotalSeconds:F1} s");
        _output.WriteLine($"  gradient reaching step 0 at initialization: marker rows {markerGradient:E2}, noise rows {noiseGradient:E2}");
        foreach (EpochReport epoch in fit.History)
        {
            _output.WriteLine($"  epoch {epoch.Epoch}: loss {epoch.Loss:F4}, accuracy {epoch.Accuracy:P2}");
        }

        _output.WriteLine($"  held-out: accuracy {accuracy:P2}, loss {loss:G4} (chance {1.0 / LongLagTask.Classes:P0})");
        Assert.Equal(0, model.SkippedUpdates);
        return accuracy;
    }

    /// <summary>
    /// How much learning signal reaches step 0, on the first batch: the class channels are non-zero only at step 0, so
    /// the gradient of their rows of the recurrent layer's kernel is exactly what backpropagation through the 50 steps
    /// delivers there (the noise channels' rows, right after the flag's, collect gradient from every step).
    /// </summary>
    private static double MarkerGradient<TModel>(TModel model, int gateWidth, float[]? inputs = null, int[]? labels = null)
        where TModel : ITrainableModel<float, float, int>
    {
        inputs ??= LongLagTask.Train.Inputs;
        labels ??= LongLagTask.Train.Labels;
        model.ComputeGradients(inputs.AsSpan(0, 32 * LongLagTask.Steps * LongLagTask.Width), labels.AsSpan(0, 32), 32);
        return LearningHelpers.Norm(model.Gradients.Slice(0, LongLagTask.Classes * gateWidth));
    }
}

[Trait("Category", "Learning")]
public class ExplodingGradientTests
{
    private const int Steps = 50;
    private const int Units = 16;
    private const int Count = 1024;
    private const int Epochs = 10;
    private const int FitSeed = 21;

    /// <summary>The recurrent kernel is Keras's orthogonal initialization times this: large recurrent weights.</summary>
    private const float RecurrentScale = 2f;

    private readonly ITestOutputHelper _output;

    public ExplodingGradientTests(ITestOutputHelper output) => _output = output;

    [Fact]
    public void Without_clipping_training_diverges_and_with_ClipNorm_or_GlobalClipNorm_the_loss_stays_finite_and_falls()
    {
        // The task: uniform inputs in [-1, 1], one feature per step; the target is the last step's input. Easy, so a
        // stable run learns it; hard to train because the gradient goes back through 50 steps of large recurrent weights.
        var random = new Random(22);
        var inputs = new float[Count * Steps];
        var targets = new float[Count];
        for (int s = 0; s < Count; s++)
        {
            for (int t = 0; t < Steps; t++)
            {
                inputs[s * Steps + t] = (float)(random.NextDouble() * 2 - 1);
            }

            targets[s] = inputs[s * Steps + Steps - 1];
        }

        // The same initial weights for all three models.
        var unclipped = new ExplodingRnn();
        unclipped.InitializeWeights(23);
        double keras = GradientNorm(unclipped, inputs, targets);
        // Kernel [1, units], then recurrent_kernel [units, units].
        foreach (ref float w in unclipped.Parameters.Slice(Units, Units * Units))
        {
            w *= RecurrentScale;
        }

        float[] initial = unclipped.Parameters.ToArray();
        var clipNorm = new ExplodingRnnClipNorm();
        initial.CopyTo(clipNorm.Parameters);
        var globalClipNorm = new ExplodingRnnGlobalClipNorm();
        initial.CopyTo(globalClipNorm.Parameters);

        double scaled = GradientNorm(unclipped, inputs, targets);
        _output.WriteLine($"gradient norm at initialization, first batch: {keras:G4} with Keras's recurrent kernel, {scaled:G4} with it × {RecurrentScale}");
        _output.WriteLine($"SGD, learning rate 0.3, no momentum; {Count} sequences of {Steps} steps, {Epochs} epochs, batch 32");

        Run run = Train(unclipped, "no clipping", inputs, targets);
        Run byTensor = Train(clipNorm, "ClipNorm 1", inputs, targets);
        Run global = Train(globalClipNorm, "GlobalClipNorm 1", inputs, targets);

        // Unclipped: the loss leaves every finite bound; the model skips the non-finite batches (so no NaN reaches the
        // weights) but it never comes back.
        Assert.True(!double.IsFinite(run.Final) || run.Final > 100 * run.Initial, $"unclipped final loss {run.Final:G4}, initial {run.Initial:G4}");
        Assert.True(run.History.Any(h => !double.IsFinite(h.Loss) || h.Loss > 1000 * run.Initial), "no epoch of unclipped training diverged");
        Assert.True(unclipped.SkippedUpdates > 0, "unclipped training never produced a non-finite batch");
        Assert.True(Optimizers.AllFinite<float>(unclipped.Parameters), "a non-finite value reached the weights");

        foreach (Run clipped in new[] { byTensor, global })
        {
            Assert.Equal(0, clipped.Skipped);
            Assert.All(clipped.History, h => Assert.True(double.IsFinite(h.Loss), $"{clipped.Name}: epoch {h.Epoch} loss {h.Loss}"));
            Assert.True(double.IsFinite(clipped.Final) && clipped.Final < 0.5 * clipped.Initial, $"{clipped.Name}: final loss {clipped.Final:G4}, initial {clipped.Initial:G4}");
            Assert.True(clipped.History[^1].Loss < clipped.History[0].Loss, $"{clipped.Name}: the last epoch's loss is not below the first's");
        }
    }

    private Run Train<TModel>(TModel model, string name, float[] inputs, float[] targets)
        where TModel : ITrainableModel<float, float, float>
    {
        double initial = LearningHelpers.Evaluate(model, inputs, targets, Steps, 1).Loss;
        FitResult fit = ModelTrainer.Fit(model, inputs, targets, Count, Steps, new FitOptions(Epochs: Epochs, Seed: FitSeed));
        double final = LearningHelpers.Evaluate(model, inputs, targets, Steps, 1).Loss;
        double largest = 0;
        foreach (float w in model.Parameters)
        {
            largest = Math.Max(largest, Math.Abs(w));
        }

        _output.WriteLine($"{name}: loss {initial:G4} → {final:G4}; {model.UpdateCount} updates, {model.SkippedUpdates} skipped; largest |weight| {largest:G3}");
        _output.WriteLine("  epoch losses: " + string.Join(", ", fit.History.Select(h => h.Loss.ToString("G3"))));
        return new Run(name, initial, final, model.SkippedUpdates, fit.History);
    }

    private static double GradientNorm<TModel>(TModel model, float[] inputs, float[] targets)
        where TModel : ITrainableModel<float, float, float>
    {
        model.ComputeGradients(inputs.AsSpan(0, 32 * Steps), targets.AsSpan(0, 32), 32);
        return LearningHelpers.Norm(model.Gradients);
    }

    private sealed record Run(string Name, double Initial, double Final, long Skipped, System.Collections.Generic.IReadOnlyList<EpochReport> History);
}

[Trait("Category", "Learning")]
public class TrainingDeterminismTests
{
    private const int Steps = 20;
    private const int Count = 400;

    private readonly ITestOutputHelper _output;

    public TrainingDeterminismTests(ITestOutputHelper output) => _output = output;

    [Fact]
    public void The_same_seed_and_data_give_bit_identical_weights()
    {
        int[] tokens = TrainingData.Ints(Count * Steps, 12, seed: 31);
        var labels = new int[Count];
        for (int s = 0; s < Count; s++)
        {
            // A learnable label: which of three token ranges is most frequent in the sequence.
            var counts = new int[3];
            for (int t = 0; t < Steps; t++)
            {
                counts[tokens[s * Steps + t] / 4]++;
            }

            labels[s] = Array.IndexOf(counts, counts.Max());
        }

        var options = new FitOptions(Epochs: 3, Seed: 32, ValidationSplit: 0.2);
        (float[] first, FitResult firstFit) = Train(tokens, labels, options);
        (float[] second, FitResult secondFit) = Train(tokens, labels, options);
        (float[] otherSeed, _) = Train(tokens, labels, options with { Seed = 33 });

        var initial = new DeterministicTokenModel();
        initial.InitializeWeights(34);
        _output.WriteLine($"{first.Length} weights; final validation loss {firstFit.History[^1].ValidationLoss:G6} and {secondFit.History[^1].ValidationLoss:G6}");

        Assert.True(MemoryMarshal.AsBytes(first.AsSpan()).SequenceEqual(MemoryMarshal.AsBytes(second.AsSpan())), "two runs with the same seed and data differ");
        Assert.True(first.SequenceEqual(second));
        Assert.Equal(firstFit.History, secondFit.History);
        Assert.False(first.SequenceEqual(initial.Parameters.ToArray()), "training did not change the weights");
        Assert.False(first.SequenceEqual(otherSeed), "another shuffling seed gave the same weights, so the seed is not used");
    }

    private static (float[] Weights, FitResult Fit) Train(int[] tokens, int[] labels, FitOptions options)
    {
        var model = new DeterministicTokenModel();
        model.InitializeWeights(34);
        FitResult fit = ModelTrainer.Fit(model, tokens, labels, Count, Steps, options);
        Assert.Equal(0, model.SkippedUpdates);
        return (model.Parameters.ToArray(), fit);
    }
}

internal static class LearningHelpers
{
    /// <summary>The mean loss and accuracy over a whole dataset, in batches of the model's BatchSize.</summary>
    public static (double Loss, double Accuracy) Evaluate<TTarget>(ITrainableModel<float, float, TTarget> model, float[] inputs, TTarget[] targets, int inputPerSequence, int targetPerSequence)
        where TTarget : unmanaged
    {
        int count = targets.Length / targetPerSequence;
        int batch = model.Training.BatchSize;
        double loss = 0;
        double accuracy = 0;
        for (int start = 0; start < count; start += batch)
        {
            int n = Math.Min(batch, count - start);
            (float batchLoss, float batchAccuracy) = model.Evaluate(
                inputs.AsSpan(start * inputPerSequence, n * inputPerSequence),
                targets.AsSpan(start * targetPerSequence, n * targetPerSequence),
                n);
            loss += (double)batchLoss * n;
            accuracy += (double)batchAccuracy * n;
        }

        return (loss / count, accuracy / count);
    }

    public static double Norm(ReadOnlySpan<float> values)
    {
        double sum = 0;
        foreach (float v in values)
        {
            sum += (double)v * v;
        }

        return Math.Sqrt(sum);
    }
}
