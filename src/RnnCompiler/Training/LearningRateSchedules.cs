using System;
using System.Globalization;

namespace RnnCompiler.Training;

/// <summary>
/// A learning rate that changes with the optimizer's step, as Keras's <c>keras.optimizers.schedules</c>. Set one on a
/// model's <c>LearningRateSchedule</c>: update number <c>n</c> (counted from 0, the model's <c>UpdateCount</c> before
/// it) then uses <see cref="Rate"/>(n) instead of <c>LearningRate</c>. The step count is saved in checkpoints, so a run
/// resumed from one with the same schedule continues with the same rates.
/// </summary>
public abstract class LearningRateSchedule
{
    /// <summary>The learning rate of update <paramref name="step"/> (from 0).</summary>
    public abstract double Rate(long step);

    /// <summary>Checks that a learning rate is finite and not negative, naming <paramref name="argument"/> if it is not.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The rate is negative, infinite or NaN.</exception>
    public static double CheckRate(double rate, string argument)
    {
        if (!double.IsFinite(rate) || rate < 0)
        {
            throw new ArgumentOutOfRangeException(argument, rate, "A learning rate must be finite and at least 0.");
        }

        return rate;
    }

    /// <summary>
    /// The rate of <paramref name="schedule"/> at <paramref name="step"/>, or <paramref name="learningRate"/> without a
    /// schedule; the generated <c>TrainBatch</c> calls it before it changes anything.
    /// </summary>
    /// <exception cref="InvalidOperationException">The schedule gave a negative, infinite or NaN rate.</exception>
    public static double RateAt(LearningRateSchedule? schedule, double learningRate, long step)
    {
        if (schedule is null)
        {
            return learningRate;
        }

        double rate = schedule.Rate(step);
        return double.IsFinite(rate) && rate >= 0 ? rate
            : throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture, $"The learning rate schedule {schedule.GetType().Name} gave {rate} for step {step}; a rate must be finite and at least 0. No update was made."));
    }
}

/// <summary>
/// Keras's <c>ExponentialDecay</c>: <c>initialLearningRate · decayRate ^ (step / decaySteps)</c>, with
/// <c>step / decaySteps</c> rounded down when <c>staircase</c> is set.
/// </summary>
public sealed class ExponentialDecay : LearningRateSchedule
{
    private readonly double _initialLearningRate;
    private readonly long _decaySteps;
    private readonly double _decayRate;
    private readonly bool _staircase;

    /// <summary>A schedule that multiplies the rate by <paramref name="decayRate"/> every <paramref name="decaySteps"/> updates.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A rate is negative or not finite, or <paramref name="decaySteps"/> is not positive.</exception>
    public ExponentialDecay(double initialLearningRate, long decaySteps, double decayRate, bool staircase = false)
    {
        _initialLearningRate = CheckRate(initialLearningRate, nameof(initialLearningRate));
        _decaySteps = decaySteps > 0 ? decaySteps : throw new ArgumentOutOfRangeException(nameof(decaySteps), decaySteps, "decaySteps must be at least 1.");
        _decayRate = double.IsFinite(decayRate) && decayRate >= 0 ? decayRate : throw new ArgumentOutOfRangeException(nameof(decayRate), decayRate, "decayRate must be finite and at least 0.");
        _staircase = staircase;
    }

    /// <inheritdoc />
    public override double Rate(long step)
    {
        double p = (double)step / _decaySteps;
        return _initialLearningRate * Math.Pow(_decayRate, _staircase ? Math.Floor(p) : p);
    }
}

/// <summary>
/// Keras's <c>PiecewiseConstantDecay</c>: <c>values[0]</c> while <c>step ≤ boundaries[0]</c>, <c>values[i]</c> while
/// <c>boundaries[i-1] &lt; step ≤ boundaries[i]</c>, and the last value after the last boundary.
/// </summary>
public sealed class PiecewiseConstantDecay : LearningRateSchedule
{
    private readonly long[] _boundaries;
    private readonly double[] _values;

    /// <summary>A schedule of constant rates between step boundaries.</summary>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">The boundaries are not strictly increasing, or there is not one value more than boundaries, or a value is not a rate.</exception>
    public PiecewiseConstantDecay(long[] boundaries, double[] values)
    {
        ArgumentNullException.ThrowIfNull(boundaries);
        ArgumentNullException.ThrowIfNull(values);
        if (values.Length != boundaries.Length + 1)
        {
            throw new ArgumentException($"Expected one value more than boundaries: {boundaries.Length} boundaries need {boundaries.Length + 1} values; got {values.Length}.", nameof(values));
        }

        for (int i = 1; i < boundaries.Length; i++)
        {
            if (boundaries[i] <= boundaries[i - 1])
            {
                throw new ArgumentException($"The boundaries must be strictly increasing; boundary {i} is {boundaries[i]} after {boundaries[i - 1]}.", nameof(boundaries));
            }
        }

        foreach (double value in values)
        {
            CheckRate(value, nameof(values));
        }

        _boundaries = (long[])boundaries.Clone();
        _values = (double[])values.Clone();
    }

    /// <inheritdoc />
    public override double Rate(long step)
    {
        int interval = 0;
        while (interval < _boundaries.Length && step > _boundaries[interval])
        {
            interval++;
        }

        return _values[interval];
    }
}

/// <summary>
/// Keras's <c>CosineDecay</c>, with its optional linear warm-up. Without <c>warmupTarget</c>: the rate falls from
/// <c>initialLearningRate</c> along half a cosine to <c>alpha · initialLearningRate</c> over <c>decaySteps</c> updates and
/// stays there. With it: the rate first rises linearly from <c>initialLearningRate</c> to <c>warmupTarget</c> over
/// <c>warmupSteps</c> updates, then decays from <c>warmupTarget</c> in the same way.
/// </summary>
public sealed class CosineDecay : LearningRateSchedule
{
    private readonly double _initialLearningRate;
    private readonly long _decaySteps;
    private readonly double _alpha;
    private readonly double? _warmupTarget;
    private readonly long _warmupSteps;

    /// <summary>A cosine decay over <paramref name="decaySteps"/> updates, after a warm-up of <paramref name="warmupSteps"/> updates to <paramref name="warmupTarget"/> when that is given.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A rate is negative or not finite, <paramref name="alpha"/> is outside [0, 1], <paramref name="decaySteps"/> is not positive, or <paramref name="warmupSteps"/> is negative (or 0 with a target).</exception>
    public CosineDecay(double initialLearningRate, long decaySteps, double alpha = 0, double? warmupTarget = null, long warmupSteps = 0)
    {
        _initialLearningRate = CheckRate(initialLearningRate, nameof(initialLearningRate));
        _decaySteps = decaySteps > 0 ? decaySteps : throw new ArgumentOutOfRangeException(nameof(decaySteps), decaySteps, "decaySteps must be at least 1.");
        _alpha = alpha is >= 0 and <= 1 ? alpha : throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "alpha, the final rate as a fraction of the decay's starting rate, must be in [0, 1].");
        _warmupTarget = warmupTarget is { } target ? CheckRate(target, nameof(warmupTarget)) : null;
        _warmupSteps = warmupSteps < 0 || (warmupTarget is not null && warmupSteps == 0)
            ? throw new ArgumentOutOfRangeException(nameof(warmupSteps), warmupSteps, "warmupSteps must be at least 0, and at least 1 with a warmupTarget.")
            : warmupSteps;
    }

    /// <inheritdoc />
    public override double Rate(long step)
    {
        double s = step;
        if (_warmupTarget is not { } target)
        {
            return Decayed(Math.Min(s, _decaySteps), _initialLearningRate);
        }

        s = Math.Min(s, _decaySteps + _warmupSteps);
        return s < _warmupSteps
            ? ((target - _initialLearningRate) * (s / _warmupSteps)) + _initialLearningRate
            : Decayed(s - _warmupSteps, target);
    }

    private double Decayed(double step, double from)
    {
        double cosine = 0.5 * (1 + Math.Cos(Math.PI * (step / _decaySteps)));
        return from * (((1 - _alpha) * cosine) + _alpha);
    }
}
