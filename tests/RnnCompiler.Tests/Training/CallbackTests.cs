using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using RnnCompiler.Training;
using Xunit;

namespace RnnCompiler.Tests.Training;

/// <summary>
/// Fit's callbacks: order and figures, and the ready-made ones against Keras's rules written out here step by step
/// (keras/src/callbacks/*.py), driven by a stand-in model whose losses follow a script.
/// </summary>
public class CallbackTests
{
    // ---- Order and figures ----

    [Fact]
    public void Callbacks_run_in_order_on_the_training_thread_with_running_means()
    {
        // 10 sequences, BatchSize 3: batches of 3, 3, 3, 1 per epoch; 2 epochs.
        var model = new StandIn(batchLosses: Enumerable.Range(1, 8).Select(i => (double)i).ToArray(), validationLosses: new[] { 0.5, 0.4 });
        var log = new Recorder();
        int thread = Environment.CurrentManagedThreadId;
        FitResult result = ModelTrainer.Fit(model, new double[10 * 2], new double[10], 10, 2, new FitOptions(Epochs: 2, Shuffle: false) { Callbacks = new TrainingCallback[] { log } });

        Assert.Equal(
            new[] { "train begin", "epoch 1 begin", "batch 1.1", "batch 1.2", "batch 1.3", "batch 1.4", "epoch 1 end", "epoch 2 begin", "batch 2.1", "batch 2.2", "batch 2.3", "batch 2.4", "epoch 2 end", "train end" },
            log.Events);
        Assert.All(log.Threads, id => Assert.Equal(thread, id));
        // Running mean after batch k of epoch 1: batches weighted by their sequences (3, 3, 3, 1).
        Assert.Equal(new[] { 1.0, 1.5, 2.0, (3 * (1 + 2 + 3) + 4) / 10.0 }, log.RunningLosses.Take(4));
        Assert.Equal((3 * (5 + 6 + 7) + 8) / 10.0, result.History[1].Loss, 12);
        Assert.Equal(new[] { 3, 3, 3, 1 }, log.BatchSequences.Take(4));
        Assert.Equal(4, log.BatchesPerEpoch);
        Assert.False(result.StoppedEarly);
    }

    [Fact]
    public void A_stop_asked_for_after_a_batch_ends_the_epoch_then_still_validates_and_ends_it()
    {
        var model = new StandIn(batchLosses: new double[] { 1, 1, 1, 1 }, validationLosses: new[] { 0.5 });
        var stopper = new StopAfterBatch(2);
        var log = new Recorder();
        FitResult result = ModelTrainer.Fit(model, new double[10 * 2], new double[10], 10, 2, new FitOptions(Epochs: 5, ValidationSplit: 0.2) { Callbacks = new TrainingCallback[] { stopper, log } });
        Assert.Equal(new[] { "train begin", "epoch 1 begin", "batch 1.1", "batch 1.2", "epoch 1 end", "train end" }, log.Events);
        Assert.True(result.StoppedEarly);
        Assert.Single(result.History);
        Assert.Equal(0.5, result.History[0].ValidationLoss);
        Assert.Equal(6, model.TrainedSequences);
    }

    [Fact]
    public void Nothing_is_allocated_between_batches()
    {
        // A real model: TrainBatch and Fit's loop between two batch ends must allocate nothing, with the ready-made
        // callbacks on (EarlyStopping without restore, TerminateOnNaN, a redirected progress bar).
        var model = new CountedClassifier();
        model.InitializeWeights(1);
        int count = 64;
        int[] inputs = Enumerable.Range(0, count * 6).Select(i => (i * 5 + 1) % 9).ToArray();
        int[] targets = Enumerable.Range(0, count).Select(i => i % 3).ToArray();
        // A first Fit compiles every path the measured one takes: the runtime allocates string literals and type
        // objects on the thread that first runs a method, which is the runtime's allocation once, not the loop's.
        ModelTrainer.Fit(model, inputs, targets, count, 6, new FitOptions(Epochs: 2, ValidationSplit: 0.25)
        {
            Callbacks = new TrainingCallback[] { new EarlyStopping { Patience = 5 }, new TerminateOnNaN(), new ConsoleProgressBar(new StringWriter(), dynamic: false), new AllocationProbe() },
        });
        var probe = new AllocationProbe();
        var options = new FitOptions(Epochs: 3, ValidationSplit: 0.25)
        {
            Callbacks = new TrainingCallback[] { new EarlyStopping { Patience = 5 }, new TerminateOnNaN(), new ConsoleProgressBar(new StringWriter(), dynamic: false), probe },
        };
        ModelTrainer.Fit(model, inputs, targets, count, 6, options);
        Assert.True(probe.Gaps.Count >= 3 * 10, $"{probe.Gaps.Count} gaps measured");
        Assert.All(probe.Gaps, gap => Assert.Equal(0, gap));
    }

    [Fact]
    public void A_callback_can_change_the_learning_rate_between_batches_but_not_under_a_schedule()
    {
        var model = new StandIn(batchLosses: new double[] { 1 }, validationLosses: new[] { 1.0 });
        var setter = new SetRateAfterBatch(1, 0.05);
        ModelTrainer.Fit(model, new double[6 * 2], new double[6], 6, 2, new FitOptions(Epochs: 1) { Callbacks = new TrainingCallback[] { setter } });
        Assert.Equal(new[] { 0.1, 0.05 }, model.RatesUsed);

        var scheduled = new StandIn(batchLosses: new double[] { 1 }, validationLosses: new[] { 1.0 }) { LearningRateSchedule = new ExponentialDecay(0.1, 10, 0.5) };
        var error = Assert.Throws<InvalidOperationException>(() =>
            ModelTrainer.Fit(scheduled, new double[6 * 2], new double[6], 6, 2, new FitOptions(Epochs: 1) { Callbacks = new TrainingCallback[] { new SetRateAfterBatch(1, 0.05) } }));
        Assert.Contains("LearningRateSchedule", error.Message, StringComparison.Ordinal);
    }

    // ---- ReduceLROnPlateau ----

    /// <summary>Keras's ReduceLROnPlateau.on_epoch_end, written out from its source, over a list of monitored values.</summary>
    private static List<double> KerasReduceOnPlateau(double[] values, double rate, double factor, int patience, double minDelta, int cooldown, double minRate)
    {
        double? best = null;
        int wait = 0;
        int cooldownCounter = 0;
        var rates = new List<double>();
        foreach (double current in values)
        {
            if (cooldownCounter > 0)
            {
                cooldownCounter -= 1;
                wait = 0;
            }

            // monitor_op = less; improvement when current - min_delta... in min mode: current + |d| < best.
            if (best is null || current + Math.Abs(minDelta) < best)
            {
                best = current;
                wait = 0;
            }
            else if (!(cooldownCounter > 0))
            {
                wait += 1;
                if (wait >= patience)
                {
                    if (rate > (float)minRate)
                    {
                        rate = Math.Max(rate * factor, minRate);
                        cooldownCounter = cooldown;
                        wait = 0;
                    }
                }
            }

            rates.Add(rate);
        }

        return rates;
    }

    [Theory]
    [InlineData(2, 0.5, 0.01, 1, 0.02)]
    [InlineData(1, 0.1, 0.0, 0, 0.0)]
    [InlineData(3, 0.2, 0.05, 2, 0.001)]
    public void ReduceLearningRateOnPlateau_follows_Keras(int patience, double factor, double minDelta, int cooldown, double minRate)
    {
        double[] validation = { 1.0, 0.9, 0.895, 0.9, 0.91, 0.85, 0.86, 0.86, 0.849, 0.9, 0.95, 0.7, 0.71, 0.72, 0.73, 0.74, 0.75, 0.76, 0.77, 0.78 };
        var model = new StandIn(batchLosses: new double[] { 1 }, validationLosses: validation);
        var reduce = new ReduceLearningRateOnPlateau { Patience = patience, Factor = factor, MinDelta = minDelta, Cooldown = cooldown, MinLearningRate = minRate };
        var rates = new RateAfterEpoch();
        ModelTrainer.Fit(model, new double[10 * 2], new double[10], 10, 2, new FitOptions(Epochs: validation.Length, ValidationSplit: 0.2) { Callbacks = new TrainingCallback[] { reduce, rates } });
        List<double> expected = KerasReduceOnPlateau(validation, 0.1, factor, patience, minDelta, cooldown, minRate);
        Assert.Equal(expected, rates.Rates);
        Assert.True(reduce.Reductions > 0);
    }

    [Fact]
    public void ReduceLearningRateOnPlateau_refuses_a_schedule_and_a_factor_of_one()
    {
        var scheduled = new StandIn(batchLosses: new double[] { 1 }, validationLosses: new[] { 1.0 }) { LearningRateSchedule = new ExponentialDecay(0.1, 10, 0.5) };
        Assert.Throws<InvalidOperationException>(() => ModelTrainer.Fit(scheduled, new double[6 * 2], new double[6], 6, 2, new FitOptions(Epochs: 1) { Callbacks = new TrainingCallback[] { new ReduceLearningRateOnPlateau() } }));
        var plain = new StandIn(batchLosses: new double[] { 1 }, validationLosses: new[] { 1.0 });
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => ModelTrainer.Fit(plain, new double[6 * 2], new double[6], 6, 2, new FitOptions(Epochs: 1) { Callbacks = new TrainingCallback[] { new ReduceLearningRateOnPlateau { Factor = 1 } } }));
        Assert.Equal("Factor", error.ParamName);
        Assert.Equal(0, plain.TrainedSequences);
    }

    // ---- EarlyStopping ----

    /// <summary>Keras's EarlyStopping.on_epoch_end in min mode, written out: the epoch it stops at (0: never) and the best epoch (from 1).</summary>
    private static (int Stopped, int Best) KerasEarlyStopping(double[] values, int patience, double minDelta, double? baseline, int startFromEpoch)
    {
        double? best = null;
        int wait = 0;
        int bestEpoch = 0;
        for (int epoch = 0; epoch < values.Length; epoch++)
        {
            double current = values[epoch];
            if (epoch < startFromEpoch)
            {
                continue;
            }

            wait += 1;
            if (best is null || current + Math.Abs(minDelta) < best)
            {
                best = current;
                bestEpoch = epoch + 1;
                if (baseline is null || current + Math.Abs(minDelta) < baseline)
                {
                    wait = 0;
                }

                continue;
            }

            if (wait >= patience && epoch > 0)
            {
                return (epoch + 1, bestEpoch);
            }
        }

        return (0, bestEpoch);
    }

    [Theory]
    [InlineData(2, 0.0, null, 0)]
    [InlineData(0, 0.0, null, 0)]
    [InlineData(3, 0.02, null, 0)]
    [InlineData(2, 0.0, 0.6, 0)]
    [InlineData(1, 0.0, null, 4)]
    [InlineData(20, 0.0, null, 0)]
    public void EarlyStopping_follows_Keras_and_restores_the_best_weights(int patience, double minDelta, double? baseline, int startFromEpoch)
    {
        double[] validation = { 1.0, 0.8, 0.79, 0.81, 0.7, 0.71, 0.72, 0.69, 0.75, 0.76, 0.77, 0.78 };
        var model = new StandIn(batchLosses: new double[] { 1 }, validationLosses: validation);
        var stopping = new EarlyStopping { Patience = patience, MinDelta = minDelta, Baseline = baseline, StartFromEpoch = startFromEpoch, RestoreBestWeights = true };
        FitResult result = ModelTrainer.Fit(model, new double[10 * 2], new double[10], 10, 2, new FitOptions(Epochs: validation.Length, ValidationSplit: 0.2) { Callbacks = new TrainingCallback[] { stopping } });
        (int stopped, int best) = KerasEarlyStopping(validation, patience, minDelta, baseline, startFromEpoch);
        Assert.Equal(stopped, stopping.StoppedEpoch);
        Assert.Equal(stopped == 0 ? validation.Length : stopped, result.History.Count);
        Assert.Equal(stopped != 0, result.StoppedEarly);
        Assert.Equal(best, stopping.BestEpoch);
        // The stand-in's weights name the epoch that produced them; Keras restores at the end, stopped or not.
        Assert.Equal(best, model.Parameters[0]);
    }

    [Fact]
    public void EarlyStopping_on_accuracy_watches_for_a_rise()
    {
        var model = new StandIn(batchLosses: new double[] { 1 }, validationLosses: new double[] { 1, 1, 1, 1, 1 }, validationAccuracies: new[] { 0.5, 0.6, 0.55, 0.58, 0.9 });
        var stopping = new EarlyStopping { Monitor = FitMetric.ValidationAccuracy, Patience = 2 };
        FitResult result = ModelTrainer.Fit(model, new double[10 * 2], new double[10], 10, 2, new FitOptions(Epochs: 5, ValidationSplit: 0.2) { Callbacks = new TrainingCallback[] { stopping } });
        Assert.Equal(4, stopping.StoppedEpoch);
        Assert.Equal(2, stopping.BestEpoch);
        Assert.Equal(4, result.History.Count);
    }

    // ---- TerminateOnNaN ----

    [Fact]
    public void TerminateOnNaN_stops_after_the_first_non_finite_batch()
    {
        // 10 sequences in batches of 3: 4 batches per epoch; the 7th batch (epoch 2, batch 3) is NaN.
        double[] losses = { 1, 1, 1, 1, 1, 1, double.NaN, 1 };
        var model = new StandIn(batchLosses: losses, validationLosses: new[] { 1.0, 1.0 });
        var terminate = new TerminateOnNaN();
        var log = new Recorder();
        FitResult result = ModelTrainer.Fit(model, new double[10 * 2], new double[10], 10, 2, new FitOptions(Epochs: 4) { Callbacks = new TrainingCallback[] { terminate, log } });
        Assert.Equal((2, 3), terminate.TerminatedAt);
        Assert.True(result.StoppedEarly);
        Assert.Equal(2, result.History.Count);
        Assert.Equal("batch 2.3", log.Events[^3]);
        Assert.True(double.IsNaN(result.History[1].Loss));
    }

    // ---- ModelCheckpoint ----

    [Fact]
    public void ModelCheckpoint_saves_the_best_epochs_and_each_file_loads_back()
    {
        string folder = Path.Combine(Path.GetTempPath(), "rnn-checkpoint-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        try
        {
            var model = new CountedClassifier();
            model.InitializeWeights(2);
            int count = 40;
            int[] inputs = Enumerable.Range(0, count * 6).Select(i => (i * 5 + 1) % 9).ToArray();
            int[] targets = Enumerable.Range(0, count).Select(i => i * 7 % 3).ToArray();
            var best = new ModelCheckpoint(Path.Combine(folder, "best.ckpt")) { SaveBestOnly = true };
            var every = new ModelCheckpoint(Path.Combine(folder, "epoch-{epoch}.safetensors")) { WeightsOnly = true };
            var snapshots = new WeightsAfterEpoch(model);
            FitResult result = ModelTrainer.Fit(model, inputs, targets, count, 6, new FitOptions(Epochs: 4, ValidationSplit: 0.25) { Callbacks = new TrainingCallback[] { best, every, snapshots } });

            int bestEpoch = result.BestEpoch;
            Assert.Equal(bestEpoch, Enumerable.Range(1, 4).OrderBy(e => result.History[e - 1].ValidationLoss).First());
            var loaded = new CountedClassifier();
            loaded.LoadCheckpoint(Path.Combine(folder, "best.ckpt"));
            Assert.Equal(snapshots.Weights[bestEpoch - 1], loaded.Parameters.ToArray());
            for (int epoch = 1; epoch <= 4; epoch++)
            {
                var weights = new CountedClassifier();
                using (FileStream stream = File.OpenRead(Path.Combine(folder, $"epoch-{epoch}.safetensors")))
                {
                    weights.LoadWeights(stream);
                }

                Assert.Equal(snapshots.Weights[epoch - 1], weights.Parameters.ToArray());
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    // ---- The progress bar ----

    [Theory]
    [InlineData(0.5, "0.5000")]
    [InlineData(1.23456, "1.2346")]
    [InlineData(0.000125, "1.2500e-04")]
    [InlineData(-0.0005, "-5.0000e-04")]
    [InlineData(0.001, "1.0000e-03")]
    [InlineData(0.0, "0.0000e+00")]
    [InlineData(double.NaN, "nan")]
    [InlineData(double.PositiveInfinity, "inf")]
    public void Figures_are_formatted_as_Keras_formats_them(double value, string expected)
    {
        Assert.Equal(expected, ConsoleProgressBar.FormatFigure(value));
    }

    [Fact]
    public void Redirected_output_gets_one_line_per_epoch_with_the_history_figures()
    {
        var model = new CountedClassifier();
        model.InitializeWeights(4);
        int count = 40;
        int[] inputs = Enumerable.Range(0, count * 6).Select(i => (i * 5 + 1) % 9).ToArray();
        int[] targets = Enumerable.Range(0, count).Select(i => i % 3).ToArray();
        var output = new StringWriter();
        FitResult result = ModelTrainer.Fit(model, inputs, targets, count, 6, new FitOptions(Epochs: 3, ValidationSplit: 0.25) { Callbacks = new TrainingCallback[] { new ConsoleProgressBar(output, dynamic: false) } });
        string[] lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        for (int e = 0; e < 3; e++)
        {
            EpochReport report = result.History[e];
            Match match = Regex.Match(lines[e], @"^Epoch (\d)/3 - 8/8 - \d+s - \d+(s|ms|us)/step - accuracy: (\S+) - loss: (\S+) - val_accuracy: (\S+) - val_loss: (\S+)$");
            Assert.True(match.Success, lines[e]);
            Assert.Equal((e + 1).ToString(System.Globalization.CultureInfo.InvariantCulture), match.Groups[1].Value);
            Assert.Equal(Keras(report.Accuracy), match.Groups[3].Value);
            Assert.Equal(Keras(report.Loss), match.Groups[4].Value);
            Assert.Equal(Keras(report.ValidationAccuracy), match.Groups[5].Value);
            Assert.Equal(Keras(report.ValidationLoss), match.Groups[6].Value);
        }
    }

    [Fact]
    public void A_terminal_gets_a_header_and_a_line_redrawn_in_place()
    {
        var model = new StandIn(batchLosses: new double[] { 0.25 }, validationLosses: new[] { 1.0, 1.0 }) { Delay = TimeSpan.FromMilliseconds(30) };
        var output = new StringWriter();
        ModelTrainer.Fit(model, new double[10 * 2], new double[10], 10, 2, new FitOptions(Epochs: 2) { Callbacks = new TrainingCallback[] { new ConsoleProgressBar(output, dynamic: true) } });
        string text = output.ToString();
        string plain = Regex.Replace(text, "\u001b\\[[0-9]+m", string.Empty);
        Assert.StartsWith("Epoch 1/2\n\r", plain, StringComparison.Ordinal);
        Assert.Contains("\nEpoch 2/2\n", plain, StringComparison.Ordinal);
        // Redraws during the epoch (30 ms batches, 50 ms apart at most), then the final line with its newline.
        Assert.Matches(@"\r1/4 ━{5}━{15} \d+s \d+ms/step - loss: 0\.2500", plain);
        Assert.Matches(@"\r4/4 ━{20} \d+s \d+ms/step - loss: 0\.2500 *\n", plain);
        Assert.Contains("\u001b[32m", text, StringComparison.Ordinal);
    }

    // ---- History ----

    [Fact]
    public void FitResult_prints_a_table_and_writes_Keras_CSV()
    {
        var history = new List<EpochReport>
        {
            new(1, 0.75, 0.5, 0.625, 0.25, 0) { LearningRate = 0.001, Elapsed = TimeSpan.FromSeconds(1.2) },
            new(2, 0.5, 0.75, 0.6, double.NaN, 0) { LearningRate = 0.0001, Elapsed = TimeSpan.FromSeconds(1.5) },
        };
        var result = new FitResult(history, 2, StoppedEarly: true);
        string table = result.ToString();
        Assert.DoesNotContain("List`1", table, StringComparison.Ordinal);
        Assert.Equal(
            "epoch       loss   accuracy   val_loss val_accuracy learning_rate    time\n"
            + "    1     0.7500     0.5000     0.6250       0.2500         0.001   1.20s\n"
            + "    2     0.5000     0.7500     0.6000          nan        0.0001   1.50s\n"
            + "Best epoch 2 of 2; stopped early.",
            table);

        var csv = new StringWriter();
        result.WriteCsv(csv);
        Assert.Equal("epoch,accuracy,learning_rate,loss,val_accuracy,val_loss\r\n0,0.5,0.001,0.75,0.25,0.625\r\n1,0.75,0.0001,0.5,nan,0.6\r\n", csv.ToString());

        var regression = new FitResult(new[] { new EpochReport(1, 0.1, double.NaN, double.NaN, double.NaN, 0) { LearningRate = 0.01 } }, 1, false);
        var plain = new StringWriter();
        regression.WriteCsv(plain);
        Assert.Equal("epoch,learning_rate,loss\r\n0,0.01,0.1\r\n", plain.ToString());
    }

    // ---- Helpers ----

    /// <summary>Python's <c>f"{v:.4f}" if abs(v) > 1e-3 else f"{v:.4e}"</c>, as Keras's Progbar formats a figure.</summary>
    private static string Keras(double value) =>
        Math.Abs(value) > 1e-3
            ? value.ToString("F4", System.Globalization.CultureInfo.InvariantCulture)
            : value.ToString("0.0000e+00", System.Globalization.CultureInfo.InvariantCulture);

    private sealed class Recorder : TrainingCallback
    {
        public List<string> Events { get; } = new();

        public List<int> Threads { get; } = new();

        public List<double> RunningLosses { get; } = new();

        public List<int> BatchSequences { get; } = new();

        public int BatchesPerEpoch { get; private set; }

        public override void OnTrainBegin(FitState state) => Add("train begin");

        public override void OnEpochBegin(FitState state) => Add($"epoch {state.Epoch} begin");

        public override void OnBatchEnd(FitState state)
        {
            Add($"batch {state.Epoch}.{state.Batch}");
            RunningLosses.Add(state.Loss);
            BatchSequences.Add(state.BatchSequences);
            BatchesPerEpoch = state.BatchesPerEpoch;
        }

        public override void OnEpochEnd(FitState state) => Add($"epoch {state.Epoch} end");

        public override void OnTrainEnd(FitState state) => Add("train end");

        private void Add(string text)
        {
            Events.Add(text);
            Threads.Add(Environment.CurrentManagedThreadId);
        }
    }

    private sealed class StopAfterBatch(int batch) : TrainingCallback
    {
        public override void OnBatchEnd(FitState state) => state.StopTraining |= state.Batch == batch;
    }

    private sealed class SetRateAfterBatch(int batch, double rate) : TrainingCallback
    {
        public override void OnBatchEnd(FitState state)
        {
            if (state.Batch == batch)
            {
                state.LearningRate = rate;
            }
        }
    }

    private sealed class RateAfterEpoch : TrainingCallback
    {
        public List<double> Rates { get; } = new();

        public override void OnEpochEnd(FitState state) => Rates.Add(state.LearningRate);
    }

    private sealed class WeightsAfterEpoch(CountedClassifier model) : TrainingCallback
    {
        public List<double[]> Weights { get; } = new();

        public override void OnEpochEnd(FitState state) => Weights.Add(model.Parameters.ToArray());
    }

    private sealed class AllocationProbe : TrainingCallback
    {
        private long _last = -1;

        public List<long> Gaps { get; } = new();

        public override void OnEpochBegin(FitState state) => _last = -1;

        public override void OnBatchEnd(FitState state)
        {
            long now = GC.GetAllocatedBytesForCurrentThread();
            if (_last >= 0)
            {
                Gaps.Add(now - _last);
            }

            _last = GC.GetAllocatedBytesForCurrentThread();
        }
    }
}

/// <summary>
/// A stand-in trainable model whose batch losses, validation losses and accuracies follow a script, so that Fit's and
/// the callbacks' bookkeeping can be checked alone. Its one "weight" names the epoch that produced it.
/// </summary>
internal sealed class StandIn(double[] batchLosses, double[] validationLosses, double[]? validationAccuracies = null) : ITrainableModel<double, double, double>
{
    private readonly double[] _parameters = new double[1];
    private int _batches;
    private int _evaluations;
    private long _updates;

    public int TrainedSequences { get; private set; }

    public List<double> RatesUsed { get; } = new();

    public TimeSpan Delay { get; init; }

    public ModelInfo Info { get; } = new(SequenceLength: 2, TakesTokens: false, InputWidth: 1, OutputUnits: 1, OutputIsSequence: false, ParameterCount: 1, CanStream: true);

    public TrainingInfo Training { get; } = new(3, Loss.MeanSquaredError, 1, false, new OptimizerSettings(Optimizer.Sgd, 0.1));

    public Span<double> Parameters => _parameters;

    public Span<double> Gradients => _parameters;

    public double LastAccuracy => double.NaN;

    public long UpdateCount => _updates;

    public long SkippedUpdates => 0;

    public double LearningRate { get; set; } = 0.1;

    public LearningRateSchedule? LearningRateSchedule { get; set; }

    public double TrainBatch(ReadOnlySpan<double> inputs, ReadOnlySpan<double> targets, int sequences)
    {
        if (Delay > TimeSpan.Zero)
        {
            System.Threading.Thread.Sleep(Delay);
        }

        RatesUsed.Add(LearningRateSchedule.RateAt(LearningRateSchedule, LearningRate, _updates));
        _updates++;
        TrainedSequences += sequences;
        _parameters[0] = _evaluations + 1; // the "weights" name the epoch that produced them
        return batchLosses[Math.Min(_batches++, batchLosses.Length - 1)];
    }

    public double ComputeGradients(ReadOnlySpan<double> inputs, ReadOnlySpan<double> targets, int sequences) => 1;

    public double TrainBatch(ReadOnlySpan<double> inputs, ReadOnlySpan<double> targets, ReadOnlySpan<int> lengths) => TrainBatch(inputs, targets, lengths.Length);

    public double ComputeGradients(ReadOnlySpan<double> inputs, ReadOnlySpan<double> targets, ReadOnlySpan<int> lengths) => 1;

    public (double Loss, double Accuracy) Evaluate(ReadOnlySpan<double> inputs, ReadOnlySpan<double> targets, ReadOnlySpan<int> lengths) => Evaluate(inputs, targets, lengths.Length);

    public (double Loss, double Accuracy) Evaluate(ReadOnlySpan<double> inputs, ReadOnlySpan<double> targets, int sequences)
    {
        // Validation is at most 3 sequences: one evaluation per epoch.
        int epoch = _evaluations++;
        return (validationLosses[Math.Min(epoch, validationLosses.Length - 1)], validationAccuracies is null ? double.NaN : validationAccuracies[epoch]);
    }

    public void InitializeWeights(int seed) { }

    public void SaveWeights(Stream stream) { }

    public void LoadWeights(Stream stream) { }

    public void SaveCheckpoint(Stream stream) { }

    public void LoadCheckpoint(Stream stream) { }
}
