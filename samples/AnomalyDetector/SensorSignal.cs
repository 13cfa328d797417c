using System;

namespace AnomalyDetection;

/// <summary>What a sensor reading is, as the synthesizer made it.</summary>
internal enum AnomalyKind : byte
{
    /// <summary>A normal reading.</summary>
    None = 0,

    /// <summary>One reading far off the curve (an electrical glitch).</summary>
    Spike = 1,

    /// <summary>The curve moved up or down by a constant for a while (a loose mounting, a calibration jump).</summary>
    LevelShift = 2,

    /// <summary>The sensor reports exactly 0 for a while (a lost connection).</summary>
    Dropout = 3,
}

/// <summary>
/// A synthetic sensor: a sine of period <see cref="Period"/> steps and amplitude 1 with Gaussian noise (σ
/// <see cref="Noise"/>), in which anomalies are injected at random, each labelled at every step it covers. Readings
/// are made one at a time, as a device would receive them, from a seeded <see cref="Random"/>: the same seed gives the
/// same readings with the JIT and with NativeAOT, on x64 and on arm64. <see cref="Next"/> allocates nothing.
/// Shared by the detector and (linked) by samples/AnomalyTrainer, which trains the model on it.
/// </summary>
internal sealed class SensorSignal
{
    public const double Period = 40;
    public const double Noise = 0.1;
    public const int MinGap = 24;           // normal steps after each anomaly, at least
    public const double EventRate = 1.0 / 60;  // chance of an anomaly starting at a step once the gap has passed

    private readonly Random _random;
    private readonly double _phase;
    private long _time;
    private AnomalyKind _kind;
    private int _remaining;
    private double _offset;
    private int _quiet = MinGap;

    public SensorSignal(int seed)
    {
        _random = new Random(seed);
        _phase = _random.NextDouble() * 2 * Math.PI;
    }

    /// <summary>The next reading, and what it is.</summary>
    public float Next(out AnomalyKind kind)
    {
        if (_remaining == 0)
        {
            _kind = AnomalyKind.None;
            if (_quiet > 0)
            {
                _quiet--;
            }
            else if (_random.NextDouble() < EventRate)
            {
                double which = _random.NextDouble();
                double sign = _random.Next(2) == 0 ? -1 : 1;
                if (which < 0.4)
                {
                    _kind = AnomalyKind.Spike;
                    _remaining = 1;
                    _offset = sign * (1.5 + 1.5 * _random.NextDouble());
                }
                else if (which < 0.7)
                {
                    _kind = AnomalyKind.LevelShift;
                    _remaining = _random.Next(10, 31);
                    _offset = sign * (1.0 + 1.0 * _random.NextDouble());
                }
                else
                {
                    _kind = AnomalyKind.Dropout;
                    _remaining = _random.Next(6, 16);
                    _offset = 0;
                }

                _quiet = MinGap;
            }
        }

        double clean = Math.Sin(2 * Math.PI * _time / Period + _phase) + Noise * Gaussian();
        _time++;
        kind = _kind;
        if (_remaining > 0)
        {
            _remaining--;
        }

        return _kind switch
        {
            AnomalyKind.Dropout => 0f,
            AnomalyKind.None => (float)clean,
            _ => (float)(clean + _offset),
        };
    }

    // A standard normal draw (Box-Muller; one of the pair is thrown away to keep the stream simple).
    private double Gaussian()
    {
        double u = 1 - _random.NextDouble();
        double v = _random.NextDouble();
        return Math.Sqrt(-2 * Math.Log(u)) * Math.Cos(2 * Math.PI * v);
    }
}
