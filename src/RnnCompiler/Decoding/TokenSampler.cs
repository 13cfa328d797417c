using System;
using System.Runtime.CompilerServices;

namespace RnnCompiler.Decoding;

/// <summary>
/// Draws the next token of a generated sequence from a decoder's probabilities at a temperature: token i with
/// probability <c>p_i^(1/T) / Σ_j p_j^(1/T)</c>. T = 1 samples the model's distribution, a lower T sharpens it (towards
/// greedy decoding as T falls to 0), a higher one flattens it. The draws come from a seeded generator (SplitMix64), so a
/// seed gives the same tokens on every machine. Nothing is allocated after construction.
/// </summary>
public sealed class TokenSampler
{
    private SplitMix64 _random;

    /// <summary>Creates a sampler whose draws follow from <paramref name="seed"/>.</summary>
    /// <param name="seed">Any value; equal seeds give equal draws.</param>
    public TokenSampler(ulong seed = 0) => _random = new SplitMix64(seed);

    /// <summary>Starts the draws over from <paramref name="seed"/>.</summary>
    /// <param name="seed">Any value.</param>
    public void Reseed(ulong seed) => _random = new SplitMix64(seed);

    /// <summary>Draws one token.</summary>
    /// <param name="probabilities">The next-token probabilities (a Softmax output), not all 0.</param>
    /// <param name="temperature">T, above 0 and at most 100.</param>
    /// <returns>The token drawn, an index into <paramref name="probabilities"/> whose probability is not 0.</returns>
    /// <exception cref="ArgumentException">The probabilities are empty, all 0, negative or not finite, or the temperature is out of range; no draw is used.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public int Sample(ReadOnlySpan<float> probabilities, double temperature)
    {
        if (!(temperature > 0 && temperature <= 100))
        {
            throw new ArgumentOutOfRangeException(nameof(temperature), temperature, "Expected a temperature above 0 and at most 100.");
        }

        // The largest probability: each weight is (p / max)^(1/T), in (0, 1], so nothing overflows at any temperature.
        float max = 0;
        foreach (float p in probabilities)
        {
            if (!(p >= 0 && p <= float.MaxValue))
            {
                throw new ArgumentException($"Expected probabilities, finite and not negative; got {p}.", nameof(probabilities));
            }

            max = Math.Max(max, p);
        }

        if (max == 0)
        {
            throw new ArgumentException("Expected at least one probability above 0.", nameof(probabilities));
        }

        double exponent = 1 / temperature;
        double total = 0;
        foreach (float p in probabilities)
        {
            total += Weight(p, max, exponent);
        }

        double target = _random.NextDouble() * total;
        int last = 0;
        for (int i = 0; i < probabilities.Length; i++)
        {
            double weight = Weight(probabilities[i], max, exponent);
            if (weight == 0)
            {
                continue;
            }

            last = i;
            target -= weight;
            if (target < 0)
            {
                return i;
            }
        }

        // Rounding left a sliver of the total: the last token with weight takes it.
        return last;
    }

    /// <summary>A probability's weight at the temperature, <c>(p / max)^(1/T)</c>; 0 for p = 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double Weight(float p, float max, double exponent) => p == 0 ? 0 : Math.Pow(p / (double)max, exponent);
}
