using System;
using Xunit;

namespace RnnCompiler.Tests.Sequences;

/// <summary>The check the decoder tests share: a decoded sequence's outputs against the naive reference's.</summary>
internal static class DecodingAsserts
{
    /// <summary>
    /// Predict's outputs equal the reference's within 1e-12, and are zero after them: the reference stops at the end
    /// token, and Predict writes zeros for the steps after it.
    /// </summary>
    public static void SameAsReference(double[] outputs, double[] expected, string what)
    {
        for (int i = 0; i < outputs.Length; i++)
        {
            double want = i < expected.Length ? expected[i] : 0;
            Assert.True(Math.Abs(want - outputs[i]) <= 1e-12, $"{what}, output {i}: expected {want:R}, got {outputs[i]:R}");
        }
    }
}
