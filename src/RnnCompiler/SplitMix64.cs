using System;
using System.Runtime.CompilerServices;
using System.Threading.Tasks;

namespace RnnCompiler;

/// <summary>
/// SplitMix64 (Steele, Lea and Flood 2014): small, fast, and the same everywhere; the library's one random stream, for
/// the weight initializers and for sampling tokens.
/// </summary>
internal struct SplitMix64(ulong state)
{
    /// <summary>Box-Muller pairs one work item of <see cref="FillNormal"/> draws.</summary>
    private const int PairsPerChunk = 1 << 15;

    /// <summary>The increment of the state per draw (the golden ratio's 64-bit fraction).</summary>
    private const ulong Gamma = 0x9E3779B97F4A7C15UL;

    private ulong _state = state;
    private double? _spare;

    /// <summary>The next 64 random bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ulong Next()
    {
        ulong z = _state += Gamma;
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

        // One call for both, a fifth less time than two; on glibc the values are those of Math.Sin and Math.Cos (all
        // 4.2 M draws of a 1,024-unit LSTM kernel compared).
        (double sine, double cosine) = Math.SinCos(2 * Math.PI * u2);
        _spare = radius * sine;
        return radius * cosine;
    }

    /// <summary>
    /// Fills <paramref name="values"/> with exactly what as many <see cref="NextNormal"/> calls would return, in order,
    /// and leaves the stream where they would. The state after k draws is the seed plus k increments, so the
    /// Box-Muller pairs are split into fixed chunks that threads draw at once (when <paramref name="parallel"/>).
    /// </summary>
    public void FillNormal(double[] values, bool parallel)
    {
        int start = 0;
        if (values.Length > 0 && _spare is double spare)
        {
            values[0] = spare;
            _spare = null;
            start = 1;
        }

        // Pair p takes the draws at states state0 + (2p + 1)·Gamma and state0 + (2p + 2)·Gamma.
        int pairs = (values.Length - start) / 2;
        int chunks = (pairs + PairsPerChunk - 1) / PairsPerChunk;
        ulong state0 = _state;
        if (parallel && chunks > 1)
        {
            Parallel.For(0, chunks, chunk => FillPairs(values, start, state0, chunk, pairs));
        }
        else
        {
            for (int chunk = 0; chunk < chunks; chunk++)
            {
                FillPairs(values, start, state0, chunk, pairs);
            }
        }

        _state = unchecked(state0 + 2 * (ulong)pairs * Gamma);
        if (start + 2 * pairs < values.Length)
        {
            // An odd count: the last value is the first of a new pair, whose second waits as the spare.
            values[^1] = NextNormal();
        }
    }

    private static void FillPairs(double[] values, int start, ulong state0, int chunk, int pairs)
    {
        int first = chunk * PairsPerChunk;
        int last = Math.Min(pairs, first + PairsPerChunk);
        var random = new SplitMix64(unchecked(state0 + 2 * (ulong)first * Gamma));
        for (int pair = first; pair < last; pair++)
        {
            values[start + 2 * pair] = random.NextNormal();
            values[start + 2 * pair + 1] = random.NextNormal();
        }
    }
}
