using System;
using System.Linq;
using RnnCompiler.Decoding;
using RnnCompiler.Tests.EndToEnd;
using Xunit;

namespace RnnCompiler.Tests.Decoding;

/// <summary><see cref="TokenSampler"/>: its draws follow <c>p^(1/T)</c> normalized, counted over many draws.</summary>
public class TokenSamplerTests
{
    private static readonly float[] Probabilities = { 0.05f, 0.4f, 0f, 0.25f, 0.3f };

    [Theory]
    [InlineData(1.0)]
    [InlineData(0.5)]
    [InlineData(2.0)]
    public void Draws_follow_the_probabilities_at_the_temperature(double temperature)
    {
        double[] weights = Probabilities.Select(p => Math.Pow(p, 1 / temperature)).ToArray();
        double[] expected = weights.Select(w => w / weights.Sum()).ToArray();
        var sampler = new TokenSampler(seed: 42);
        const int Draws = 200_000;
        var counts = new int[Probabilities.Length];
        for (int i = 0; i < Draws; i++)
        {
            counts[sampler.Sample(Probabilities, temperature)]++;
        }

        Assert.Equal(0, counts[2]);
        for (int i = 0; i < counts.Length; i++)
        {
            // Within five standard deviations of the binomial count.
            double mean = Draws * expected[i];
            double sigma = Math.Sqrt(Draws * expected[i] * (1 - expected[i]));
            Assert.True(Math.Abs(counts[i] - mean) <= (5 * sigma) + 1e-9, $"token {i} at T = {temperature}: {counts[i]} draws, expected {mean:F0} ± {sigma:F0}");
        }
    }

    [Fact]
    public void A_low_temperature_is_greedy_and_a_seed_repeats_its_draws()
    {
        var sampler = new TokenSampler(seed: 1);
        for (int i = 0; i < 1_000; i++)
        {
            Assert.Equal(1, sampler.Sample(Probabilities, 0.01));
        }

        var first = new TokenSampler(seed: 7);
        var second = new TokenSampler(seed: 8);
        int[] a = Enumerable.Range(0, 100).Select(_ => first.Sample(Probabilities, 1)).ToArray();
        second.Reseed(7);
        int[] b = Enumerable.Range(0, 100).Select(_ => second.Sample(Probabilities, 1)).ToArray();
        Assert.Equal(a, b);
        Assert.True(a.Distinct().Count() > 1);
    }

    [Fact]
    public void Bad_arguments_are_named()
    {
        var sampler = new TokenSampler();
        Assert.Equal("temperature", Assert.Throws<ArgumentOutOfRangeException>(() => sampler.Sample(Probabilities, 0)).ParamName);
        Assert.Equal("temperature", Assert.Throws<ArgumentOutOfRangeException>(() => sampler.Sample(Probabilities, double.NaN)).ParamName);
        Assert.Equal("probabilities", Assert.Throws<ArgumentException>(() => sampler.Sample(new float[3], 1)).ParamName);
        Assert.Equal("probabilities", Assert.Throws<ArgumentException>(() => sampler.Sample(new[] { 0.5f, -0.1f }, 1)).ParamName);
        Assert.Equal("probabilities", Assert.Throws<ArgumentException>(() => sampler.Sample(ReadOnlySpan<float>.Empty, 1)).ParamName);
    }

    [Fact]
    public void Sampling_allocates_nothing()
    {
        var sampler = new TokenSampler(3);
        Assert.Equal(0, Allocations.OnceWarm(() => sampler.Sample(Probabilities, 0.8), 1_000));
    }
}
