using System;
using System.Collections.Generic;
using RnnCompiler.Kernels;
using Xunit;
using Xunit.Abstractions;

namespace RnnCompiler.Tests.EndToEnd;

/// <summary>
/// The vectorized σ, tanh and exp against double-precision references over a sweep of the whole float range: every
/// 4099th bit pattern (about a million values, both signs, every exponent, subnormals and NaN payloads included) plus the
/// edges (±0, the smallest and largest subnormals and normals, ±MaxValue, ±∞, NaN, the clamping thresholds).
/// The span functions run the widest vector path the machine has with a scalar tail; the single-value functions run the
/// scalar path. CI runs this again with AVX-512, AVX2 and all vector hardware switched off, so every width is checked.
/// </summary>
public class ActivationAccuracyTests
{
    private const double SmallestNormal = 1.1754943508222875e-38; // 2^-126

    private readonly ITestOutputHelper _output;

    public ActivationAccuracyTests(ITestOutputHelper output) => _output = output;

    public static float[] Sweep()
    {
        var values = new List<float>();
        for (long bits = 0; bits <= uint.MaxValue; bits += 4099)
        {
            values.Add(BitConverter.Int32BitsToSingle((int)(uint)bits));
        }

        float[] edges =
        [
            0f, -0f, float.Epsilon, -float.Epsilon, BitConverter.Int32BitsToSingle(0x007FFFFF), -BitConverter.Int32BitsToSingle(0x007FFFFF),
            (float)SmallestNormal, -(float)SmallestNormal, float.MaxValue, float.MinValue, float.PositiveInfinity, float.NegativeInfinity,
            float.NaN, BitConverter.Int32BitsToSingle(unchecked((int)0xFFC00001)), BitConverter.Int32BitsToSingle(0x7F800001),
            1e-30f, -1e-30f, 1e-8f, -1e-8f, 1e-4f, -1e-4f, 0.1733f, -0.1733f, 0.3466f, -0.3466f, 0.5f, -0.5f, 1f, -1f,
            9f, -9f, 19.99f, 20f, 20.01f, -20f, 40f, 87.33f, -87.33f, 88.72f, -88.72f, 88.73f, -88.73f, 89f, -89f,
            103.97f, -103.97f, 104f, -104f, 1e6f, -1e6f,
        ];
        values.AddRange(edges);

        // Dense runs where the functions change fastest, so the sweep does not step over them.
        for (float x = -30f; x <= 30f; x += 1f / 1024)
        {
            values.Add(x);
        }

        // An odd count, so the span functions also run their scalar tail.
        if (values.Count % 2 == 0)
        {
            values.Add(0.75f);
        }

        return values.ToArray();
    }

    /// <summary>The distance between two floats near <paramref name="reference"/>, with the subnormal spacing as the floor.</summary>
    private static double Ulp(double reference)
    {
        if (reference == 0 || Math.Abs(reference) < SmallestNormal)
        {
            return Math.ScaleB(1.0, -149);
        }

        return Math.ScaleB(1.0, Math.ILogB(reference) - 23);
    }

    private delegate double Reference(double x);

    /// <summary>
    /// Checks every value: NaN where the reference is NaN, ∞ exactly where it is ∞, otherwise within 2 ulp or within
    /// <paramref name="absoluteBound"/>. Returns the largest ulp error over the values where <paramref name="ulpApplies"/>.
    /// </summary>
    private double Check(string name, float[] x, float[] actual, Reference reference, Func<double, bool> ulpApplies, double absoluteBound)
    {
        double maxUlp = 0, maxAbsolute = 0;
        float worst = 0;
        for (int i = 0; i < x.Length; i++)
        {
            double expected = reference(x[i]);
            float got = actual[i];
            if (double.IsNaN(expected))
            {
                Assert.True(float.IsNaN(got), $"{name}({x[i]:R}) is {got:R}; expected NaN.");
                continue;
            }

            if (double.IsInfinity(expected) || double.IsInfinity(got))
            {
                Assert.True((double)got == expected, $"{name}({x[i]:R}) is {got:R}; expected {expected:R}.");
                continue;
            }

            double absolute = Math.Abs(got - expected);
            double ulps = absolute / Ulp(expected);
            Assert.True(ulps <= 2 || absolute <= absoluteBound, $"{name}({x[i]:R}) is {got:R}; expected {expected:R} ({ulps:F2} ulp, {absolute:E2} absolute).");
            if (ulpApplies(expected) && ulps > maxUlp)
            {
                maxUlp = ulps;
                worst = x[i];
            }

            maxAbsolute = Math.Max(maxAbsolute, absolute);
        }

        _output.WriteLine($"{name}: {x.Length} values, max {maxUlp:F3} ulp (at {worst:R}), max {maxAbsolute:E2} absolute");
        return maxUlp;
    }

    private static double SigmoidReference(double x) => 1.0 / (1.0 + Math.Exp(-x));

    [Fact]
    public void Sigmoid_is_within_2_ulp_where_the_result_is_normal_and_keeps_nan_and_infinities()
    {
        float[] x = Sweep();
        var vector = new float[x.Length];
        Activations.Sigmoid<float>(x, vector);
        var scalar = Array.ConvertAll(x, v => Activations.Sigmoid(v));

        // Below the smallest normal float (x < -87.3) only an absolute bound is claimed.
        static bool Normal(double expected) => expected >= SmallestNormal;
        double ulpVector = Check("σ (vector)", x, vector, SigmoidReference, Normal, absoluteBound: 6e-39);
        double ulpScalar = Check("σ (scalar)", x, scalar, SigmoidReference, Normal, absoluteBound: 6e-39);
        Assert.True(ulpVector <= 2 && ulpScalar <= 2);
        Assert.Equal(0f, Activations.Sigmoid(float.NegativeInfinity));
        Assert.Equal(1f, Activations.Sigmoid(float.PositiveInfinity));
        Assert.Equal(0.5f, Activations.Sigmoid(0f));
    }

    [Fact]
    public void Tanh_is_within_2_ulp_or_1e_7_absolute_everywhere_and_keeps_nan_and_infinities()
    {
        float[] x = Sweep();
        var vector = new float[x.Length];
        Activations.Tanh<float>(x, vector);
        var scalar = Array.ConvertAll(x, v => Activations.Tanh(v));

        // 2 ulp or 1e-7 absolute at every value; measured: at most 2.3 ulp anywhere (near |x| = 0.06, where the
        // rounding of m + 2 shows), and under 9e-8 absolute.
        double ulpVector = Check("tanh (vector)", x, vector, Math.Tanh, _ => true, absoluteBound: 1e-7);
        double ulpScalar = Check("tanh (scalar)", x, scalar, Math.Tanh, _ => true, absoluteBound: 1e-7);
        Assert.True(ulpVector <= 2.5 && ulpScalar <= 2.5);
        Assert.Equal(1f, Activations.Tanh(float.PositiveInfinity));
        Assert.Equal(-1f, Activations.Tanh(float.NegativeInfinity));
        Assert.Equal(0f, Activations.Tanh(0f));
        Assert.Equal(1e-30f, Activations.Tanh(1e-30f));
        Assert.Equal(float.Epsilon, Activations.Tanh(float.Epsilon));
    }

    [Fact]
    public void Exp_is_within_1_ulp_where_the_result_is_normal_overflows_to_infinity_and_underflows_to_zero()
    {
        float[] x = Sweep();
        var vector = new float[x.Length];
        Activations.Exp<float>(x, vector);

        // exp overflows a float past 88.72: the reference is then ∞ too.
        static double Reference(double v) => float.IsPositiveInfinity((float)Math.Exp(v)) ? double.PositiveInfinity : Math.Exp(v);
        double ulps = Check("exp (vector)", x, vector, Reference, expected => expected >= SmallestNormal, absoluteBound: 6e-39);
        Assert.True(ulps <= 1);
        Assert.Equal(0f, vector[Array.IndexOf(x, float.NegativeInfinity)]);
        Assert.Equal(float.PositiveInfinity, vector[Array.IndexOf(x, float.PositiveInfinity)]);
    }

    [Fact]
    public void Double_sigmoid_and_tanh_are_within_1e_15_relative()
    {
        var random = new Random(5);
        var x = new double[20_001];
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = (random.NextDouble() * 2 - 1) * Math.Pow(10, random.Next(-12, 3));
        }

        x[0] = double.NaN;
        x[1] = double.PositiveInfinity;
        x[2] = double.NegativeInfinity;
        var sigmoid = new double[x.Length];
        var tanh = new double[x.Length];
        Activations.Sigmoid<double>(x, sigmoid);
        Activations.Tanh<double>(x, tanh);
        Assert.True(double.IsNaN(sigmoid[0]) && double.IsNaN(tanh[0]));
        Assert.Equal([1.0, 0.0], new[] { sigmoid[1], sigmoid[2] });
        Assert.Equal([1.0, -1.0], new[] { tanh[1], tanh[2] });
        double worst = 0;
        for (int i = 3; i < x.Length; i++)
        {
            double s = SigmoidReference(x[i]), t = Math.Tanh(x[i]);
            double error = Math.Max(Math.Abs(sigmoid[i] - s) / Math.Abs(s), Math.Abs(tanh[i] - t) / Math.Max(Math.Abs(t), 1e-300));
            Assert.True(error <= 1e-15, $"x = {x[i]:R}: σ {sigmoid[i]:R} vs {s:R}, tanh {tanh[i]:R} vs {t:R}.");
            worst = Math.Max(worst, error);
        }

        _output.WriteLine($"double: max {worst:E2} relative");
    }
}
