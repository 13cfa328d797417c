using System;
using System.Collections.Generic;
using System.Linq;
using RnnCompiler.Decoding;
using RnnCompiler.Tests.EndToEnd;
using Xunit;

namespace RnnCompiler.Tests.Decoding;

/// <summary>
/// <see cref="BeamSearch"/> over a toy decoder, a Markov chain whose next-token probabilities depend on the last token
/// (a random table), against greedy decoding and an exhaustive search written here.
/// </summary>
public class BeamSearchTests
{
    private const int Vocabulary = 4, End = 3, Start = Vocabulary;

    /// <summary>A random table [Vocabulary + 1 (the start), Vocabulary] of next-token probabilities.</summary>
    private static float[] Table(int seed, double endBias = 0.5)
    {
        var random = new Random(seed);
        var table = new float[(Vocabulary + 1) * Vocabulary];
        for (int row = 0; row <= Vocabulary; row++)
        {
            double[] weights = Enumerable.Range(0, Vocabulary).Select(token => random.NextDouble() + (token == End ? endBias * random.NextDouble() : 0)).ToArray();
            double sum = weights.Sum();
            for (int token = 0; token < Vocabulary; token++)
            {
                table[(row * Vocabulary) + token] = (float)(weights[token] / sum);
            }
        }

        return table;
    }

    /// <summary>Runs the search, feeding each live beam's last token (the start token first) through the table.</summary>
    private static (int[] Tokens, double Score) Search(float[] table, int width, int maxLength, double lengthPenalty, bool offerGreedy = false)
    {
        var search = new BeamSearch(width, Vocabulary, maxLength, End, lengthPenalty);
        if (offerGreedy)
        {
            (int[] greedy, double greedyLog) = Greedy(table, maxLength);
            search.Offer(greedy, greedyLog);
        }

        var probabilities = new float[width * Vocabulary];
        var parents = new int[width];
        while (!search.IsDone)
        {
            int live = search.LiveBeams;
            ReadOnlySpan<int> last = search.LastTokens;
            for (int b = 0; b < live; b++)
            {
                int row = search.Length == 0 ? Start : last[b];
                table.AsSpan(row * Vocabulary, Vocabulary).CopyTo(probabilities.AsSpan(b * Vocabulary));
            }

            search.Advance(probabilities.AsSpan(0, live * Vocabulary), parents);
        }

        var tokens = new int[maxLength];
        int length = search.Result(tokens, out double score);
        return (tokens.AsSpan(0, length).ToArray(), score);
    }

    /// <summary>Greedy decoding: the most probable token at each step (the lowest among equals), to the end token or the limit.</summary>
    private static (int[] Tokens, double LogProbability) Greedy(float[] table, int maxLength)
    {
        var tokens = new List<int>();
        double log = 0;
        int row = Start;
        while (tokens.Count < maxLength)
        {
            int best = 0;
            for (int token = 1; token < Vocabulary; token++)
            {
                if (table[(row * Vocabulary) + token] > table[(row * Vocabulary) + best])
                {
                    best = token;
                }
            }

            log += Math.Log(table[(row * Vocabulary) + best]);
            tokens.Add(best);
            row = best;
            if (best == End)
            {
                break;
            }
        }

        return (tokens.ToArray(), log);
    }

    /// <summary>An output's normalized score, computed again from the table: the tokens the search returns are the ones it scored.</summary>
    private static double Rescore(float[] table, int[] tokens, double lengthPenalty)
    {
        double log = 0;
        int row = Start;
        foreach (int token in tokens)
        {
            log += Math.Log(table[(row * Vocabulary) + token]);
            row = token;
        }

        return log / Math.Pow(tokens.Length, lengthPenalty);
    }

    /// <summary>Every output up to the limit (ending at the end token or the limit), scored; the best by normalized score.</summary>
    private static double Exhaustive(float[] table, int maxLength, double lengthPenalty)
    {
        double best = double.NegativeInfinity;
        void Walk(int row, int length, double log)
        {
            for (int token = 0; token < Vocabulary; token++)
            {
                double next = log + Math.Log(table[(row * Vocabulary) + token]);
                if (token == End || length + 1 == maxLength)
                {
                    best = Math.Max(best, next / Math.Pow(length + 1, lengthPenalty));
                }
                else
                {
                    Walk(token, length + 1, next);
                }
            }
        }

        Walk(Start, 0, 0);
        return best;
    }

    [Fact]
    public void Width_1_is_greedy_decoding()
    {
        for (int seed = 0; seed < 200; seed++)
        {
            float[] table = Table(seed);
            (int[] greedy, double log) = Greedy(table, maxLength: 6);
            (int[] beam, double score) = Search(table, width: 1, maxLength: 6, lengthPenalty: 0);
            Assert.Equal(greedy, beam);
            Assert.Equal(log, score, 12);
        }
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.7)]
    public void A_beam_as_wide_as_every_output_finds_the_best_one(double lengthPenalty)
    {
        // Four tokens and four steps: at most 4³ = 64 live prefixes, so a width of 64 prunes nothing.
        for (int seed = 0; seed < 50; seed++)
        {
            float[] table = Table(seed);
            (int[] tokens, double score) = Search(table, width: 64, maxLength: 4, lengthPenalty);
            Assert.Equal(Exhaustive(table, 4, lengthPenalty), score, 12);
            Assert.Equal(Rescore(table, tokens, lengthPenalty), score, 12);
        }
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public void With_greedy_offered_a_beam_is_never_worse_than_greedy_and_narrow_beams_are_beaten_by_wider_ones_on_average(int width)
    {
        double total = 0, greedyTotal = 0;
        for (int seed = 0; seed < 300; seed++)
        {
            float[] table = Table(seed, endBias: 0.2);
            (int[] greedy, double log) = Greedy(table, maxLength: 7);
            (int[] beam, double score) = Search(table, width, maxLength: 7, lengthPenalty: 0, offerGreedy: true);
            Assert.True(score >= log, $"seed {seed}: beam {string.Join(",", beam)} scores {score}, greedy {string.Join(",", greedy)} {log}");
            Assert.Equal(Rescore(table, beam, 0), score, 12);
            total += score;
            greedyTotal += log;
        }

        Assert.True(total > greedyTotal, $"beam {total} against greedy {greedyTotal} over 300 tables");
    }

    [Fact]
    public void Every_output_ends_with_the_end_token_or_at_the_limit()
    {
        for (int seed = 0; seed < 100; seed++)
        {
            (int[] tokens, _) = Search(Table(seed), width: 3, maxLength: 5, lengthPenalty: 0.5);
            Assert.InRange(tokens.Length, 1, 5);
            Assert.True(tokens[^1] == End || tokens.Length == 5, string.Join(",", tokens));
            Assert.DoesNotContain(End, tokens[..^1]);
        }
    }

    [Fact]
    public void Bad_arguments_are_named_and_leave_the_search_as_it_was()
    {
        Assert.Equal("width", Assert.Throws<ArgumentOutOfRangeException>(() => new BeamSearch(0, 4, 5, 3)).ParamName);
        Assert.Equal("endToken", Assert.Throws<ArgumentOutOfRangeException>(() => new BeamSearch(2, 4, 5, 4)).ParamName);
        Assert.Equal("lengthPenalty", Assert.Throws<ArgumentOutOfRangeException>(() => new BeamSearch(2, 4, 5, 3, double.NaN)).ParamName);
        var search = new BeamSearch(2, 4, 5, 3);
        var parents = new int[2];
        Assert.Equal("probabilities", Assert.Throws<ArgumentException>(() => search.Advance(new float[8], parents)).ParamName);
        Assert.Equal("probabilities", Assert.Throws<ArgumentException>(() => search.Advance(new[] { 0.5f, float.NaN, 0.25f, 0.25f }, parents)).ParamName);
        Assert.Equal("parents", Assert.Throws<ArgumentException>(() => search.Advance(new[] { 0.1f, 0.2f, 0.3f, 0.4f }, new int[1])).ParamName);
        Assert.Equal("tokens", Assert.Throws<ArgumentException>(() => search.Offer(new[] { 1, 7 }, -1)).ParamName);
        Assert.Equal("logProbability", Assert.Throws<ArgumentException>(() => search.Offer(new[] { 1, 3 }, 0.5)).ParamName);
        Assert.Equal(1, search.LiveBeams);
        Assert.Equal(0, search.Length);
        Assert.Equal(0, search.Result(new int[5], out _));
        Assert.Equal(2, search.Advance(new[] { 0.1f, 0.2f, 0.4f, 0.3f }, parents));
        Assert.Equal(new[] { 2, 1 }, search.LastTokens.ToArray()); // the end token (0.3) is a hypothesis; 0.4 and 0.2 stay live
        Assert.Equal(new[] { 0, 0 }, parents);

        // A hypothesis better than every live beam ends the search at once.
        var early = new BeamSearch(2, 4, 5, 3);
        Assert.Equal(0, early.Advance(new[] { 0.1f, 0.2f, 0.3f, 0.4f }, parents));
        Assert.True(early.IsDone);
        var tokens = new int[5];
        Assert.Equal(1, early.Result(tokens, out double score));
        Assert.Equal(3, tokens[0]);
        Assert.Equal(Math.Log(0.4f), score, 12);
    }

    [Fact]
    public void A_search_allocates_nothing_once_constructed()
    {
        float[] table = Table(7);
        var search = new BeamSearch(3, Vocabulary, 6, End, 0.6);
        var probabilities = new float[3 * Vocabulary];
        var parents = new int[3];
        var tokens = new int[6];
        Assert.Equal(0, Allocations.OnceWarm(() =>
        {
            search.Reset();
            while (!search.IsDone)
            {
                int live = search.LiveBeams;
                for (int b = 0; b < live; b++)
                {
                    int row = search.Length == 0 ? Start : search.LastTokens[b];
                    table.AsSpan(row * Vocabulary, Vocabulary).CopyTo(probabilities.AsSpan(b * Vocabulary));
                }

                search.Advance(probabilities.AsSpan(0, live * Vocabulary), parents);
            }

            search.Result(tokens, out _);
        }));
    }
}
