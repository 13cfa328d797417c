using System;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using RnnCompiler.Tests.Models;
using Xunit;

namespace RnnCompiler.Tests.EndToEnd;

/// <summary>InitializeWeights against Keras's default initializers, and the parameter counts and summaries.</summary>
public class InitializerTests
{
    public static IEnumerable<object[]> Names() =>
        new[] { "Lstm13", "Lstm33", "GruAfter13", "GruBefore13", "GruAfter33", "SimpleRnnTanh13", "SimpleRnnTanh33", "BiLstm13", "BiGruAfter13", "BiGruBefore13", "BiSimpleRnn33", "DeepStack", "DeepStreaming", "DenseFirst", "TokenGru", "TokenTagger", "Sentiment", "Lstm1", "GruAfter1" }
            .Select(name => new object[] { name });

    [Theory]
    [MemberData(nameof(ModelCase.Names), MemberType = typeof(ModelCase))]
    public void Two_new_models_have_equal_Parameters(string name)
    {
        ModelCase modelCase = ModelCase.Get(name);
        Assert.Equal(Bits(modelCase.Create().Parameters), Bits(modelCase.Create().Parameters));
    }

    [Theory]
    [InlineData("Lstm13")]
    [InlineData("BiGruAfter13")]
    [InlineData("Sentiment")]
    public void A_new_model_holds_the_weights_of_seed_0(string name)
    {
        ModelCase modelCase = ModelCase.Get(name);
        IRnnModel<float> seeded = modelCase.Create();
        seeded.InitializeWeights(5);
        seeded.InitializeWeights(0);
        Assert.Equal(Bits(modelCase.Create().Parameters), Bits(seeded.Parameters));
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void InitializeWeights_is_deterministic_overwrites_everything_and_seeds_differ(string name)
    {
        ModelCase modelCase = ModelCase.Get(name);
        IRnnModel<float> a = modelCase.Create();
        IRnnModel<float> b = modelCase.Create();
        a.InitializeWeights(42);
        b.Parameters.Fill(float.NaN);
        b.InitializeWeights(42);
        Assert.Equal(Bits(a.Parameters), Bits(b.Parameters));

        var seen = new List<int[]>();
        foreach (int seed in new[] { 0, 1, 2, 42, -1, int.MinValue, int.MaxValue })
        {
            a.InitializeWeights(seed);
            int[] bits = Bits(a.Parameters);
            foreach (int[] other in seen)
            {
                Assert.False(bits.SequenceEqual(other), $"{name}: seed {seed} gives the same weights as an earlier seed.");
            }

            seen.Add(bits);
        }
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Kernels_are_glorot_uniform(string name)
    {
        ModelCase modelCase = ModelCase.Get(name);
        IRnnModel<float> model = modelCase.Create();
        model.InitializeWeights(7);
        foreach (KerasTensor tensor in KerasLayout.Of(modelCase.Layers).AllTensors().Where(t => t.Role == TestRole.Kernel))
        {
            ReadOnlySpan<float> values = model.Parameters.Slice(tensor.Offset, tensor.Length);
            double limit = Math.Sqrt(6.0 / (tensor.Shape[0] + tensor.Shape[1]));
            double max = 0;
            int positive = 0;
            foreach (float value in values)
            {
                Assert.True(Math.Abs(value) <= limit * (1 + 1e-6), $"{tensor.Name}: {value} is outside ±{limit}.");
                max = Math.Max(max, Math.Abs(value));
                positive += value > 0 ? 1 : 0;
            }

            if (tensor.Length >= 40)
            {
                // Not scaled down, and not one-sided.
                Assert.True(max > 0.8 * limit, $"{tensor.Name}: max |w| = {max}, limit {limit}.");
                Assert.InRange(positive, tensor.Length / 5, tensor.Length - tensor.Length / 5);
                double variance = 0;
                foreach (float value in values)
                {
                    variance += (double)value * value;
                }

                variance /= tensor.Length;

                // Uniform(±L) has variance L²/3.
                Assert.InRange(variance, limit * limit / 3 * 0.6, limit * limit / 3 * 1.4);
            }
        }
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Recurrent_kernels_have_orthonormal_rows(string name)
    {
        ModelCase modelCase = ModelCase.Get(name);
        IRnnModel<float> model = modelCase.Create();
        model.InitializeWeights(11);
        foreach (KerasTensor tensor in KerasLayout.Of(modelCase.Layers).AllTensors().Where(t => t.Role == TestRole.RecurrentKernel))
        {
            int rows = tensor.Shape[0];
            int columns = tensor.Shape[1];
            Assert.Equal(tensor.Layer.Units, rows);
            Assert.Equal(tensor.Layer.Gates * tensor.Layer.Units, columns);
            ReadOnlySpan<float> u = model.Parameters.Slice(tensor.Offset, tensor.Length);
            for (int i = 0; i < rows; i++)
            {
                for (int j = 0; j < rows; j++)
                {
                    double dot = 0;
                    for (int c = 0; c < columns; c++)
                    {
                        dot += (double)u[i * columns + c] * u[j * columns + c];
                    }

                    double expected = i == j ? 1 : 0;
                    Assert.True(Math.Abs(dot - expected) <= 1e-5, $"{tensor.Name}: (U·Uᵀ)[{i}, {j}] = {dot}.");
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Biases_are_zero_except_the_LSTM_forget_gate_at_one(string name)
    {
        ModelCase modelCase = ModelCase.Get(name);
        IRnnModel<float> model = modelCase.Create();
        TestData.Parameters(model.Info, seed: 1).CopyTo(model.Parameters);
        model.InitializeWeights(13);
        foreach (KerasTensor tensor in KerasLayout.Of(modelCase.Layers).AllTensors().Where(t => t.Role == TestRole.Bias))
        {
            ReadOnlySpan<float> bias = model.Parameters.Slice(tensor.Offset, tensor.Length);
            int units = tensor.Layer.Units;
            for (int i = 0; i < bias.Length; i++)
            {
                bool forget = tensor.Layer.Kind == TestLayerKind.Lstm && i / units == 1;
                float expected = forget ? 1f : 0f;
                Assert.True(bias[i] == expected, $"{tensor.Name}[{i}] is {bias[i]}, expected {expected}.");
            }
        }
    }

    [Theory]
    [InlineData("TokenGru")]
    [InlineData("TokenTagger")]
    [InlineData("Sentiment")]
    public void Embeddings_are_uniform_within_0_05(string name)
    {
        ModelCase modelCase = ModelCase.Get(name);
        IRnnModel<float> model = modelCase.Create();
        model.InitializeWeights(17);
        KerasTensor table = KerasLayout.Of(modelCase.Layers).AllTensors().Single(t => t.Role == TestRole.Embeddings);
        ReadOnlySpan<float> values = model.Parameters.Slice(table.Offset, table.Length);
        double max = 0;
        double sum = 0;
        foreach (float value in values)
        {
            Assert.True(Math.Abs(value) <= 0.05f, $"{table.Name}: {value} is outside ±0.05.");
            max = Math.Max(max, Math.Abs(value));
            sum += value;
        }

        Assert.True(max > 0.04, $"{table.Name}: max |w| = {max}.");
        Assert.True(Math.Abs(sum / values.Length) < 0.01, $"{table.Name}: mean {sum / values.Length}.");
    }

    [Fact]
    public void Sentiment_has_Keras_parameter_count()
    {
        Assert.Equal(164_106, Sentiment.ParameterCount);
        var model = new Sentiment();
        Assert.Equal(164_106, ((IRnnModel<float>)model).Info.ParameterCount);
        Assert.Equal(164_106, model.Parameters.Length);
        Assert.Equal(64_000 + 98_816 + 1_290, KerasLayout.Of(ModelCase.Get("Sentiment").Layers).ParameterCount());
    }

    [Fact]
    public void Sentiment_Summary_prints_Keras_layers_and_counts()
    {
        string summary = Sentiment.Summary;
        Assert.Contains("Total params: 164,106", summary);
        string[] lines = summary.Split('\n');
        AssertLayerLine(lines, "embedding (Embedding)", "64,000");
        AssertLayerLine(lines, "lstm (LSTM)", "98,816");
        AssertLayerLine(lines, "dense (Dense)", "1,290");
    }

    [Theory]
    [MemberData(nameof(ModelCase.Names), MemberType = typeof(ModelCase))]
    public void Every_Summary_totals_the_parameter_count(string name)
    {
        ModelCase modelCase = ModelCase.Get(name);
        IRnnModel<float> model = modelCase.Create();
        PropertyInfo? property = model.GetType().GetProperty("Summary", BindingFlags.Public | BindingFlags.Static);
        Assert.NotNull(property);
        string summary = (string)property.GetValue(null)!;
        int count = KerasLayout.Of(modelCase.Layers).ParameterCount();
        Assert.Equal(count, model.Info.ParameterCount);
        Assert.Contains("Total params: " + count.ToString("N0", System.Globalization.CultureInfo.InvariantCulture), summary);

        // The per-layer figures add up to the total.
        int sum = 0;
        foreach (string line in summary.Split('\n'))
        {
            Match match = Regex.Match(line, @"^ \S.*\(.*\)\s+([\d,]+)$");
            if (match.Success && !line.StartsWith(" Layer (type)", StringComparison.Ordinal))
            {
                sum += int.Parse(match.Groups[1].Value.Replace(",", ""), System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        Assert.Equal(count, sum);
    }

    private static void AssertLayerLine(string[] lines, string layer, string count)
    {
        string? line = lines.FirstOrDefault(l => l.TrimStart().StartsWith(layer, StringComparison.Ordinal));
        Assert.True(line is not null, $"No line for '{layer}' in the summary.");
        Assert.EndsWith(" " + count, line!.TrimEnd());
    }

    private static int[] Bits(ReadOnlySpan<float> values) => MemoryMarshal.Cast<float, int>(values).ToArray();
}

// Gated layers whose keep gate (LSTM's forget gate, GRU's update gate z) starts somewhere other than Keras's default.
[RnnModel(SequenceLength = 3)]
[Input(2)]
[Lstm(3, UnitForgetBias = false)]
[Dense(1)]
public partial class LstmWithoutForgetBias;

[RnnModel(SequenceLength = 3)]
[Input(2)]
[Lstm(3, KeepGateBias = 2.5, Bidirectional = true)]
[Dense(1)]
public partial class BiLstmKeepGate;

[RnnModel(SequenceLength = 3)]
[Input(2)]
[Gru(3, KeepGateBias = -1.5)]
[Dense(1)]
public partial class GruKeepGate;

[RnnModel(SequenceLength = 3, Precision = Precision.Double)]
[Input(2)]
[Gru(3, KeepGateBias = 0.1, ResetAfter = false)]
[Dense(1)]
public partial class GruBeforeKeepGate;

public class KeepGateBiasTests
{
    // Keras's bias layouts written out: LSTM [4u] blocks i, f, c, o; GRU reset_after [2, 3u] (input row first) and
    // reset_before [3u], blocks z, r, h. Only the keep gate's block of the first row is non-zero.
    /// <summary>Where a recurrent layer's bias starts after an Input: kernel [input, gates·units], recurrent kernel [units, gates·units].</summary>
    private static int InputTimesGates(int input, int units, int gates) => (input + units) * gates * units;

    [Fact]
    public void UnitForgetBias_false_starts_the_forget_gate_at_zero_as_PyTorch()
    {
        var model = new LstmWithoutForgetBias();
        model.InitializeWeights(3);
        Assert.All(model.Parameters.Slice(InputTimesGates(2, 3, 4), 12).ToArray(), value => Assert.Equal(0f, value));
    }

    [Fact]
    public void KeepGateBias_sets_the_forget_block_of_both_directions()
    {
        var model = new BiLstmKeepGate();
        model.InitializeWeights(3);
        foreach (int offset in new[] { InputTimesGates(2, 3, 4), InputTimesGates(2, 3, 4) + InputTimesGates(2, 3, 4) + 12 })
        {
            float[] bias = model.Parameters.Slice(offset, 12).ToArray();
            Assert.Equal(new float[] { 0, 0, 0, 2.5f, 2.5f, 2.5f, 0, 0, 0, 0, 0, 0 }, bias);
        }
    }

    [Fact]
    public void KeepGateBias_sets_the_update_gate_of_the_input_bias_row_of_a_GRU()
    {
        var model = new GruKeepGate();
        model.InitializeWeights(3);
        float[] bias = model.Parameters.Slice(InputTimesGates(2, 3, 3), 18).ToArray();
        Assert.Equal(new float[] { -1.5f, -1.5f, -1.5f, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }, bias);

        var before = new GruBeforeKeepGate();
        before.InitializeWeights(3);
        Assert.Equal(new double[] { 0.1, 0.1, 0.1, 0, 0, 0, 0, 0, 0 }, before.Parameters.Slice(InputTimesGates(2, 3, 3), 9).ToArray());
    }

    [Fact]
    public void Other_weights_are_drawn_as_without_the_option()
    {
        // The option changes only the bias: the kernels of the same seed equal those of a default model's.
        var keep = new GruKeepGate();
        var plain = new GruKeepGate();
        keep.InitializeWeights(9);
        plain.InitializeWeights(9);
        Assert.Equal(plain.Parameters.Slice(0, InputTimesGates(2, 3, 3)).ToArray(), keep.Parameters.Slice(0, InputTimesGates(2, 3, 3)).ToArray());
    }
}
