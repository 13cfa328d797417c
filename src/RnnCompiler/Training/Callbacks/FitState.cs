using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Numerics;

namespace RnnCompiler.Training;

/// <summary>A figure of a training run that a callback can watch, as Keras's <c>monitor</c> names them.</summary>
public enum FitMetric
{
    /// <summary>The validation loss (<c>val_loss</c>); the training loss when <c>ModelTrainer.Fit</c> holds out no validation data.</summary>
    ValidationLoss = 0,

    /// <summary>The mean training loss of the epoch so far (<c>loss</c>).</summary>
    Loss = 1,

    /// <summary>The validation accuracy (<c>val_accuracy</c>); the training accuracy without validation data.</summary>
    ValidationAccuracy = 2,

    /// <summary>The mean training accuracy of the epoch so far (<c>accuracy</c>).</summary>
    Accuracy = 3,
}

/// <summary>
/// One training run as <c>ModelTrainer.Fit</c> drives it: the figures so far and the levers a
/// <see cref="TrainingCallback"/> pulls. There is one per run; its figures change as the run goes.
/// </summary>
public sealed class FitState
{
    private readonly FitModel _model;
    private readonly List<EpochReport> _history = new();
    private readonly long _started;
    private long _epochStarted;

    internal FitState(FitModel model, int epochs, int batchesPerEpoch, int trainingSequences, int validationSequences)
    {
        _model = model;
        Epochs = epochs;
        BatchesPerEpoch = batchesPerEpoch;
        TrainingSequences = trainingSequences;
        ValidationSequences = validationSequences;
        _started = Stopwatch.GetTimestamp();
        _epochStarted = _started;
    }

    /// <summary>The epochs asked for.</summary>
    public int Epochs { get; }

    /// <summary>The epoch running or just run, from 1.</summary>
    public int Epoch { get; private set; }

    /// <summary>The batches of every epoch: the training sequences over the batch size, rounded up.</summary>
    public int BatchesPerEpoch { get; }

    /// <summary>The sequences trained on per epoch.</summary>
    public int TrainingSequences { get; }

    /// <summary>The sequences held out for validation (0 without validation).</summary>
    public int ValidationSequences { get; }

    /// <summary>Whether the run holds out validation data.</summary>
    public bool HasValidation => ValidationSequences > 0;

    /// <summary>The batch just run in this epoch, from 1 (0 before the first).</summary>
    public int Batch { get; private set; }

    /// <summary>The sequences of the batch just run.</summary>
    public int BatchSequences { get; private set; }

    /// <summary>The loss of the batch just run, before its update.</summary>
    public double BatchLoss { get; private set; } = double.NaN;

    /// <summary>The accuracy of the batch just run (NaN for regression losses).</summary>
    public double BatchAccuracy { get; private set; } = double.NaN;

    /// <summary>The mean training loss of this epoch's batches so far, weighted by their sequences (Keras's running <c>loss</c>).</summary>
    public double Loss { get; private set; } = double.NaN;

    /// <summary>The mean training accuracy of this epoch's batches so far (NaN for regression losses).</summary>
    public double Accuracy { get; private set; } = double.NaN;

    /// <summary>The validation loss of the epoch, once its validation has run (NaN before, and without validation).</summary>
    public double ValidationLoss { get; private set; } = double.NaN;

    /// <summary>The validation accuracy of the epoch, once its validation has run (NaN before, without validation, or for regression).</summary>
    public double ValidationAccuracy { get; private set; } = double.NaN;

    /// <summary>The report of the last finished epoch, or null before the first ends.</summary>
    public EpochReport? LastEpoch => _history.Count == 0 ? null : _history[^1];

    /// <summary>The reports of the finished epochs.</summary>
    public IReadOnlyList<EpochReport> History => _history;

    /// <summary>The time since training started.</summary>
    public TimeSpan Elapsed => Stopwatch.GetElapsedTime(_started);

    /// <summary>The time since this epoch started.</summary>
    public TimeSpan EpochElapsed => Stopwatch.GetElapsedTime(_epochStarted);

    /// <summary>The model's optimizer updates so far.</summary>
    public long UpdateCount => _model.UpdateCount;

    /// <summary>The model's batches skipped so far for a non-finite loss or gradient.</summary>
    public long SkippedUpdates => _model.SkippedUpdates;

    /// <summary>Set to end training: after the current batch (in <see cref="TrainingCallback.OnBatchEnd"/>) or epoch.</summary>
    public bool StopTraining { get; set; }

    /// <summary>Whether the model follows a <see cref="Training.LearningRateSchedule"/>, so that <see cref="LearningRate"/> cannot be set.</summary>
    public bool HasSchedule => _model.Schedule is not null;

    /// <summary>
    /// The learning rate of the next update: the schedule's for the next step when the model has one, else the
    /// model's <c>LearningRate</c>. Setting it sets the model's <c>LearningRate</c>, from the next batch on.
    /// </summary>
    /// <exception cref="InvalidOperationException">Set while the model follows a schedule.</exception>
    /// <exception cref="ArgumentOutOfRangeException">Set to a negative, infinite or NaN rate.</exception>
    public double LearningRate
    {
        get => LearningRateSchedule.RateAt(_model.Schedule, _model.LearningRate, _model.UpdateCount);
        set
        {
            if (_model.Schedule is not null)
            {
                throw new InvalidOperationException("The model follows a LearningRateSchedule, which sets every update's rate; set the model's LearningRateSchedule to null before changing LearningRate.");
            }

            _model.LearningRate = LearningRateSchedule.CheckRate(value, nameof(value));
        }
    }

    /// <summary>
    /// The figure <paramref name="metric"/> names now: the epoch's running training means, or its validation figures
    /// (which fall back to the training ones when the run holds out no validation data).
    /// </summary>
    public double Value(FitMetric metric) => metric switch
    {
        FitMetric.Loss => Loss,
        FitMetric.Accuracy => Accuracy,
        FitMetric.ValidationLoss => HasValidation ? ValidationLoss : Loss,
        FitMetric.ValidationAccuracy => HasValidation ? ValidationAccuracy : Accuracy,
        _ => throw new ArgumentOutOfRangeException(nameof(metric), metric, "Not a FitMetric."),
    };

    /// <summary>Writes a checkpoint of the model (weights, optimizer state, step) to <paramref name="path"/>, replacing it atomically.</summary>
    /// <param name="path">The checkpoint file.</param>
    public void SaveCheckpoint(string path) => Checkpoint.WriteAtomically(path, _model.SaveCheckpoint);

    /// <summary>Writes the model's weights as safetensors to <paramref name="path"/>, replacing it atomically.</summary>
    /// <param name="path">The weights file.</param>
    public void SaveWeights(string path) => Checkpoint.WriteAtomically(path, _model.SaveWeights);

    /// <summary>
    /// Copies the model's weights into a snapshot: <paramref name="reuse"/> when given (no allocation), else a new one.
    /// </summary>
    /// <param name="reuse">A snapshot of this run to overwrite, or null.</param>
    /// <returns>The snapshot, holding the weights as they are now and the epoch they belong to.</returns>
    public WeightSnapshot CaptureWeights(WeightSnapshot? reuse = null)
    {
        WeightSnapshot snapshot = reuse ?? new WeightSnapshot(_model.NewBuffer());
        _model.Capture(snapshot.Values);
        snapshot.Epoch = Epoch;
        return snapshot;
    }

    /// <summary>Copies a snapshot's weights back into the model.</summary>
    /// <param name="snapshot">A snapshot taken by <see cref="CaptureWeights"/> in this run.</param>
    /// <exception cref="ArgumentException">The snapshot is of another model.</exception>
    public void RestoreWeights(WeightSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        _model.Restore(snapshot.Values);
    }

    internal void BeginEpoch(int epoch)
    {
        Epoch = epoch;
        Batch = 0;
        BatchSequences = 0;
        BatchLoss = BatchAccuracy = Loss = Accuracy = ValidationLoss = ValidationAccuracy = double.NaN;
        _epochStarted = Stopwatch.GetTimestamp();
    }

    internal void EndBatch(int sequences, double loss, double accuracy, double meanLoss, double meanAccuracy)
    {
        Batch++;
        BatchSequences = sequences;
        BatchLoss = loss;
        BatchAccuracy = accuracy;
        Loss = meanLoss;
        Accuracy = meanAccuracy;
    }

    internal EpochReport EndEpoch(double validationLoss, double validationAccuracy)
    {
        ValidationLoss = validationLoss;
        ValidationAccuracy = validationAccuracy;
        var report = new EpochReport(Epoch, Loss, Accuracy, validationLoss, validationAccuracy, _model.SkippedUpdates)
        {
            LearningRate = LearningRate,
            Elapsed = EpochElapsed,
        };
        _history.Add(report);
        return report;
    }
}

/// <summary>A copy of a model's weights taken during a run (<see cref="FitState.CaptureWeights"/>).</summary>
public sealed class WeightSnapshot
{
    internal WeightSnapshot(Array values) => Values = values;

    internal Array Values { get; }

    /// <summary>The epoch whose weights these are (0 when taken before the first).</summary>
    public int Epoch { get; internal set; }
}

/// <summary>The model of a run, seen without its type parameters.</summary>
internal abstract class FitModel
{
    public abstract long UpdateCount { get; }

    public abstract long SkippedUpdates { get; }

    public abstract double LearningRate { get; set; }

    public abstract LearningRateSchedule? Schedule { get; }

    public abstract void SaveCheckpoint(Stream stream);

    public abstract void SaveWeights(Stream stream);

    public abstract Array NewBuffer();

    public abstract void Capture(Array buffer);

    public abstract void Restore(Array buffer);
}

/// <summary>A <see cref="FitModel"/> over a trainable model.</summary>
internal sealed class FitModel<T, TInput, TTarget>(ITrainableModel<T, TInput, TTarget> model) : FitModel
    where T : unmanaged, IBinaryFloatingPointIeee754<T>
    where TInput : unmanaged
    where TTarget : unmanaged
{
    public override long UpdateCount => model.UpdateCount;

    public override long SkippedUpdates => model.SkippedUpdates;

    public override double LearningRate
    {
        get => model.LearningRate;
        set => model.LearningRate = value;
    }

    public override LearningRateSchedule? Schedule => model.LearningRateSchedule;

    public override void SaveCheckpoint(Stream stream) => model.SaveCheckpoint(stream);

    public override void SaveWeights(Stream stream) => model.SaveWeights(stream);

    public override Array NewBuffer() => new T[model.Parameters.Length];

    public override void Capture(Array buffer) => model.Parameters.CopyTo(Typed(buffer));

    public override void Restore(Array buffer) => Typed(buffer).CopyTo(model.Parameters);

    private T[] Typed(Array buffer) =>
        buffer is T[] typed && typed.Length == model.Parameters.Length
            ? typed
            : throw new ArgumentException("The snapshot holds the weights of another model.", "snapshot");
}
