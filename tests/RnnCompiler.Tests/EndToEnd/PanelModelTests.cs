using System;
using System.IO;
using RnnCompiler.Tests.Models;
using Xunit;

namespace RnnCompiler.Tests.EndToEnd;

// Trainable models with a recurrent kernel of 32 KB or more (64 × 256 floats), so that Predict and Step read it from
// the panel copy; the second trains on two threads, and its Predict runs in a workspace that shares the copy.
[RnnModel(SequenceLength = 4)]
[Train(Loss = Loss.MeanSquaredError, Optimizer = Optimizer.Adam, BatchSize = 2)]
[Input(8)]
[Lstm(64)]
[Dense(1)]
public partial class PanelTrained;

[RnnModel(SequenceLength = 4)]
[Train(Loss = Loss.MeanSquaredError, Optimizer = Optimizer.Adam, BatchSize = 2, Parallelism = 2)]
[Input(8)]
[Lstm(64)]
[Dense(1)]
public partial class PanelTrainedParallel;

/// <summary>
/// The panel copy that Predict and Step read (<c>RefreshPanels</c>): every way the weights change reaches it, and a
/// model that reads it gives the bits it gives from the same weights in a new instance.
/// </summary>
public class PanelModelTests
{
    [Fact]
    public void Step_equals_Predict_bit_for_bit_on_every_prefix_when_the_kernels_are_packed()
    {
        AssertStepEqualsPredict(new PanelGru(), seed: 31);
        AssertStepEqualsPredict(new PanelSimpleRnn(), seed: 32);
        AssertStepEqualsPredict(new PanelStack(), seed: 33);
        AssertStepEqualsPredict(new Sentiment(), seed: 34);

        // bfloat16: Predict reads the recurrent kernel from panels inside the bfloat16 copy and the input kernel row-major;
        // Step reads both from panels, the input kernel from a second, packed copy.
        AssertStepEqualsPredict(new Bf16Lstm64x128x10(), seed: 35);

        static void AssertStepEqualsPredict(IRnnModel<float> model, int seed)
        {
            ModelInfo info = model.Info;
            TestData.Uniform(model.Parameters.Length, seed, scale: 0.2f).CopyTo(model.Parameters);
            var streamed = new float[info.OutputUnits];
            var predicted = new float[info.OutputUnits];
            int steps = Math.Min(info.SequenceLength, 8);
            int[] tokens = TestData.Tokens(steps, info.InputWidth, seed);
            float[] inputs = TestData.Uniform(steps * info.InputWidth, seed + 1, scale: 2f);
            for (int t = 0; t < steps; t++)
            {
                if (info.TakesTokens)
                {
                    ((ITokenStreamingModel<float>)model).Step(tokens[t], streamed);
                    ((ITokenModel<float>)model).Predict(tokens.AsSpan(0, t + 1), predicted);
                }
                else
                {
                    ((IFeatureStreamingModel<float>)model).Step(inputs.AsSpan(t * info.InputWidth, info.InputWidth), streamed);
                    ((IFeatureModel<float>)model).Predict(inputs.AsSpan(0, (t + 1) * info.InputWidth), predicted);
                }

                for (int i = 0; i < streamed.Length; i++)
                {
                    Assert.True(BitConverter.SingleToInt32Bits(predicted[i]) == BitConverter.SingleToInt32Bits(streamed[i]),
                        $"{model.GetType().Name}, prefix {t + 1}, output {i}: Step gave {streamed[i]:R}, Predict {predicted[i]:R}.");
                }
            }
        }
    }

    [Fact]
    public void Writing_Parameters_after_a_Predict_reaches_the_next_Predict_and_Step()
    {
        var model = new PanelGru();
        float[] inputs = TestData.Uniform(6 * PanelGru.InputFeatures, seed: 2, scale: 1f);
        var before = new float[PanelGru.OutputUnits];
        model.Predict(inputs, before);

        float[] weights = TestData.Uniform(PanelGru.ParameterCount, seed: 3);
        weights.CopyTo(model.Parameters);
        AssertSameAsNew(model, weights, inputs);
        Assert.NotEqual(before, Predict(model, inputs));
    }

    [Fact]
    public void A_span_kept_from_before_a_Predict_is_seen_once_RefreshPanels_runs()
    {
        var model = new PanelStack();
        Span<float> kept = model.Parameters;
        float[] inputs = TestData.Uniform(6 * PanelStack.InputFeatures, seed: 4, scale: 1f);
        Predict(model, inputs);

        float[] weights = TestData.Uniform(PanelStack.ParameterCount, seed: 5);
        weights.CopyTo(kept);
        model.RefreshPanels();
        AssertSameAsNew(model, weights, inputs);
    }

    [Fact]
    public void InitializeWeights_LoadWeights_TrainBatch_and_LoadCheckpoint_each_reach_the_next_Predict()
    {
        AssertEveryChangeReachesPredict(new PanelTrained(), () => new PanelTrained());
        AssertEveryChangeReachesPredict(new PanelTrainedParallel(), () => new PanelTrainedParallel());
    }

    // Each change comes right after a Predict (which leaves the copy current), and the model's own Parameters is not read
    // before the next Predict (reading it marks the copy stale, which would hide a change that forgot to).
    private static void AssertEveryChangeReachesPredict<TModel>(TModel model, Func<TModel> create)
        where TModel : IFeatureModel<float>, RnnCompiler.Training.ITrainableModel<float, float, float>
    {
        float[] inputs = TestData.Uniform(2 * 4 * 8, seed: 6, scale: 1f);
        float[] targets = [0.5f, -0.25f];
        ReadOnlySpan<float> first = inputs.AsSpan(0, 32);
        TModel reference = create();
        reference.InitializeWeights(17);
        float[] initialized = reference.Parameters.ToArray();
        Predict(model, first);
        model.InitializeWeights(17);
        AssertSameAsNew(model, initialized, first, create);

        using var file = new MemoryStream();
        TModel source = create();
        float[] loaded = TestData.Uniform(source.Parameters.Length, seed: 8);
        loaded.CopyTo(source.Parameters);
        source.SaveWeights(file);
        file.Position = 0;
        Predict(model, first);
        model.LoadWeights(file);
        AssertSameAsNew(model, loaded, first, create);

        // One Adam update from the loaded weights, here and in a new instance that never ran Predict.
        using var checkpoint = new MemoryStream();
        model.SaveCheckpoint(checkpoint);
        Predict(model, first);
        model.TrainBatch(inputs, targets, 2);
        TModel twin = create();
        loaded.CopyTo(twin.Parameters);
        twin.TrainBatch(inputs, targets, 2);
        float[] trained = twin.Parameters.ToArray();
        Assert.NotEqual(loaded, trained);
        AssertSameAsNew(model, trained, first, create);

        checkpoint.Position = 0;
        Predict(model, first);
        model.LoadCheckpoint(checkpoint);
        AssertSameAsNew(model, loaded, first, create);
    }

    /// <summary>The model's Predict and first Step give the bits a new instance holding <paramref name="weights"/> gives.</summary>
    private static void AssertSameAsNew<TModel>(TModel model, float[] weights, ReadOnlySpan<float> inputs, Func<TModel>? create = null)
        where TModel : IFeatureModel<float>
    {
        TModel fresh = create is null ? (TModel)Activator.CreateInstance(model.GetType())! : create();
        weights.CopyTo(fresh.Parameters);
        Assert.Equal(Predict(fresh, inputs), Predict(model, inputs));
        if (model is IFeatureStreamingModel<float> streaming && fresh is IFeatureStreamingModel<float> freshStreaming)
        {
            int width = model.Info.InputWidth;
            var a = new float[model.Info.OutputUnits];
            var b = new float[model.Info.OutputUnits];
            streaming.ResetState();
            freshStreaming.ResetState();
            streaming.Step(inputs.Slice(0, width), a);
            freshStreaming.Step(inputs.Slice(0, width), b);
            Assert.Equal(b, a);
        }
    }

    private static float[] Predict(IFeatureModel<float> model, ReadOnlySpan<float> inputs)
    {
        var outputs = new float[model.Info.OutputIsSequence ? inputs.Length / model.Info.InputWidth * model.Info.OutputUnits : model.Info.OutputUnits];
        model.Predict(inputs, outputs);
        return outputs;
    }
}
