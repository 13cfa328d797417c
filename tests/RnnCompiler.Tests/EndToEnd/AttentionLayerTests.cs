using System;
using System.Linq;
using RnnCompiler.Layers;
using Xunit;

namespace RnnCompiler.Tests.EndToEnd;

/// <summary>
/// <see cref="AttentionLayer"/> against a naive reference written from Keras's <c>Attention</c> (dot and concat scores)
/// and <c>AdditiveAttention</c> (scores, 1e9 subtracted at masked positions, softmax, weighted sum), and its gradients
/// against central finite differences in double precision.
/// </summary>
public class AttentionLayerTests
{
    private const int Queries = 3, Memory = 5, Dim = 7;

    public static TheoryData<AttentionScore, bool, bool> Cases()
    {
        var data = new TheoryData<AttentionScore, bool, bool>();
        foreach (AttentionScore score in new[] { AttentionScore.Dot, AttentionScore.Additive, AttentionScore.Concat })
        {
            foreach (bool scaled in new[] { false, true })
            {
                foreach (bool masked in new[] { false, true })
                {
                    data.Add(score, scaled, masked);
                }
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Forward_matches_Keras_formulas_in_double_and_float(AttentionScore score, bool scaled, bool masked)
    {
        Inputs inputs = Inputs.Make(score, scaled, masked, seed: 1);
        (double[] expectedWeights, double[] expectedContext) = Naive(score, inputs);

        var weights = new double[Queries * Memory];
        var context = new double[Queries * Dim];
        AttentionLayer.Forward<double>(score, inputs.Query, Queries, inputs.Keys, inputs.Values, Memory, Dim, inputs.Scale, inputs.Mask, weights, context, new double[AttentionLayer.ScratchSize(Memory, Dim)]);
        AssertClose(expectedWeights, weights, 1e-14, "weights");
        AssertClose(expectedContext, context, 1e-14, "context");
        if (masked)
        {
            for (int i = 0; i < Queries; i++)
            {
                for (int j = 0; j < Memory; j++)
                {
                    Assert.True(inputs.Mask[j] || weights[i * Memory + j] == 0, $"query {i}: masked position {j} has weight {weights[i * Memory + j]}");
                }
            }
        }

        var floatWeights = new float[Queries * Memory];
        var floatContext = new float[Queries * Dim];
        AttentionLayer.Forward<float>(score, ToFloat(inputs.Query), Queries, ToFloat(inputs.Keys), ToFloat(inputs.Values), Memory, Dim, ToFloat(inputs.Scale), inputs.Mask, floatWeights, floatContext, new float[AttentionLayer.ScratchSize(Memory, Dim)]);
        TestData.AssertClose(expectedWeights, floatWeights, 1e-5, "float weights");
        TestData.AssertClose(expectedContext, floatContext, 1e-5, "float context");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Gradients_match_finite_differences(AttentionScore score, bool scaled, bool masked)
    {
        Inputs inputs = Inputs.Make(score, scaled, masked, seed: 2);
        double[] upstream = Uniform(Queries * Dim, seed: 3, 1.0);
        Gradients analytic = Backward(score, inputs, upstream, keysAreValues: false);

        double Loss(Inputs x)
        {
            var context = new double[Queries * Dim];
            AttentionLayer.Forward<double>(score, x.Query, Queries, x.Keys, x.Values, Memory, Dim, x.Scale, x.Mask, new double[Queries * Memory], context, new double[AttentionLayer.ScratchSize(Memory, Dim)]);
            return context.Zip(upstream, (c, r) => c * r).Sum();
        }

        AssertFiniteDifferences(inputs.Query, analytic.Query, () => Loss(inputs), "query");
        AssertFiniteDifferences(inputs.Keys, analytic.Keys, () => Loss(inputs), "keys");
        AssertFiniteDifferences(inputs.Values, analytic.Values, () => Loss(inputs), "values");
        AssertFiniteDifferences(inputs.Scale, analytic.Scale, () => Loss(inputs), "scale");
        if (masked)
        {
            for (int j = 0; j < Memory; j++)
            {
                if (!inputs.Mask[j])
                {
                    Assert.All(analytic.Keys.AsSpan(j * Dim, Dim).ToArray(), value => Assert.Equal(0.0, value));
                    Assert.All(analytic.Values.AsSpan(j * Dim, Dim).ToArray(), value => Assert.Equal(0.0, value));
                }
            }
        }
    }

    [Theory]
    [InlineData(AttentionScore.Dot)]
    [InlineData(AttentionScore.Additive)]
    [InlineData(AttentionScore.Concat)]
    public void Keys_that_are_the_values_take_both_gradients_in_one_span(AttentionScore score)
    {
        Inputs inputs = Inputs.Make(score, scaled: true, masked: false, seed: 4);
        inputs = inputs with { Keys = inputs.Values };
        double[] upstream = Uniform(Queries * Dim, seed: 5, 1.0);
        Gradients analytic = Backward(score, inputs, upstream, keysAreValues: true);
        double Loss()
        {
            var context = new double[Queries * Dim];
            AttentionLayer.Forward<double>(score, inputs.Query, Queries, inputs.Values, inputs.Values, Memory, Dim, inputs.Scale, default, new double[Queries * Memory], context, new double[AttentionLayer.ScratchSize(Memory, Dim)]);
            return context.Zip(upstream, (c, r) => c * r).Sum();
        }

        AssertFiniteDifferences(inputs.Values, analytic.Values, Loss, "values as keys");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Float_gradients_agree_with_double_within_1e_4(AttentionScore score, bool scaled, bool masked)
    {
        Inputs inputs = Inputs.Make(score, scaled, masked, seed: 6);
        double[] upstream = Uniform(Queries * Dim, seed: 7, 1.0);
        Gradients expected = Backward(score, inputs, upstream, keysAreValues: false);

        var weights = new float[Queries * Memory];
        var scratch = new float[AttentionLayer.ScratchSize(Memory, Dim)];
        float[] query = ToFloat(inputs.Query), keys = ToFloat(inputs.Keys), values = ToFloat(inputs.Values), scale = ToFloat(inputs.Scale);
        AttentionLayer.Forward<float>(score, query, Queries, keys, values, Memory, Dim, scale, inputs.Mask, weights, new float[Queries * Dim], scratch);
        var dq = new float[Queries * Dim];
        var dk = new float[Memory * Dim];
        var dv = new float[Memory * Dim];
        var ds = new float[scale.Length];
        AttentionLayer.Backward<float>(score, query, Queries, keys, values, Memory, Dim, scale, weights, ToFloat(upstream), dq, dk, dv, ds, scratch);
        TestData.AssertClose(expected.Query, dq, 1e-4, "query");
        TestData.AssertClose(expected.Keys, dk, 1e-4, "keys");
        TestData.AssertClose(expected.Values, dv, 1e-4, "values");
        TestData.AssertClose(expected.Scale, ds, 1e-4, "scale");
    }

    [Fact]
    public void Bad_arguments_are_named_and_nothing_is_written()
    {
        Inputs inputs = Inputs.Make(AttentionScore.Additive, scaled: true, masked: false, seed: 8);
        var weights = Enumerable.Repeat(42.0, Queries * Memory).ToArray();
        var context = Enumerable.Repeat(42.0, Queries * Dim).ToArray();
        var scratch = new double[AttentionLayer.ScratchSize(Memory, Dim)];

        string Name(Action call) => Assert.ThrowsAny<ArgumentException>(call).ParamName!;

        Assert.Equal("keys", Name(() => AttentionLayer.Forward<double>(AttentionScore.Additive, inputs.Query, Queries, inputs.Keys.AsSpan(1), inputs.Values, Memory, Dim, inputs.Scale, default, weights, context, scratch)));
        Assert.Equal("scale", Name(() => AttentionLayer.Forward<double>(AttentionScore.Additive, inputs.Query, Queries, inputs.Keys, inputs.Values, Memory, Dim, inputs.Scale.AsSpan(0, 1), default, weights, context, scratch)));
        Assert.Equal("scale", Name(() => AttentionLayer.Forward<double>(AttentionScore.Dot, inputs.Query, Queries, inputs.Keys, inputs.Values, Memory, Dim, inputs.Scale, default, weights, context, scratch)));
        Assert.Equal("scale", Name(() => AttentionLayer.Forward<double>(AttentionScore.Concat, inputs.Query, Queries, inputs.Keys, inputs.Values, Memory, Dim, default, default, weights, context, scratch)));
        Assert.Equal("memoryMask", Name(() => AttentionLayer.Forward<double>(AttentionScore.Additive, inputs.Query, Queries, inputs.Keys, inputs.Values, Memory, Dim, inputs.Scale, new bool[Memory], weights, context, scratch)));
        Assert.Equal("memoryMask", Name(() => AttentionLayer.Forward<double>(AttentionScore.Additive, inputs.Query, Queries, inputs.Keys, inputs.Values, Memory, Dim, inputs.Scale, new bool[Memory - 1], weights, context, scratch)));
        Assert.Equal("context", Name(() => AttentionLayer.Forward<double>(AttentionScore.Additive, inputs.Query, Queries, inputs.Keys, inputs.Values, Memory, Dim, inputs.Scale, default, weights, context.AsSpan(1), scratch)));
        Assert.Equal("scratch", Name(() => AttentionLayer.Forward<double>(AttentionScore.Additive, inputs.Query, Queries, inputs.Keys, inputs.Values, Memory, Dim, inputs.Scale, default, weights, context, scratch.AsSpan(1))));
        Assert.Equal("score", Name(() => AttentionLayer.Forward<double>((AttentionScore)7, inputs.Query, Queries, inputs.Keys, inputs.Values, Memory, Dim, default, default, weights, context, scratch)));
        Assert.Equal("queries", Name(() => AttentionLayer.Forward<double>(AttentionScore.Dot, inputs.Query, 0, inputs.Keys, inputs.Values, Memory, Dim, default, default, weights, context, scratch)));
        Assert.All(weights, value => Assert.Equal(42.0, value));
        Assert.All(context, value => Assert.Equal(42.0, value));
        Assert.Equal("valueGradients", Name(() => AttentionLayer.Backward<double>(AttentionScore.Additive, inputs.Query, Queries, inputs.Keys, inputs.Values, Memory, Dim, inputs.Scale, weights, context, new double[Queries * Dim], new double[Memory * Dim], new double[1], new double[Dim], scratch)));
    }

    [Fact]
    public void Forward_and_Backward_allocate_nothing()
    {
        Inputs inputs = Inputs.Make(AttentionScore.Additive, scaled: true, masked: true, seed: 9);
        float[] query = ToFloat(inputs.Query), keys = ToFloat(inputs.Keys), values = ToFloat(inputs.Values), scale = ToFloat(inputs.Scale);
        bool[] mask = inputs.Mask;
        var weights = new float[Queries * Memory];
        var context = new float[Queries * Dim];
        var scratch = new float[AttentionLayer.ScratchSize(Memory, Dim)];
        var dq = new float[Queries * Dim];
        var dk = new float[Memory * Dim];
        var dv = new float[Memory * Dim];
        var ds = new float[Dim];
        Assert.Equal(0, Allocations.OnceWarm(() =>
        {
            AttentionLayer.Forward<float>(AttentionScore.Additive, query, Queries, keys, values, Memory, Dim, scale, mask, weights, context, scratch);
            AttentionLayer.Backward<float>(AttentionScore.Additive, query, Queries, keys, values, Memory, Dim, scale, weights, context, dq, dk, dv, ds, scratch);
            AttentionLayer.Forward<float>(AttentionScore.Dot, query, Queries, keys, values, Memory, Dim, scale.AsSpan(0, 1), default, weights, context, scratch);
        }));
    }

    /// <summary>Keras's computation, literally: scores, 1e9 subtracted where the value mask is false, softmax, weights · values.</summary>
    private static (double[] Weights, double[] Context) Naive(AttentionScore score, Inputs x)
    {
        var weights = new double[Queries * Memory];
        var context = new double[Queries * Dim];
        for (int i = 0; i < Queries; i++)
        {
            var scores = new double[Memory];
            for (int j = 0; j < Memory; j++)
            {
                double s = 0;
                for (int d = 0; d < Dim; d++)
                {
                    double q = x.Query[i * Dim + d], k = x.Keys[j * Dim + d];
                    s += score switch
                    {
                        AttentionScore.Dot => q * k,
                        AttentionScore.Additive => (x.Scale.Length > 0 ? x.Scale[d] : 1.0) * Math.Tanh(q + k),
                        _ => Math.Tanh((x.Scale.Length == 2 ? x.Scale[0] : 1.0) * (q + k)),
                    };
                }

                if (score == AttentionScore.Dot && x.Scale.Length > 0)
                {
                    s *= x.Scale[0];
                }

                if (score == AttentionScore.Concat)
                {
                    s *= x.Scale[^1]; // concat_score_weight
                }

                if (x.Mask.Length > 0 && !x.Mask[j])
                {
                    s -= 1e9;
                }

                scores[j] = s;
            }

            double max = scores.Max();
            double[] e = scores.Select(s => Math.Exp(s - max)).ToArray();
            double sum = e.Sum();
            for (int j = 0; j < Memory; j++)
            {
                weights[i * Memory + j] = e[j] / sum;
                for (int d = 0; d < Dim; d++)
                {
                    context[i * Dim + d] += weights[i * Memory + j] * x.Values[j * Dim + d];
                }
            }
        }

        return (weights, context);
    }

    private static Gradients Backward(AttentionScore score, Inputs x, double[] upstream, bool keysAreValues)
    {
        var weights = new double[Queries * Memory];
        var scratch = new double[AttentionLayer.ScratchSize(Memory, Dim)];
        double[] keys = keysAreValues ? x.Values : x.Keys;
        AttentionLayer.Forward<double>(score, x.Query, Queries, keys, x.Values, Memory, Dim, x.Scale, x.Mask, weights, new double[Queries * Dim], scratch);
        var dq = new double[Queries * Dim];
        var dv = new double[Memory * Dim];
        double[] dk = keysAreValues ? dv : new double[Memory * Dim];
        var ds = new double[x.Scale.Length];
        AttentionLayer.Backward<double>(score, x.Query, Queries, keys, x.Values, Memory, Dim, x.Scale, weights, upstream, dq, dk, dv, ds, scratch);
        return new Gradients(dq, dk, dv, ds);
    }

    /// <summary>Central differences of <paramref name="loss"/> in each element of <paramref name="values"/>, against the analytic gradient.</summary>
    private static void AssertFiniteDifferences(double[] values, double[] analytic, Func<double> loss, string what)
    {
        const double H = 1e-6;
        for (int i = 0; i < values.Length; i++)
        {
            double saved = values[i];
            values[i] = saved + H;
            double up = loss();
            values[i] = saved - H;
            double down = loss();
            values[i] = saved;
            double numeric = (up - down) / (2 * H);
            Assert.True(Math.Abs(numeric - analytic[i]) <= 1e-7 * Math.Max(1, Math.Abs(numeric)), $"{what}[{i}]: analytic {analytic[i]:R}, finite difference {numeric:R}");
        }
    }

    private static void AssertClose(double[] expected, double[] actual, double tolerance, string what)
    {
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance * Math.Max(1, Math.Abs(expected[i])), $"{what}[{i}]: {actual[i]:R}, expected {expected[i]:R}");
        }
    }

    private static double[] Uniform(int count, int seed, double scale)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => (random.NextDouble() * 2 - 1) * scale).ToArray();
    }

    private static float[] ToFloat(double[] values) => values.Select(value => (float)value).ToArray();

    private sealed record Inputs(double[] Query, double[] Keys, double[] Values, double[] Scale, bool[] Mask)
    {
        public static Inputs Make(AttentionScore score, bool scaled, bool masked, int seed)
        {
            double[] scale = score switch
            {
                // Keras's weights in its order: [scale, concat_score_weight] with use_scale, else [concat_score_weight].
                AttentionScore.Concat => scaled ? new[] { 0.7, 1.3 } : new[] { 1.3 },
                _ when !scaled => Array.Empty<double>(),
                AttentionScore.Dot => new[] { 0.8 },
                _ => Uniform(Dim, seed + 100, 0.9),
            };
            bool[] mask = masked ? new[] { true, false, true, true, false } : Array.Empty<bool>();
            return new Inputs(Uniform(Queries * Dim, seed, 1.0), Uniform(Memory * Dim, seed + 1, 1.0), Uniform(Memory * Dim, seed + 2, 1.0), scale, mask);
        }
    }

    private sealed record Gradients(double[] Query, double[] Keys, double[] Values, double[] Scale);
}
