using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using RnnCompiler.Tests.Models;
using RnnCompiler.Tests.Reference;
using Xunit;

namespace RnnCompiler.Tests.EndToEnd;

// The layer alone: its outputs are the normalized steps.
[RnnModel(SequenceLength = 4)]
[Input(3)]
[Normalization]
public partial class NormalizationOnly;

[RnnModel(SequenceLength = 6, Precision = Precision.Double)]
[Input(2)]
[Normalization]
[Gru(4)]
[Dense(1)]
public partial class NormalizedDouble;

[RnnModel(SequenceLength = 8, WeightPrecision = WeightPrecision.BFloat16)]
[Input(3)]
[Normalization]
[Lstm(40)]
[Dense(2)]
public partial class NormalizedBFloat16;

[RnnModel(SequenceLength = 8)]
[Input(3)]
[Normalization]
[Lstm(40)]
[Dense(2)]
public partial class NormalizedFloatTwin;

[RnnModel(SequenceLength = 5)]
[Train(Loss = Loss.MeanSquaredError, Optimizer = Optimizer.Adam, LearningRate = 0.05, BatchSize = 4, ClipNorm = 0.5)]
[Input(3)]
[Normalization]
[Lstm(6)]
[Dense(1)]
public partial class NormalizedAdam;

[RnnModel(SequenceLength = 5)]
[Train(Loss = Loss.MeanSquaredError, Optimizer = Optimizer.Sgd, LearningRate = 0.1, Momentum = 0.9, Nesterov = true, BatchSize = 4, GlobalClipNorm = 1, ClipValue = 0.5, Parallelism = 2)]
[Input(3)]
[Normalization]
[Gru(6, ReturnSequences = true)]
[Dense(2)]
public partial class NormalizedMomentum;

/// <summary>Keras's Normalization(axis=-1): the formula, adapt, the summary's counts, files and training.</summary>
public class NormalizationTests
{
    private static readonly RefLayer[] ForecasterLayers = { new RefInput(3), new RefNormalization(), new RefLstm(32), new RefDense(1) };

    [Fact]
    public void The_summary_counts_mean_variance_and_count_as_Keras_non_trainable_params()
    {
        // Keras: Normalization on (None, 24, 3) holds mean (3,), variance (3,) and count () = 7 weights, trainable=False;
        // LSTM(32) on 3 features 4·32·(3 + 32) + 4·32 = 4,608; Dense(1) on 32 = 33.
        Assert.Equal(4_648, NormalizedForecaster.ParameterCount);
        string[] lines = NormalizedForecaster.Summary.Split('\n');
        Assert.Contains(" normalization (Normalizatio (None, 24, 3)             7", lines); // the name column cuts, as for bidirectional
        Assert.Contains(" lstm (LSTM)                 (None, 32)                4,608", lines);
        Assert.Contains("Total params: 4,648", lines);
        Assert.Contains("Trainable params: 4,641", lines);
        Assert.Contains("Non-trainable params: 7", lines);
        Assert.Contains("Non-trainable params: 0", Lstm3.Summary.Split('\n'));
    }

    [Fact]
    public void A_new_model_starts_at_mean_0_variance_1_and_count_0_so_it_passes_the_input_through()
    {
        var model = new NormalizationOnly();
        Assert.Equal(new float[] { 0, 0, 0, 1, 1, 1, 0 }, model.Parameters.ToArray());
        float[] inputs = { 1.5f, -2, 3e6f, 0, 0.25f, -7 };
        var outputs = new float[6];
        model.Predict(inputs, outputs);
        Assert.Equal(inputs, outputs);
    }

    [Fact]
    public void Adapt_gives_Kerass_documented_example()
    {
        // keras.layers.Normalization(axis=-1).adapt([[0, 7, 4], [2, 9, 6], [0, 7, 4], [2, 9, 6]]) then layer([[0, 7, 4]]) = [-1, -1, -1].
        var model = new NormalizationOnly();
        model.Adapt(new float[] { 0, 7, 4, 2, 9, 6, 0, 7, 4, 2, 9, 6 }, sequences: 1);
        Assert.Equal(new float[] { 1, 8, 5, 1, 1, 1, 0 }, model.Parameters.ToArray());
        var outputs = new float[3];
        model.Predict(new float[] { 0, 7, 4 }, outputs);
        Assert.Equal(new float[] { -1, -1, -1 }, outputs);
    }

    [Fact]
    public void Adapt_is_the_population_mean_and_variance_of_every_step_summed_in_double()
    {
        const int Sequences = 37;
        const int Steps = 24;
        var random = new Random(5);
        float[] inputs = new float[Sequences * Steps * 3];
        for (int i = 0; i < inputs.Length; i++)
        {
            // Far from 0 and of different scales, where a float or one-pass sum loses digits.
            inputs[i] = (float)((i % 3 == 0 ? 1000 : i % 3 == 1 ? -0.001 : 20) + random.NextDouble() * (i % 3 == 1 ? 0.0001 : 3));
        }

        var model = new NormalizedForecaster();
        model.Adapt(inputs, Sequences);
        (double[] mean, double[] variance) = NaiveStatistics(inputs, 3);
        for (int j = 0; j < 3; j++)
        {
            Assert.Equal((float)mean[j], model.Parameters[j]);
            Assert.Equal((float)variance[j], model.Parameters[3 + j]);
        }

        Assert.Equal(0f, model.Parameters[6]); // count: Keras 3 keeps it for older files and never updates it

        // The list overload over the same rows cut into sequences of other lengths gives the same statistics.
        var twin = new NormalizedForecaster();
        var pieces = new List<float[]>();
        for (int start = 0, length = 1; start < inputs.Length; start += length * 3, length = length % Steps + 1)
        {
            pieces.Add(inputs.AsSpan(start, Math.Min(length * 3, inputs.Length - start)).ToArray());
        }

        twin.Adapt(pieces);
        Assert.Equal(model.Parameters.Slice(0, 7).ToArray(), twin.Parameters.Slice(0, 7).ToArray());

        // Predict after Adapt is the naive reference with those statistics.
        float[] parameters = model.Parameters.ToArray();
        var outputs = new float[1];
        model.Predict(inputs.AsSpan(0, Steps * 3), outputs);
        TestData.AssertClose(NaiveNetwork.Predict(ForecasterLayers, parameters, inputs.AsSpan(0, Steps * 3), Steps), outputs, 1e-5, "after Adapt");
    }

    [Fact]
    public void Adapt_of_a_double_model_takes_doubles()
    {
        var model = new NormalizedDouble();
        double[] inputs = { 1, 10, 3, 30, 5, 50, 7, 70 };
        model.Adapt(inputs, sequences: 2);
        Assert.Equal(new double[] { 4, 40, 5, 500, 0 }, model.Parameters.ToArray().Take(5));
        model.Adapt(new[] { new double[] { 1, 10 }, new double[] { 3, 30, 5, 50, 7, 70 } });
        Assert.Equal(new double[] { 4, 40, 5, 500, 0 }, model.Parameters.ToArray().Take(5));
    }

    [Fact]
    public void Adapt_refuses_bad_input_naming_the_argument_and_changes_nothing()
    {
        var model = new NormalizedForecaster();
        model.Adapt(new float[] { 1, 2, 3, 3, 4, 5 }, 1);
        float[] before = model.Parameters.ToArray();
        Assert.Equal("sequences", Assert.Throws<ArgumentOutOfRangeException>(() => model.Adapt(new float[6], 0)).ParamName);
        Assert.Equal("inputs", Assert.Throws<ArgumentException>(() => model.Adapt(new float[7], 1)).ParamName);
        Assert.Equal("inputs", Assert.Throws<ArgumentException>(() => model.Adapt(new float[9], 2)).ParamName);
        Assert.Equal("inputs", Assert.Throws<ArgumentException>(() => model.Adapt(new float[25 * 3], 1)).ParamName);
        Assert.Equal("inputs", Assert.Throws<ArgumentException>(() => model.Adapt(Array.Empty<float>(), 1)).ParamName);
        Assert.Equal("inputs", Assert.Throws<ArgumentException>(() => model.Adapt(new float[] { 1, 2, float.NaN }, 1)).ParamName);
        Assert.Equal("inputs", Assert.Throws<ArgumentException>(() => model.Adapt(new float[] { 1, 2, float.PositiveInfinity, 0, 0, 0 }, 2)).ParamName);
        Assert.Equal("sequences", Assert.Throws<ArgumentException>(() => model.Adapt(new List<float[]>())).ParamName);
        Assert.Equal("sequences", Assert.Throws<ArgumentException>(() => model.Adapt(new[] { new float[3], new float[4] })).ParamName);
        Assert.Equal("sequences", Assert.Throws<ArgumentException>(() => model.Adapt(new[] { new float[3], null! })).ParamName);
        Assert.Equal("sequences", Assert.Throws<ArgumentException>(() => model.Adapt(new[] { new float[25 * 3] })).ParamName);
        Assert.Equal("sequences", Assert.Throws<ArgumentException>(() => model.Adapt(new[] { new float[] { 1, 2, float.NaN } })).ParamName);
        Assert.Throws<ArgumentNullException>(() => model.Adapt(null!));
        Assert.Equal(before, model.Parameters.ToArray());
    }

    [Fact]
    public void The_statistics_save_and_load_under_Kerass_names()
    {
        var model = new NormalizedForecaster();
        TestData.Parameters(((IRnnModel<float>)model).Info, seed: 3).CopyTo(model.Parameters);
        var stream = new MemoryStream();
        model.SaveWeights(stream);
        string header = System.Text.Encoding.UTF8.GetString(stream.ToArray(), 8, (int)BitConverter.ToUInt64(stream.ToArray(), 0));
        Assert.Contains("\"normalization/mean\":{\"dtype\":\"F32\",\"shape\":[3]", header);
        Assert.Contains("\"normalization/variance\":{\"dtype\":\"F32\",\"shape\":[3]", header);
        Assert.Contains("\"normalization/count\":{\"dtype\":\"F32\",\"shape\":[]", header);
        var copy = new NormalizedForecaster();
        stream.Position = 0;
        copy.LoadWeights(stream);
        Assert.Equal(model.Parameters.ToArray(), copy.Parameters.ToArray());
    }

    [Fact]
    public void Training_leaves_mean_variance_and_count_exactly_as_they_were()
    {
        var adam = new NormalizedAdam();
        AssertTrainingKeepsStatistics(adam, (x, n) => adam.Adapt(x, n), outputsPerSequence: 1);
        var momentum = new NormalizedMomentum();
        AssertTrainingKeepsStatistics(momentum, (x, n) => momentum.Adapt(x, n), outputsPerSequence: NormalizedMomentum.SequenceLength * 2);
    }

    private static void AssertTrainingKeepsStatistics<TModel>(TModel model, Action<float[], int> adapt, int outputsPerSequence)
        where TModel : IFeatureModel<float>, RnnCompiler.Training.ITrainableModel<float, float, float>
    {
        const int Sequences = 4;
        int steps = model.Info.SequenceLength;
        float[] inputs = TestData.Uniform(Sequences * steps * 3, seed: 1, scale: 10);
        float[] targets = TestData.Uniform(Sequences * outputsPerSequence, seed: 2);
        adapt(inputs, Sequences);
        float[] statistics = model.Parameters.Slice(0, 7).ToArray();
        float[] before = model.Parameters.ToArray();
        for (int batch = 0; batch < 5; batch++)
        {
            model.TrainBatch(inputs, targets, Sequences);
            Assert.True(model.Gradients.Slice(0, 7).ToArray().All(g => g == 0), "the statistics' gradients are zero");
        }

        Assert.Equal(statistics, model.Parameters.Slice(0, 7).ToArray());
        Assert.NotEqual(before.Skip(7), model.Parameters.ToArray().Skip(7));
    }

    [Fact]
    public void A_bfloat16_model_keeps_its_statistics_float()
    {
        var fast = new NormalizedBFloat16();
        var exact = new NormalizedFloatTwin();
        float[] inputs = TestData.Uniform(8 * 3, seed: 4, scale: 50);
        fast.Adapt(inputs, 1);
        exact.Adapt(inputs, 1);
        exact.Parameters.CopyTo(fast.Parameters);
        Assert.Equal(exact.Parameters.Slice(0, 7).ToArray(), fast.Parameters.Slice(0, 7).ToArray());
        var a = new float[2];
        var b = new float[2];
        fast.Predict(inputs, a);
        exact.Predict(inputs, b);
        TestData.AssertClose(b, a, 2e-2, "bfloat16 kernels, float statistics");
    }

    /// <summary>Each feature's mean and population variance over every row, in double, the textbook way.</summary>
    private static (double[] Mean, double[] Variance) NaiveStatistics(float[] inputs, int features)
    {
        int rows = inputs.Length / features;
        var mean = new double[features];
        var variance = new double[features];
        for (int j = 0; j < features; j++)
        {
            for (int r = 0; r < rows; r++)
            {
                mean[j] += inputs[r * features + j];
            }

            mean[j] /= rows;
            for (int r = 0; r < rows; r++)
            {
                double d = inputs[r * features + j] - mean[j];
                variance[j] += d * d;
            }

            variance[j] /= rows;
        }

        return (mean, variance);
    }
}
