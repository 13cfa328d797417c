using System;
using System.Runtime.CompilerServices;

namespace RnnCompiler;

/// <summary>
/// SplitMix64 (Steele, Lea and Flood 2014): small, fast, and the same everywhere; the library's one random stream, for
/// the weight initializers and for sampling tokens.
/// </summary>
internal struct SplitMix64(ulong state)
{
    private ulong _state = state;
    private double? _spare;

    /// <summary>The next 64 random bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ulong Next()
    {
        ulong z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>A double in [0, 1) with 53 random bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public double NextDouble() => (Next() >> 11) * (1.0 / (1UL << 53));

    /// <summary>A standard normal draw (Box-Muller, both values used).</summary>
    public double NextNormal()
    {
        if (_spare is double spare)
        {
            _spare = null;
            return spare;
        }

        double u1 = 1.0 - NextDouble();
        double u2 = NextDouble();
        double radius = Math.Sqrt(-2.0 * Math.Log(u1));
        _spare = radius * Math.Sin(2 * Math.PI * u2);
        return radius * Math.Cos(2 * Math.PI * u2);
    }
}
