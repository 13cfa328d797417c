using System;

namespace RnnCompiler.Training;

/// <summary>Whether a watched figure improves by going down or up, as Keras's <c>mode</c>.</summary>
public enum MonitorMode
{
    /// <summary>Down for losses, up for accuracies.</summary>
    Auto = 0,

    /// <summary>Lower is better.</summary>
    Min = 1,

    /// <summary>Higher is better.</summary>
    Max = 2,
}

/// <summary>The improvement test Keras's monitoring callbacks share.</summary>
internal static class Monitoring
{
    /// <summary>
    /// Whether <paramref name="current"/> improves on <paramref name="best"/> (NaN: nothing yet) by more than
    /// |<paramref name="minDelta"/>|: <c>current + |d| &lt; best</c> when lower is better, <c>current - |d| &gt; best</c> when higher is.
    /// A NaN current never improves.
    /// </summary>
    public static bool Improves(FitMetric metric, MonitorMode mode, double minDelta, double current, double best)
    {
        if (double.IsNaN(current))
        {
            return false;
        }

        if (double.IsNaN(best))
        {
            return true;
        }

        double delta = Math.Abs(minDelta);
        return HigherIsBetter(metric, mode) ? current - delta > best : current + delta < best;
    }

    public static bool HigherIsBetter(FitMetric metric, MonitorMode mode) =>
        mode == MonitorMode.Max || (mode == MonitorMode.Auto && metric is FitMetric.Accuracy or FitMetric.ValidationAccuracy);

    public static void Check(FitMetric metric, MonitorMode mode, double minDelta, string argument)
    {
        if (!Enum.IsDefined(metric) || !Enum.IsDefined(mode))
        {
            throw new ArgumentOutOfRangeException(argument, "Monitor and Mode must be named values of FitMetric and MonitorMode.");
        }

        if (!double.IsFinite(minDelta))
        {
            throw new ArgumentOutOfRangeException(argument, minDelta, "MinDelta must be a finite number.");
        }
    }
}

/// <summary>
/// Keras's <c>EarlyStopping</c>: stops training when the watched figure has not improved for
/// <see cref="Patience"/> epochs, and can go back to the weights of its best epoch.
/// </summary>
/// <remarks>
/// Each epoch from <see cref="StartFromEpoch"/> on: an improvement (by more than <see cref="MinDelta"/>) records the
/// epoch as the best and, when it also beats <see cref="Baseline"/> (if set), resets the wait; otherwise the wait grows,
/// and training stops when it reaches <see cref="Patience"/> (never after the first epoch). With
/// <see cref="RestoreBestWeights"/> the best epoch's weights are put back when training ends, stopped or not.
/// </remarks>
public sealed class EarlyStopping : TrainingCallback
{
    private double _best = double.NaN;
    private int _wait;
    private WeightSnapshot? _bestWeights;

    /// <summary>The figure watched; the validation loss by default.</summary>
    public FitMetric Monitor { get; init; } = FitMetric.ValidationLoss;

    /// <summary>Whether lower or higher is better; by the figure by default.</summary>
    public MonitorMode Mode { get; init; }

    /// <summary>The least change that counts as an improvement (its absolute value); 0 by default.</summary>
    public double MinDelta { get; init; }

    /// <summary>Epochs without improvement before stopping; 0 by default (stop at the first epoch that does not improve).</summary>
    public int Patience { get; init; }

    /// <summary>A value the figure must beat before the wait resets, or null.</summary>
    public double? Baseline { get; init; }

    /// <summary>Put back the weights of the best epoch when training ends; false by default, as Keras.</summary>
    public bool RestoreBestWeights { get; init; }

    /// <summary>Epochs to train before watching (from 0: epoch <c>StartFromEpoch + 1</c> is the first watched).</summary>
    public int StartFromEpoch { get; init; }

    /// <summary>The best epoch so far, from 1 (0 before one is watched).</summary>
    public int BestEpoch { get; private set; }

    /// <summary>The epoch that stopped training, or 0 when it did not.</summary>
    public int StoppedEpoch { get; private set; }

    /// <inheritdoc/>
    public override void OnTrainBegin(FitState state)
    {
        Monitoring.Check(Monitor, Mode, MinDelta, nameof(Monitor));
        if (Patience < 0 || StartFromEpoch < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(Patience), "Patience and StartFromEpoch must be at least 0.");
        }

        _best = double.NaN;
        _wait = 0;
        _bestWeights = null;
        BestEpoch = 0;
        StoppedEpoch = 0;
    }

    /// <inheritdoc/>
    public override void OnEpochEnd(FitState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        double current = state.Value(Monitor);
        if (double.IsNaN(current) || state.Epoch <= StartFromEpoch)
        {
            return;
        }

        if (RestoreBestWeights && _bestWeights is null)
        {
            _bestWeights = state.CaptureWeights();
        }

        _wait++;
        if (Monitoring.Improves(Monitor, Mode, MinDelta, current, _best))
        {
            _best = current;
            BestEpoch = state.Epoch;
            if (RestoreBestWeights)
            {
                state.CaptureWeights(_bestWeights);
            }

            if (Baseline is not double baseline || Monitoring.Improves(Monitor, Mode, MinDelta, current, baseline))
            {
                _wait = 0;
            }

            return;
        }

        if (_wait >= Patience && state.Epoch > 1)
        {
            StoppedEpoch = state.Epoch;
            state.StopTraining = true;
        }
    }

    /// <inheritdoc/>
    public override void OnTrainEnd(FitState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (RestoreBestWeights && _bestWeights is not null)
        {
            state.RestoreWeights(_bestWeights);
        }
    }
}

/// <summary>
/// Keras's <c>ReduceLROnPlateau</c>: multiplies the learning rate by <see cref="Factor"/> when the watched figure
/// has not improved for <see cref="Patience"/> epochs, down to <see cref="MinLearningRate"/>.
/// </summary>
/// <remarks>
/// At each epoch's end: during a cooldown the counter counts down and the wait stays 0; an improvement (by more than
/// <see cref="MinDelta"/>) resets the wait; otherwise, out of cooldown, the wait grows, and when it reaches
/// <see cref="Patience"/> a rate above the minimum becomes max(rate × Factor, MinLearningRate), the cooldown starts
/// and the wait resets. The model's <c>LearningRate</c> changes, so a checkpoint keeps the reduced rate. Not for a
/// model that follows a <see cref="LearningRateSchedule"/> (refused when training begins).
/// </remarks>
public sealed class ReduceLearningRateOnPlateau : TrainingCallback
{
    private double _best = double.NaN;
    private int _wait;
    private int _cooldownCounter;

    /// <summary>The figure watched; the validation loss by default.</summary>
    public FitMetric Monitor { get; init; } = FitMetric.ValidationLoss;

    /// <summary>Whether lower or higher is better; by the figure by default.</summary>
    public MonitorMode Mode { get; init; }

    /// <summary>What the rate is multiplied by; in (0, 1), 0.1 by default.</summary>
    public double Factor { get; init; } = 0.1;

    /// <summary>Epochs without improvement before reducing; 10 by default.</summary>
    public int Patience { get; init; } = 10;

    /// <summary>The least change that counts as an improvement; 1e-4 by default.</summary>
    public double MinDelta { get; init; } = 1e-4;

    /// <summary>Epochs to wait after a reduction before watching again; 0 by default.</summary>
    public int Cooldown { get; init; }

    /// <summary>The lowest rate it reduces to; 0 by default.</summary>
    public double MinLearningRate { get; init; }

    /// <summary>The number of reductions made in this run.</summary>
    public int Reductions { get; private set; }

    /// <inheritdoc/>
    public override void OnTrainBegin(FitState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        Monitoring.Check(Monitor, Mode, MinDelta, nameof(Monitor));
        if (!(Factor > 0 && Factor < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(Factor), Factor, "Factor must be in (0, 1): the rate is multiplied by it.");
        }

        if (Patience < 0 || Cooldown < 0 || !(MinLearningRate >= 0) || double.IsInfinity(MinLearningRate))
        {
            throw new ArgumentOutOfRangeException(nameof(Patience), "Patience and Cooldown must be at least 0, and MinLearningRate a finite number at least 0.");
        }

        if (state.HasSchedule)
        {
            throw new InvalidOperationException("ReduceLearningRateOnPlateau sets the model's LearningRate, but the model follows a LearningRateSchedule; use one or the other.");
        }

        _best = double.NaN;
        _wait = 0;
        _cooldownCounter = 0;
        Reductions = 0;
    }

    /// <inheritdoc/>
    public override void OnEpochEnd(FitState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        double current = state.Value(Monitor);
        if (double.IsNaN(current))
        {
            return;
        }

        if (_cooldownCounter > 0)
        {
            _cooldownCounter--;
            _wait = 0;
        }

        if (Monitoring.Improves(Monitor, Mode, MinDelta, current, _best))
        {
            _best = current;
            _wait = 0;
        }
        else if (_cooldownCounter <= 0)
        {
            _wait++;
            if (_wait >= Patience)
            {
                double rate = state.LearningRate;
                if (rate > (float)MinLearningRate)
                {
                    state.LearningRate = Math.Max(rate * Factor, MinLearningRate);
                    Reductions++;
                    _cooldownCounter = Cooldown;
                    _wait = 0;
                }
            }
        }
    }
}

/// <summary>
/// Keras's <c>ModelCheckpoint</c>: saves a checkpoint (or the weights) at the end of every epoch, or only of an epoch
/// that improves on the best so far. Each save replaces the file atomically.
/// </summary>
/// <param name="path">The file to write; <c>{epoch}</c> in it becomes the epoch number.</param>
public sealed class ModelCheckpoint(string path) : TrainingCallback
{
    private double _best = double.NaN;

    /// <summary>The file written.</summary>
    public string Path { get; } = string.IsNullOrEmpty(path) ? throw new ArgumentException("A checkpoint path is required.", nameof(path)) : path;

    /// <summary>The figure watched; the validation loss by default.</summary>
    public FitMetric Monitor { get; init; } = FitMetric.ValidationLoss;

    /// <summary>Whether lower or higher is better; by the figure by default.</summary>
    public MonitorMode Mode { get; init; }

    /// <summary>Save only when the watched figure improves on the best so far; false (save every epoch) by default, as Keras.</summary>
    public bool SaveBestOnly { get; init; }

    /// <summary>Save the weights alone (safetensors, for <c>LoadWeights</c>) instead of a checkpoint with the optimizer's state (for <c>LoadCheckpoint</c>).</summary>
    public bool WeightsOnly { get; init; }

    /// <summary>The epoch last saved, from 1 (0 before a save).</summary>
    public int SavedEpoch { get; private set; }

    /// <inheritdoc/>
    public override void OnTrainBegin(FitState state)
    {
        Monitoring.Check(Monitor, Mode, 0, nameof(Monitor));
        _best = double.NaN;
        SavedEpoch = 0;
    }

    /// <inheritdoc/>
    public override void OnEpochEnd(FitState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        double current = state.Value(Monitor);
        if (SaveBestOnly && !double.IsNaN(current))
        {
            if (!Monitoring.Improves(Monitor, Mode, 0, current, _best))
            {
                return;
            }

            _best = current;
        }

        string file = Path.Replace("{epoch}", state.Epoch.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
        if (WeightsOnly)
        {
            state.SaveWeights(file);
        }
        else
        {
            state.SaveCheckpoint(file);
        }

        SavedEpoch = state.Epoch;
    }
}

/// <summary>
/// Keras's <c>TerminateOnNaN</c>: stops training after a batch whose loss is NaN or infinite. (The model already skips
/// such a batch's update; this ends the run instead of going on.)
/// </summary>
public sealed class TerminateOnNaN : TrainingCallback
{
    /// <summary>The epoch and batch whose loss was not finite, or (0, 0).</summary>
    public (int Epoch, int Batch) TerminatedAt { get; private set; }

    /// <inheritdoc/>
    public override void OnTrainBegin(FitState state) => TerminatedAt = default;

    /// <inheritdoc/>
    public override void OnBatchEnd(FitState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (!double.IsFinite(state.BatchLoss))
        {
            TerminatedAt = (state.Epoch, state.Batch);
            state.StopTraining = true;
        }
    }
}
