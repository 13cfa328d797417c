using System;
using System.Linq;
using Xunit;

namespace RnnCompiler.Tests.Training;

/// <summary>The gradient checks the training tests share.</summary>
internal static class GradientAsserts
{
    /// <summary>
    /// A float model's loss within 1e-5 and gradients within 1e-4 of its double twin's on the same weights and batch
    /// (relative, with gradients below a thousandth of the largest compared at that scale).
    /// </summary>
    public static void FloatFollowsDouble(double preciseLoss, float singleLoss, double[] expected, float[] actual)
    {
        Assert.True(Math.Abs(preciseLoss - singleLoss) <= 1e-5 * Math.Max(1, Math.Abs(preciseLoss)), $"loss: float {singleLoss:R}, double {preciseLoss:R}");
        double scale = expected.Max(Math.Abs);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(actual[i] - expected[i]) <= 1e-4 * Math.Max(Math.Abs(expected[i]), 1e-3 * scale), $"gradient {i}: float {actual[i]:R}, double {expected[i]:R}");
        }
    }

    /// <summary>
    /// Two computations of the same loss and gradients that only sum in another order (shares of a batch on other
    /// cores): the loss within 1e-12 relative, each gradient within 1e-12 relative (absolute below 1).
    /// </summary>
    public static void SameWithinRounding(double expectedLoss, double actualLoss, double[] expected, double[] actual)
    {
        Assert.True(Math.Abs(expectedLoss - actualLoss) <= 1e-12 * Math.Abs(expectedLoss), $"loss {actualLoss:R} against {expectedLoss:R}");
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-12 * Math.Max(1, Math.Abs(expected[i])), $"gradient {i}: {actual[i]:R} against {expected[i]:R}");
        }
    }

    /// <summary>
    /// Every gradient within 1e-6 (relative, or 1e-9 absolute) of the central finite difference of <paramref name="loss"/>
    /// with step 1e-5 on its parameter; the largest must be above 1e-3, or the check would prove nothing. Returns each
    /// parameter's finite difference.
    /// </summary>
    public static double[] MatchFiniteDifferences(Span<double> parameters, double[] gradients, Func<double> loss)
    {
        const double H = 1e-5;
        var numeric = new double[parameters.Length];
        for (int i = 0; i < parameters.Length; i++)
        {
            double saved = parameters[i];
            parameters[i] = saved + H;
            double plus = loss();
            parameters[i] = saved - H;
            double minus = loss();
            parameters[i] = saved;
            numeric[i] = (plus - minus) / (2 * H);
            Assert.True(Math.Abs(gradients[i] - numeric[i]) <= 1e-6 * Math.Max(Math.Abs(gradients[i]), Math.Abs(numeric[i])) + 1e-9,
                $"parameter {i}: backprop {gradients[i]:R}, finite difference {numeric[i]:R}");
        }

        Assert.True(numeric.Max(Math.Abs) > 1e-3, "the gradients are all tiny, so the check would prove nothing");
        return numeric;
    }
}
